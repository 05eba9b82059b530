import { encodeDeviceFrame } from '#protocol';
import type { DeviceEvent, DeviceObserver, TimeoutPhase } from './device-events.js';
import { sleepOn, type EmulatorClock } from './emulator-clock.js';
import type { FirmwareProfile } from './firmware.js';
import { dataPacket, type PacketPlan } from './packet-plan.js';
import type { ReplyRead, ReplyReader } from './reply-reader.js';
import type { FirmwareTiming } from './timing.js';
import type { GiveUpReason } from './upload-result.js';
import { UploadStopped } from './upload-stopped.js';

/** The counters an upload ends with in its result. */
export interface UploadCounters {
  requestTries: number;
  retransmissions: number;
  rounds: number;
  timeouts: number;
  nacks: number;
  bufferDrops: number;
}

/** What a session is given by its device. */
export interface SessionSetup {
  readonly deviceId: number;
  readonly firmware: FirmwareProfile;
  readonly timing: FirmwareTiming;
  readonly clock: EmulatorClock;
  readonly image: Buffer;
  readonly plan: PacketPlan;
  /** Stop (as a restart would) instead of sending packet number `stopAfterPackets`. */
  readonly stopAfterPackets: number | undefined;
  readonly send: (datagram: Buffer) => Promise<void>;
  readonly reader: ReplyReader;
  readonly signal: AbortSignal;
  readonly observer: DeviceObserver | undefined;
}

/**
 * One upload in progress: the firmware algorithms (`stop-and-wait.ts`, `burst.ts`) drive it, it
 * does the sending, the reading with timeouts, the pauses and the counting, and ends the upload
 * with an {@link UploadStopped} when its signal aborts.
 */
export class UploadSession {
  readonly counters: UploadCounters = {
    requestTries: 0,
    retransmissions: 0,
    rounds: 0,
    timeouts: 0,
    nacks: 0,
    bufferDrops: 0,
  };
  readonly violations: string[] = [];

  constructor(readonly setup: SessionSetup) {}

  get deviceId(): number {
    return this.setup.deviceId;
  }

  get plan(): PacketPlan {
    return this.setup.plan;
  }

  get timing(): FirmwareTiming {
    return this.setup.timing;
  }

  emit(event: DeviceEvent): void {
    this.setup.observer?.(event);
  }

  violation(message: string): void {
    this.violations.push(message);
    this.emit({ type: 'violation', message });
  }

  bufferDrop(bytes: number): void {
    this.counters.bufferDrops++;
    this.emit({ type: 'buffer-drop', bytes });
  }

  /** Sends the upload request: `[1, id, 1, N, P]`, plus S in 4 bytes for the seed variant. */
  async sendRequest(): Promise<void> {
    this.stopIfAborted();
    const { firmware, plan } = this.setup;
    const datagram = encodeDeviceFrame({
      kind: 'upload-request',
      deviceId: this.deviceId,
      packetCount: plan.packetCount,
      maxPacketSize: plan.maxPacketSize,
      imageSize:
        firmware.imageSizeBytes > 0 ? { value: plan.imageSize, width: firmware.imageSizeBytes } : undefined,
    });
    this.counters.requestTries++;
    this.emit({ type: 'request-sent', attempt: this.counters.requestTries });
    await this.setup.send(datagram);
  }

  /** Sends data packet `index`, first time or again. */
  async sendPacket(index: number, resend: boolean): Promise<void> {
    this.stopIfAborted();
    if (!resend && this.setup.stopAfterPackets !== undefined && index >= this.setup.stopAfterPackets) {
      throw new UploadStopped('stopped');
    }
    if (resend) this.counters.retransmissions++;
    this.emit({ type: 'packet-sent', index, resend });
    await this.setup.send(dataPacket(this.deviceId, this.setup.image, this.plan, index));
  }

  /** Sends end of transfer `[1, id, 3, N]`. */
  async sendEndOfTransfer(): Promise<void> {
    this.stopIfAborted();
    this.counters.rounds++;
    this.emit({ type: 'end-of-transfer-sent', round: this.counters.rounds });
    await this.setup.send(
      encodeDeviceFrame({
        kind: 'end-of-transfer',
        deviceId: this.deviceId,
        packetCount: this.plan.packetCount,
      }),
    );
  }

  /** Sends a datagram the algorithms build themselves (the op-4 confirmation). */
  async sendRaw(datagram: Buffer): Promise<void> {
    this.stopIfAborted();
    await this.setup.send(datagram);
  }

  /**
   * Reads replies, oldest first, for up to `timeoutMs` from now, until `judge` makes something of
   * one; what it returns, or undefined when the time ran out. Replies `judge` ignores are consumed,
   * as the firmware consumes them.
   */
  async awaitReply<T>(timeoutMs: number, judge: (reply: ReplyRead) => T | undefined): Promise<T | undefined> {
    const { clock } = this.setup;
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      const reply = await this.setup.reader.read(deadline - clock.now(), this.setup.signal);
      if (reply === undefined) return undefined;
      const verdict = judge(reply);
      if (verdict !== undefined) return verdict;
    }
  }

  timedOut(phase: TimeoutPhase, index?: number): void {
    this.counters.timeouts++;
    this.emit({ type: 'timeout', phase, index });
  }

  /** Pauses `ms` milliseconds (a firmware delay). */
  sleep(ms: number): Promise<void> {
    const { signal, clock } = this.setup;
    return sleepOn(clock, ms, signal, () => UploadStopped.from(signal));
  }

  /**
   * Waits until the upload is stopped from outside, as firmware stuck in a loop does; a stop for
   * the deadline is reported as `reason` (what kept the device there).
   */
  hang(reason: GiveUpReason): Promise<never> {
    const { signal } = this.setup;
    const stop = (): UploadStopped => {
      const stopped = UploadStopped.from(signal);
      return stopped.reason === 'deadline' ? new UploadStopped(reason) : stopped;
    };
    if (signal.aborted) return Promise.reject(stop());
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(stop()), { once: true }));
  }

  private stopIfAborted(): void {
    if (this.setup.signal.aborted) throw UploadStopped.from(this.setup.signal);
  }
}
