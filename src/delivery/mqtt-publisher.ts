import { readFileSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { isLoggableCount } from '#udp-transport';
import { Backoff } from './backoff.js';
import { printableUrl } from './printable-url.js';
import type { Outbox } from './outbox.js';
import type { OutboxEntry } from './outbox-log.js';

/** The outbox's name for this sink. */
export const MQTT_SINK = 'mqtt';

/** Results sent and not yet acknowledged (PUBACK) at once. */
const WINDOW = 64;

/** How long the last "offline" status may take to go out at shutdown. */
const CLOSE_TIMEOUT_MS = 2000;

export interface MqttSettings {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly caFile: string;
  readonly topicPrefix: string;
  readonly gatewayId: string;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** What the publisher reports, for metrics. */
export interface MqttObserver {
  connected(isConnected: boolean): void;
  published(count: number): void;
  failed(): void;
}

/** The topics of one gateway. */
export class MqttTopics {
  constructor(
    private readonly prefix: string,
    private readonly gatewayId: string,
  ) {}

  result(deviceKey: string): string {
    return `${this.prefix}/devices/${deviceKey}/result`;
  }

  deviceState(deviceKey: string): string {
    return `${this.prefix}/devices/${deviceKey}/state`;
  }

  get status(): string {
    return `${this.prefix}/gateway/${this.gatewayId}/status`;
  }
}

/**
 * Publishes the outbox's results to an MQTT broker, QoS 1, in order: up to 64 in flight, each
 * confirmed to the outbox on its PUBACK. A lost connection is given up whole (the client is
 * closed) and a new one made after a backoff; the next connection sends again from the first
 * result not confirmed, so nothing is lost and order holds (a result may arrive twice). The
 * gateway's status is retained at `<prefix>/gateway/<id>/status`, `offline` by Last Will or at
 * shutdown; each device's last state is retained under `<prefix>/devices/<device>/state`.
 */
export class MqttPublisher {
  private readonly logger = new Logger('Mqtt');
  readonly topics: MqttTopics;
  private client: MqttClient | undefined;
  private isConnected = false;
  private sentUpTo = 0;
  private inFlight = 0;
  private readonly backoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;
  /** The newest state of each device, retained on the broker; sent again on every connection. */
  private readonly deviceStates = new Map<string, string>();
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly settings: MqttSettings,
    private readonly outbox: Outbox,
    private readonly observer: MqttObserver,
  ) {
    this.topics = new MqttTopics(settings.topicPrefix, settings.gatewayId);
    this.backoff = new Backoff(settings.retryMinMs, settings.retryMaxMs);
    outbox.on('appended', () => this.pump());
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    this.connect();
  }

  /** Retains a device's latest state (sent now when connected, else on the next connection). */
  deviceState(deviceKey: string, state: unknown): void {
    const payload = JSON.stringify(state);
    this.deviceStates.set(deviceKey, payload);
    if (this.isConnected)
      this.client?.publish(this.topics.deviceState(deviceKey), payload, { qos: 1, retain: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (this.isConnected) {
      await Promise.race([
        client
          .publishAsync(this.topics.status, this.status('offline'), { qos: 1, retain: true })
          .catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref()),
      ]);
    }
    this.setConnected(false);
    await client.endAsync(true).catch(() => undefined);
  }

  private connect(): void {
    if (this.stopped) return;
    const options: IClientOptions = {
      clientId: `cable-inspector-${this.settings.gatewayId}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      will: { topic: this.topics.status, payload: Buffer.from(this.status('offline')), qos: 1, retain: true },
      ...(this.settings.username ? { username: this.settings.username } : {}),
      ...(this.settings.password ? { password: this.settings.password } : {}),
      ...(this.settings.caFile ? { ca: readFileSync(this.settings.caFile) } : {}),
    };
    const client = connect(this.settings.url, options);
    this.client = client;
    client.on('connect', () => {
      if (this.client !== client) return;
      this.setConnected(true);
      this.backoff.reset();
      this.logger.log({
        msg: 'connected to the MQTT broker',
        url: printableUrl(this.settings.url),
        pending: this.outbox.pending(MQTT_SINK),
      });
      client.publish(this.topics.status, this.status('online'), { qos: 1, retain: true });
      for (const [deviceKey, payload] of this.deviceStates)
        client.publish(this.topics.deviceState(deviceKey), payload, { qos: 1, retain: true });
      this.sentUpTo = this.outbox.cursor(MQTT_SINK);
      this.inFlight = 0;
      this.pump();
    });
    client.on('error', (error) => this.report(error));
    client.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      const wasConnected = this.isConnected;
      this.setConnected(false);
      client.end(true);
      if (this.stopped) return;
      const delay = this.backoff.next();
      if (wasConnected) this.logger.warn({ msg: 'MQTT connection lost; reconnecting', inMs: delay });
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
      this.reconnectTimer.unref();
    });
  }

  private pump(): void {
    const client = this.client;
    if (!client || !this.isConnected) return;
    const entries = this.outbox.take(
      Math.max(this.sentUpTo, this.outbox.cursor(MQTT_SINK)),
      WINDOW - this.inFlight,
    );
    for (const entry of entries) this.send(client, entry);
  }

  private send(client: MqttClient, entry: OutboxEntry): void {
    this.inFlight++;
    this.sentUpTo = entry.seq;
    client.publish(this.topics.result(entry.key), entry.payload, { qos: 1 }, (error) => {
      if (this.client !== client) return;
      this.inFlight--;
      if (error) {
        this.report(error);
        return;
      }
      this.outbox.confirm(MQTT_SINK, entry.seq);
      this.observer.published(1);
      this.pump();
    });
  }

  private status(state: 'online' | 'offline'): string {
    return JSON.stringify({ state, gatewayId: this.settings.gatewayId, since: this.startedAt });
  }

  private setConnected(isConnected: boolean): void {
    if (this.isConnected === isConnected) return;
    this.isConnected = isConnected;
    this.observer.connected(isConnected);
  }

  /** Connection failures are logged at their 1st, 2nd, 4th, 8th… occurrence. */
  private report(error: Error): void {
    this.observer.failed();
    if (isLoggableCount(++this.failures))
      this.logger.warn({ msg: 'MQTT failure', error: error.message, failuresSoFar: this.failures });
  }
}
