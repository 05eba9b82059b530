import { join } from 'node:path';
import type { DataPacket, DeviceFrame } from '#protocol';
import { EndOfTurn } from '#udp-transport';
import type { FakeClock } from '../../common/fake-clock.js';
import type { RemoteEndpoint } from '../../common/transfer-model.js';
import { validateEnvironment } from '../../config/index.js';
import { Spool } from '../../spool/spool.js';
import { SPOOL_FOLDER } from '../../spool/spool-files.js';
import type { StoredImage } from '../../storage/image-record.js';
import { ImageStore } from '../../storage/image-store.js';
import { TransferEvents, type TransferEventMap } from '../transfer-events.js';
import { transferLimitsFrom, type TransferLimits } from '../transfer-limits.js';
import { TransfersService, type Reply } from '../transfers.service.js';
import { answerFrame } from './answer-frame.js';
import { CAMERA, turnsPass } from './uploads.js';

/** The limits of a gateway with default settings, changed by `overrides`. */
export function limitsWith(overrides: Partial<TransferLimits> = {}): TransferLimits {
  const defaults = transferLimitsFrom(validateEnvironment({}));
  return Object.freeze({ ...defaults, ...overrides });
}

export interface HarnessOptions {
  readonly limits?: Partial<TransferLimits>;
  /** With a spool in `<root>/.spool` (and this segment size when given). */
  readonly spool?: boolean | { readonly segmentBytes: number };
}

/**
 * Test support: the real `TransfersService` over a real image store (and spool) in `root`, on a
 * fake clock, fed the way the UDP transport feeds it: each datagram opens a turn, and a reply
 * leaves at the end of the turn it is ready in (after the spool's write), so that what a spec
 * reads is what the camera would receive.
 */
export class TransferHarness {
  /** Images stored, in order. */
  readonly stored: StoredImage[] = [];
  private readonly recorded = new Map<keyof TransferEventMap, string[]>();
  private held: (() => void)[] = [];

  private constructor(
    readonly service: TransfersService,
    readonly events: TransferEvents,
    readonly images: ImageStore,
    readonly turn: EndOfTurn,
    readonly spool: Spool | null,
    private readonly clock: FakeClock,
    private readonly limits: TransferLimits,
    /** Peer credits given at start-up: address and bytes. */
    readonly credits: readonly [string, number][],
  ) {
    turn.onRelease(() => {
      const held = this.held;
      this.held = [];
      for (const release of held) release();
    });
    events.on('completed', (_transfer, stored) => this.stored.push(stored));
    this.record('aborted', (_transfer, reason) => reason);
    this.record('restored', (transfer) => `${transfer.receivedPackets} packets, ${transfer.flowMode}`);
    this.record('quarantined', (file) => file);
    this.record('stranded', (_id, _address, _port, reason) => reason);
  }

  static async start(root: string, clock: FakeClock, options: HarnessOptions = {}): Promise<TransferHarness> {
    const limits = limitsWith(options.limits);
    const images = new ImageStore(root, clock);
    await images.prepare();
    const turn = new EndOfTurn();
    const segmentBytes = typeof options.spool === 'object' ? options.spool.segmentBytes : undefined;
    const spool = options.spool
      ? new Spool(join(root, SPOOL_FOLDER), {
          completedRecordTtlMs: limits.completedRecordTtlMs,
          touch: () => turn.touch(),
          ...(segmentBytes === undefined ? {} : { segmentBytes }),
        })
      : null;
    const events = new TransferEvents();
    const credits: [string, number][] = [];
    const service = new TransfersService(
      limits,
      clock,
      images,
      events,
      turn,
      spool,
      // The receive queue is always read down: a probe's silence is real.
      () => Promise.resolve(0),
      (address, bytes) => credits.push([address, bytes]),
    );
    // Listening before start-up: what it restores and quarantines is heard.
    const harness = new TransferHarness(service, events, images, turn, spool, clock, limits, credits);
    await service.onModuleInit();
    return harness;
  }

  /**
   * One datagram from `remote`, decoded: resolves with the bytes the camera receives, or
   * undefined for silence. A reply that waits (a probe, a write, the accept hold) resolves once
   * the spec has moved the clock far enough.
   */
  send(
    frame: DeviceFrame,
    remote: RemoteEndpoint = CAMERA,
    replyBudget = Number.POSITIVE_INFINITY,
  ): Promise<number[] | undefined> {
    this.turn.touch();
    const reply = answerFrame(this.service, frame, remote, replyBudget);
    if (reply === null) throw new Error(`${frame.kind} is not a transfer frame`);
    return this.leaving(reply);
  }

  /**
   * The first data packet of a device whose pacing is not known: its answer waits for the flow
   * probe, whose window passes here in silence.
   */
  /** Sends `frame` and lets the accept hold pass: what a stored image's record says after it. */
  async sendPastHold(frame: DeviceFrame, remote: RemoteEndpoint = CAMERA): Promise<number[] | undefined> {
    const reply = this.send(frame, remote);
    await turnsPass();
    this.clock.advance(this.limits.acceptHoldMs);
    return reply;
  }

  async sendPastProbe(packet: DataPacket, remote: RemoteEndpoint = CAMERA): Promise<number[] | undefined> {
    const reply = this.send(packet, remote);
    await turnsPass();
    this.clock.advance(this.limits.flowProbeMs);
    return reply;
  }

  /** What was emitted for `event`, in order, one line each. */
  seen(event: keyof TransferEventMap): string[] {
    return this.recorded.get(event) ?? [];
  }

  get retransmissions(): Record<string, number> {
    return this.service.statistics.retransmissions;
  }

  /** kill -9: nothing more is written; the files stay as they are. */
  crash(): void {
    this.spool?.abandon();
    this.service.onModuleDestroy();
  }

  /** A clean stop: what waits is written, the files closed. */
  stop(): void {
    this.service.onModuleDestroy();
  }

  private async leaving(reply: Reply | Promise<Reply>): Promise<number[] | undefined> {
    const settled = await reply;
    // Held to the end of the turn, as the transport holds it: the spool's write may still turn an ACK into a NACK.
    if (this.turn.open) await new Promise<void>((release) => this.held.push(release));
    return settled === undefined ? undefined : [...settled];
  }

  private record<Event extends keyof TransferEventMap>(
    event: Event,
    describe: (...args: TransferEventMap[Event]) => string,
  ): void {
    const lines: string[] = [];
    this.recorded.set(event, lines);
    this.events.on(event, ((...args: TransferEventMap[Event]) => lines.push(describe(...args))) as never);
  }
}
