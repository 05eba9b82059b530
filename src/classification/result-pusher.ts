import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { encodeServerFrame, type AnalysisResult } from '#protocol';
import { UdpServer } from '#udp-transport';
import { CLOCK, type Clock, type TimerHandle } from '../common/clock.js';
import { Environment } from '../config/index.js';
import type { RemoteEndpoint } from '../common/transfer-model.js';
import { ClassificationEvents } from './classification-events.js';

/** One pending result per device: client type, id and address:port (a batch may share id 99). */
function deviceKey(clientType: number, deviceId: number, remote: RemoteEndpoint): string {
  return `${clientType}/${deviceId}@${remote.address}:${remote.port}`;
}

interface PendingResult {
  readonly frame: Buffer;
  readonly remote: RemoteEndpoint;
  attempts: number;
  timer: TimerHandle | undefined;
}

/**
 * Pushes op-4 analysis results to devices and repeats each, with the interval doubling, until
 * the device confirms (`[1, id, 0, 4]`) or RESULT_MAX_ATTEMPTS are spent. One result pending per
 * device address: a newer result replaces an older one, since a confirmation names no image.
 */
@Injectable()
export class ResultPusher implements OnModuleDestroy {
  private readonly logger = new Logger('Results');
  private readonly pending = new Map<string, PendingResult>();

  constructor(
    private readonly udp: UdpServer,
    private readonly env: Environment,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly events: ClassificationEvents,
  ) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  push(clientType: number, result: AnalysisResult, remote: RemoteEndpoint): void {
    const key = deviceKey(clientType, result.deviceId, remote);
    this.pending.get(key)?.timer?.cancel();
    const entry: PendingResult = { frame: encodeServerFrame(result), remote, attempts: 0, timer: undefined };
    this.pending.set(key, entry);
    this.attempt(key, entry);
  }

  /** The device confirmed: stop repeating. Returns whether a result was pending. */
  confirm(clientType: number, deviceId: number, remote: RemoteEndpoint): boolean {
    const key = deviceKey(clientType, deviceId, remote);
    const entry = this.pending.get(key);
    if (!entry) return false;
    entry.timer?.cancel();
    this.pending.delete(key);
    this.events.emit('confirmed', entry.attempts);
    return true;
  }

  onModuleDestroy(): void {
    for (const entry of this.pending.values()) entry.timer?.cancel();
    this.pending.clear();
  }

  private attempt(key: string, entry: PendingResult): void {
    entry.attempts++;
    void this.udp.sendTo(entry.frame, entry.remote.port, entry.remote.address, entry.remote.localAddress);
    if (entry.attempts >= this.env.RESULT_MAX_ATTEMPTS) {
      entry.timer = this.clock.setTimeout(() => this.giveUp(key, entry), this.retryDelay(entry.attempts));
      return;
    }
    entry.timer = this.clock.setTimeout(() => this.attempt(key, entry), this.retryDelay(entry.attempts));
  }

  private giveUp(key: string, entry: PendingResult): void {
    if (this.pending.get(key) !== entry) return;
    this.pending.delete(key);
    this.logger.debug({
      msg: 'analysis result not confirmed',
      address: entry.remote.address,
      attempts: entry.attempts,
    });
  }

  private retryDelay(attempts: number): number {
    return this.env.RESULT_RETRY_MS * 2 ** (attempts - 1);
  }
}
