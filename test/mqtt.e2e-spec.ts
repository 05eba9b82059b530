/**
 * Results over MQTT, against a real Mosquitto broker (Debian's `mosquitto`, started by the test
 * on a free loopback port) and the gateway as its own process: a subscriber receives every
 * analysed image; a broker outage loses none of the results made meanwhile, and each device's
 * arrive in order; a gateway killed (SIGKILL) with results unpublished publishes them after its
 * restart. The outage figures are printed (node:test diagnostics).
 *
 * Skipped without `mosquitto`, except in CI (`CI` set), where that fails: .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { writeTinyModel } from '../src/classification/testing-model.js';
import { GatewayProcess } from './support/gateway-process.js';
import { MosquittoBroker } from './support/mosquitto.js';
import { eventually, toolGate } from './support/prometheus-tools.js';

const tools = toolGate(['mosquitto'], 'mosquitto');
const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');
const PREFIX = 'plant-7';
const GATEWAY_ID = 'line-3';
const DEVICES = [11, 12];
/** The broker stays down at least this long: the gateway goes through several reconnections. */
const OUTAGE_MS = 3000;

interface Received {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  readonly at: number;
}

/** A plant's consumer: a persistent session (clean: false), so it misses nothing while it is away. */
class ResultConsumer {
  readonly results: Received[] = [];

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/result'))
        this.results.push({
          topic,
          payload: JSON.parse(payload.toString()) as Record<string, unknown>,
          at: Date.now(),
        });
    });
  }

  static async connect(url: string): Promise<ResultConsumer> {
    const client = await connectAsync(url, {
      clientId: `e2e-consumer-${process.pid}`,
      clean: false,
      reconnectPeriod: 200,
    });
    await client.subscribeAsync(`${PREFIX}/devices/+/result`, { qos: 1 });
    return new ResultConsumer(client);
  }

  /** The distinct image ids received for a device, in the order first received. */
  firstArrivals(deviceKey: string): string[] {
    const seen = new Set<string>();
    for (const { payload } of this.results) {
      if (payload.deviceKey === deviceKey && !seen.has(String(payload.imageId)))
        seen.add(String(payload.imageId));
    }
    return [...seen];
  }

  get duplicates(): number {
    return this.results.length - new Set(this.results.map((each) => each.payload.imageId)).size;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** The retained messages under `topic` (wildcards allowed), as a new subscriber gets them. */
async function retained(url: string, topic: string): Promise<Map<string, Record<string, unknown>>> {
  const client = await connectAsync(url, {
    clientId: `e2e-retained-${process.pid}-${Date.now()}`,
    clean: true,
  });
  const found = new Map<string, Record<string, unknown>>();
  client.on('message', (name, payload, packet) => {
    if (packet.retain) found.set(name, JSON.parse(payload.toString()) as Record<string, unknown>);
  });
  await client.subscribeAsync(topic, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await client.endAsync();
  return found;
}

describe('results over MQTT, with a real Mosquitto broker', { skip: tools.skip }, () => {
  let root: string;
  let broker: MosquittoBroker;
  let gateway: GatewayProcess;
  let consumer: ResultConsumer;
  let photo: Buffer;
  /** Image ids each device uploaded, in order, from the gateway's API. */
  const uploaded = new Map<string, string[]>();

  const base = () => `http://127.0.0.1:${gateway.httpPort}`;

  async function upload(deviceId: number, count: number): Promise<void> {
    const camera = await CameraDevice.open({ server: gateway.udp, firmware: FIRMWARE.B, deviceId });
    try {
      for (let index = 0; index < count; index++) {
        const result = await camera.upload(photo, { deadlineMs: 15_000 });
        assert.equal(result.ok, true, `device ${deviceId}, image ${index}`);
      }
    } finally {
      await camera.close();
    }
  }

  /** Waits until the gateway has analysed every image, then notes each device's ids in order. */
  async function analysedImages(expected: number): Promise<void> {
    const items = await eventually(
      `${expected} images analysed`,
      async () => {
        const page = (await (await fetch(`${base()}/api/images?limit=1000`)).json()) as {
          items: { imageId: string; deviceKey: string; status: string }[];
        };
        return page.items.length === expected && page.items.every((item) => item.status !== 'pending')
          ? page.items
          : undefined;
      },
      60_000,
    );
    uploaded.clear();
    for (const item of [...items].reverse()) {
      uploaded.set(item.deviceKey, [...(uploaded.get(item.deviceKey) ?? []), item.imageId]);
    }
  }

  function assertAllInOrder(t: TestContext): void {
    for (const [deviceKey, ids] of uploaded) {
      assert.deepEqual(
        consumer.firstArrivals(deviceKey),
        ids,
        `results of ${deviceKey}, in the order stored`,
      );
    }
    t.diagnostic(
      `${consumer.results.length} messages for ${new Set(consumer.results.map((r) => r.payload.imageId)).size} images, ${consumer.duplicates} duplicate(s)`,
    );
  }

  async function allReceived(count: number, timeoutMs: number): Promise<void> {
    try {
      await eventually(
        `${count} distinct results received`,
        async () =>
          new Set(consumer.results.map((r) => r.payload.imageId)).size >= count ? true : undefined,
        timeoutMs,
        50,
      );
    } catch (error) {
      const received = new Set(consumer.results.map((r) => r.payload.imageId)).size;
      throw new Error(
        `${(error as Error).message}: ${received} received\ngateway:\n${gateway.output.slice(-4000)}\nbroker:\n${broker.logs()}`,
        { cause: error },
      );
    }
  }

  before(async () => {
    tools.assertAvailable();
    root = await mkdtemp(join(tmpdir(), 'e2e-mqtt-'));
    photo = await readFile(FIXTURE);
    const model = join(root, 'model');
    await writeTinyModel(model, ['good', 'kink']);
    broker = await MosquittoBroker.start();
    gateway = await GatewayProcess.create({
      STORAGE_DIR: join(root, 'images'),
      ANALYSIS_ENABLED: 'true',
      MODEL_DIR: model,
      INFERENCE_BACKEND: 'wasm',
      MQTT_URL: broker.url,
      MQTT_TOPIC_PREFIX: PREFIX,
      GATEWAY_ID,
      DELIVERY_RETRY_MIN_MS: '100',
      DELIVERY_RETRY_MAX_MS: '500',
      LOG_LEVEL: 'warn',
    });
    await gateway.start();
    consumer = await ResultConsumer.connect(broker.url);
  });

  after(async () => {
    await consumer?.close().catch(() => undefined);
    await gateway?.kill();
    await broker?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('publishes each analysed image to <prefix>/devices/<device>/result with its verdict', async () => {
    for (const deviceId of DEVICES) await upload(deviceId, 1);
    await analysedImages(2);
    await allReceived(2, 10_000);
    const [first] = consumer.results;
    assert.match(first!.topic, new RegExp(`^${PREFIX}/devices/1[12]_127\\.0\\.0\\.1/result$`));
    for (const field of [
      'imageId',
      'sha256',
      'deviceId',
      'address',
      'storedAt',
      'verdict',
      'label',
      'confidence',
      'model',
    ])
      assert.ok(field in first!.payload, `payload has ${field}: ${JSON.stringify(first!.payload)}`);
    assert.equal(first!.payload.gatewayId, GATEWAY_ID);
    assert.equal(first!.payload.status, 'analysed');
    assert.equal(first!.topic, `${PREFIX}/devices/${String(first!.payload.deviceKey)}/result`);
    const status = await retained(broker.url, `${PREFIX}/gateway/${GATEWAY_ID}/status`);
    assert.equal(status.get(`${PREFIX}/gateway/${GATEWAY_ID}/status`)?.state, 'online');
    const states = await retained(broker.url, `${PREFIX}/devices/+/state`);
    assert.deepEqual(
      [...states.keys()].sort(),
      DEVICES.map((id) => `${PREFIX}/devices/${id}_127.0.0.1/state`),
    );
    assert.equal(states.get(`${PREFIX}/devices/11_127.0.0.1/state`)?.images, 1);
  });

  it('loses nothing to a broker outage: 20 images uploaded meanwhile all arrive, in order per device', async (t) => {
    await broker.stop();
    const outageStartedAt = Date.now();
    await Promise.all(DEVICES.map((deviceId) => upload(deviceId, 10)));
    await analysedImages(22);
    const pending = await eventually(
      'the outbox to hold the 20 results',
      async () => {
        const metrics = await (await fetch(`${base()}/metrics`)).text();
        const value = Number(
          /^cable_inspector_outbox_pending\{sink="mqtt"\} (\d+)/m.exec(metrics)?.[1] ?? -1,
        );
        return value === 20 ? value : undefined;
      },
      10_000,
    );
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, outageStartedAt + OUTAGE_MS - Date.now())),
    );
    const resumedAt = Date.now();
    await broker.resume();
    await allReceived(22, 30_000);
    const lastAt = Math.max(...consumer.results.map((r) => r.at));
    assertAllInOrder(t);
    t.diagnostic(
      `broker down ${((resumedAt - outageStartedAt) / 1000).toFixed(1)} s, ${pending} results pending in the outbox; ` +
        `all delivered ${lastAt - resumedAt} ms after the broker came back`,
    );
  });

  it('loses nothing to a gateway killed (SIGKILL) with results unpublished', async (t) => {
    await broker.stop();
    await Promise.all(DEVICES.map((deviceId) => upload(deviceId, 4)));
    await analysedImages(30);
    await gateway.kill();
    // The worst moment for a kill: analyses recorded in their sidecars, the outbox's write of the
    // last three not done yet. The restarted gateway finds them from the sidecars.
    const outbox = join(root, 'images', '.outbox');
    const last = (await readdir(outbox))
      .filter((name) => name.endsWith('.log'))
      .sort()
      .pop()!;
    const lines = (await readFile(join(outbox, last), 'utf8')).split('\n').filter((line) => line !== '');
    assert.ok(lines.length >= 3, `${last}: ${lines.length} entries`);
    await writeFile(
      join(outbox, last),
      lines
        .slice(0, -3)
        .map((line) => `${line}\n`)
        .join('') + lines.at(-3)!.slice(0, 20),
    );
    await broker.resume();
    const restartedAt = Date.now();
    await gateway.start();
    await allReceived(30, 30_000);
    assert.match(gateway.output, /"count":3,"msg":"results recorded but not in the outbox/);
    assertAllInOrder(t);
    t.diagnostic(
      `8 results made before the kill delivered ${Math.max(...consumer.results.map((r) => r.at)) - restartedAt} ms after the restart began`,
    );
    const status = await retained(broker.url, `${PREFIX}/gateway/${GATEWAY_ID}/status`);
    assert.equal(status.get(`${PREFIX}/gateway/${GATEWAY_ID}/status`)?.state, 'online');
  });

  it('says offline by its Last Will when killed', async () => {
    await gateway.kill();
    await eventually(
      'the retained status to say offline',
      async () => {
        const status = await retained(broker.url, `${PREFIX}/gateway/${GATEWAY_ID}/status`);
        return status.get(`${PREFIX}/gateway/${GATEWAY_ID}/status`)?.state === 'offline' ? true : undefined;
      },
      10_000,
    );
  });
});
