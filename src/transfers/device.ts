import type { CameraOp } from '#protocol';
import type { CompletedTransfer, FlowMode } from '../common/transfer-model.js';
import type { Transfer } from './transfer.js';

/** What the gateway answered a device's last question with, to tell how to treat a copy of it. */
export enum Answer {
  /** Nothing (yet): silence, or not decided. */
  None,
  /** An answer is being prepared (a write, a probe): the copy joins it. */
  Pending,
  /** A positive answer: an accept, an ACK, k = 0. */
  Given,
  /**
   * A missing list: burst firmware answers it at once with its next end of transfer, identical
   * when every packet it resent was lost, so an identical end of transfer after one is answered.
   */
  Listed,
  /** A NACK or a refusal: the device tries again after its pause, and that try is answered. */
  Refused,
}

/**
 * Everything the gateway keeps about one device, a camera told apart by its id **and** its
 * address and port (a batch may share id 99): its transfer in progress, the record of its last
 * stored image, how its firmware paces packets, and its last question.
 */
export class Device {
  /** Its transfer in progress (possibly dormant). */
  active: Transfer | undefined;
  /** Its last stored image, until forgotten. */
  previous: CompletedTransfer | undefined;
  /**
   * Whether the record may still answer an end of transfer with k = 0 (burst firmware that lost
   * it asks again). Cleared once the device may have moved on to another image: an end of
   * transfer carries nothing of the image, so any doubt means silence.
   */
  recordAnswers = false;
  /** How its last transfer turned out to pace packets: a hint for the next, which the traffic may correct. */
  flowHint: Exclude<FlowMode, 'probing'> | undefined;
  /**
   * When the last exchange about its previous image ended: its last positive answer (accept,
   * final ACK, k = 0), or the last datagram of a transfer dropped unfinished. The accept of its
   * next image leaves no sooner than ACCEPT_HOLD_MS after it.
   */
  lastConfirmationAt = Number.NEGATIVE_INFINITY;
  lastHeardAt: number;
  /** Set once the device was told it is stranded (logged once). */
  reportedStranded = false;
  /** When its last end of transfer that was no network copy arrived. */
  lastEndOfTransferAt = Number.NEGATIVE_INFINITY;
  /** When it was last told k = 0 (an image of its stored). */
  lastToldStoredAt = Number.NEGATIVE_INFINITY;
  /** Questions it asked that were no network copy: one more means it said something new. */
  questions = 0;
  private lastQuestion: CameraOp | undefined;
  private lastIndex = -1;
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastAnswer = Answer.None;

  constructor(
    readonly deviceId: number,
    readonly address: string,
    readonly port: number,
    now: number,
  ) {
    this.lastHeardAt = now;
  }

  /**
   * Records a question (`index`: the packet index, or N) and tells whether it repeats the one
   * just before, within `windowMs`, with nothing else from the device in between: a copy the
   * network made, since the firmware asks again only after its timeout. Returns how the
   * previous one was answered then, or undefined when this is no copy.
   */
  ask(question: CameraOp, index: number, now: number, windowMs: number): Answer | undefined {
    const copy = question === this.lastQuestion && index === this.lastIndex && now - this.lastAt < windowMs;
    const previous = this.lastAnswer;
    this.lastHeardAt = now;
    if (copy) return previous;
    this.questions++;
    this.lastQuestion = question;
    this.lastIndex = index;
    this.lastAt = now;
    this.lastAnswer = Answer.None;
    return undefined;
  }

  /** How the last question was (or is being) answered. */
  answered(answer: Answer): void {
    this.lastAnswer = answer;
  }

  /** Its image was stored: the record of it. */
  remember(record: CompletedTransfer): void {
    this.previous = record;
    this.recordAnswers = true;
    if (record.flowMode !== 'probing') this.flowHint = record.flowMode;
  }

  /** A positive answer about one of its images left at `now` (or its last exchange ended then). */
  confirmed(now: number): void {
    this.lastConfirmationAt = now;
  }
}

/**
 * The devices the gateway knows, found by address, port and id without building a key string per
 * datagram. Bounded: past `capacity`, the devices heard from longest ago that have no transfer in
 * progress are forgotten, an eighth at a time (state keyed by what the network sends must never
 * grow without bound).
 */
export class DeviceTable {
  private readonly byAddress = new Map<string, Map<number, Device>>();
  private count = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.count;
  }

  get(address: string, port: number, deviceId: number): Device | undefined {
    return this.byAddress.get(address)?.get(port * 256 + deviceId);
  }

  getOrAdd(address: string, port: number, deviceId: number, now: number): Device {
    let devices = this.byAddress.get(address);
    const existing = devices?.get(port * 256 + deviceId);
    if (existing) return existing;
    if (this.count >= this.capacity) this.evictIdle();
    if (!devices) {
      devices = new Map();
      this.byAddress.set(address, devices);
    }
    const device = new Device(deviceId, address, port, now);
    devices.set(port * 256 + deviceId, device);
    this.count++;
    return device;
  }

  *all(): IterableIterator<Device> {
    for (const devices of this.byAddress.values()) yield* devices.values();
  }

  private evictIdle(): void {
    const idle = [...this.all()].filter((device) => device.active === undefined);
    idle.sort((a, b) => a.lastHeardAt - b.lastHeardAt);
    for (const device of idle.slice(0, Math.max(1, Math.ceil(this.capacity / 8)))) this.remove(device);
  }

  private remove(device: Device): void {
    const devices = this.byAddress.get(device.address);
    if (!devices?.delete(device.port * 256 + device.deviceId)) return;
    this.count--;
    if (devices.size === 0) this.byAddress.delete(device.address);
  }
}
