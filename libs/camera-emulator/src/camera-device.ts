import { awaitAnalysis } from './analysis-wait.js';
import { runBurst } from './burst.js';
import type { DeviceObserver } from './device-events.js';
import { DeviceSocket, type DeviceTransport, type Endpoint, type TransportFactory } from './device-socket.js';
import { realClock, type EmulatorClock } from './emulator-clock.js';
import {
  FACTORY_DEVICE_ID,
  FIRMWARE,
  isStopAndWait,
  REPLY_BUFFER_BYTES,
  type FirmwareProfile,
} from './firmware.js';
import type { LinkCounters, LinkDirection, LinkOptions } from './lossy-link.js';
import { planPackets } from './packet-plan.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { ReplyReader } from './reply-reader.js';
import { screenReply } from './reply-screen.js';
import { runStopAndWait } from './stop-and-wait.js';
import { scaleTiming, type FirmwareTiming } from './timing.js';
import type { AnalysisOutcome, UploadResult } from './upload-result.js';
import { UploadSession } from './upload-session.js';
import { UploadStopped } from './upload-stopped.js';

/** How to build and where to put one emulated camera. Only `server` is required. */
export interface CameraDeviceOptions {
  /** The gateway: an IP address (not a host name: replies are checked against it) and a port. */
  readonly server: Endpoint;
  /** The build to emulate; `FIRMWARE.A_WIFI` by default. */
  readonly firmware?: FirmwareProfile;
  /** Byte 1 of every frame; 99, the factory default, by default. */
  readonly deviceId?: number;
  /** Local address; `127.0.0.1` by default (any 127.x.y.z is loopback on Linux). */
  readonly bindAddress?: string;
  /** Local port; 0 (any free port) by default. */
  readonly bindPort?: number;
  /** Overrides the build's P (generation A: 1024 or 1460). */
  readonly maxPacketSize?: number;
  /** Overrides the build's timing. */
  readonly timing?: FirmwareTiming;
  /** Multiplies every wait of the timing (0.1: ten times faster); 1 by default. */
  readonly timeScale?: number;
  /** Emulates N one too large when the image size is a multiple of P-8; on by default, like the firmware. */
  readonly exactMultipleBug?: boolean;
  /** Loss, duplication, delay and reordering both ways; a perfect link by default. */
  readonly link?: LinkOptions;
  /** Where the device reads time and sets its timers; the real clock by default. */
  readonly clock?: EmulatorClock;
  /**
   * What the device sends and receives through; its own UDP socket (bound to `bindAddress` and
   * `bindPort`) by default.
   */
  readonly transport?: TransportFactory;
  /** Told of every step of every upload. */
  readonly observer?: DeviceObserver;
}

/** Options of one upload. */
export interface UploadOptions {
  /**
   * Ends the upload (`gaveUp: 'deadline'`) after this many milliseconds: generation A never gives
   * up by itself. No deadline by default.
   */
  readonly deadlineMs?: number;
  /** Stops before sending packet number `stopAfterPackets` for the first time, as a restart would. */
  readonly stopAfterPackets?: number;
  /** Ends the upload (`gaveUp: 'aborted'`) when it aborts. */
  readonly signal?: AbortSignal;
  /** After a completed upload, waits this long for the op-4 analysis result and confirms it. */
  readonly awaitAnalysisMs?: number;
}

/**
 * One emulated ESP32-CAM with its own UDP socket: uploads images byte for byte as the chosen
 * firmware build does, through an optional lossy link, and reports how it went and every
 * protocol violation it received. One upload at a time; a device keeps its socket (and what its
 * network stack buffered) from one upload to the next, like the real one.
 */
export class CameraDevice {
  readonly firmware: FirmwareProfile;
  readonly deviceId: number;
  readonly timing: FirmwareTiming;
  /** Violations received while no upload was in progress. */
  readonly strayViolations: string[] = [];
  private readonly buffer: ReceiveBuffer;
  private readonly reader: ReplyReader;
  private readonly clock: EmulatorClock;
  private socket!: DeviceTransport;
  private session: UploadSession | undefined;
  private stopCurrent: ((stop: UploadStopped) => void) | undefined;
  private closed = false;

  private constructor(private readonly options: CameraDeviceOptions) {
    const firmware = options.firmware ?? FIRMWARE.A_WIFI;
    this.firmware = Object.freeze({
      ...firmware,
      maxPacketSize: options.maxPacketSize ?? firmware.maxPacketSize,
    });
    this.deviceId = options.deviceId ?? FACTORY_DEVICE_ID;
    const timing = options.timing ?? firmware.timing;
    this.timing = options.timeScale === undefined ? timing : scaleTiming(timing, options.timeScale);
    this.clock = options.clock ?? realClock;
    this.buffer = new ReceiveBuffer({
      capacityBytes: firmware.receiveBufferBytes,
      overheadBytes: firmware.receiveOverheadBytes,
      clock: this.clock,
    });
    this.reader = new ReplyReader(this.buffer, firmware.replyReads);
  }

  /** Creates a device and opens its transport (binds its socket). */
  static async open(options: CameraDeviceOptions): Promise<CameraDevice> {
    const device = new CameraDevice(options);
    const link = options.clock ? { ...options.link, clock: options.clock } : options.link;
    const open: TransportFactory =
      options.transport ??
      ((linkOptions, listener) =>
        DeviceSocket.open(
          {
            bindAddress: options.bindAddress ?? '127.0.0.1',
            bindPort: options.bindPort ?? 0,
            server: options.server,
            link: linkOptions,
          },
          listener,
        ));
    device.socket = await open(link, (datagram, from) => device.receive(datagram, from));
    return device;
  }

  /** The address and port the device sends from. */
  get local(): Endpoint {
    return this.socket.local;
  }

  /** What the link did so far, each way. */
  get linkCounters(): Readonly<Record<LinkDirection, Readonly<LinkCounters>>> {
    return this.socket.link.counters;
  }

  /** Whether an upload is in progress. */
  get busy(): boolean {
    return this.session !== undefined;
  }

  /**
   * Uploads `image` the way the firmware does, and resolves with how it went; never rejects for
   * anything the network or the server does.
   *
   * @throws Error when the device is closed or already uploading; RangeError when the image cannot
   * be cut into at most 255 packets.
   */
  async upload(image: Buffer, options: UploadOptions = {}): Promise<UploadResult> {
    if (this.closed) throw new Error('the device is closed');
    if (this.session) throw new Error('the device is already uploading');
    const plan = planPackets(
      image.length,
      this.firmware.maxPacketSize,
      this.options.exactMultipleBug ?? true,
    );
    const controller = new AbortController();
    const stop = (reason: UploadStopped): void => controller.abort(reason);
    const cancelDeadline =
      options.deadlineMs === undefined
        ? undefined
        : this.clock.setTimeout(() => stop(new UploadStopped('deadline')), options.deadlineMs);
    const onCallerAbort = (): void => stop(new UploadStopped('aborted'));
    if (options.signal?.aborted) onCallerAbort();
    options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const session = new UploadSession({
      deviceId: this.deviceId,
      firmware: this.firmware,
      timing: this.timing,
      clock: this.clock,
      image,
      plan,
      stopAfterPackets: options.stopAfterPackets,
      send: (datagram) => this.socket.send(datagram),
      reader: this.reader,
      signal: controller.signal,
      observer: this.options.observer,
    });
    this.session = session;
    this.stopCurrent = stop;
    const startedAt = this.clock.now();
    let gaveUp: UploadStopped['reason'] | undefined;
    let analysis: AnalysisOutcome | undefined;
    try {
      try {
        await (isStopAndWait(this.firmware.generation) ? runStopAndWait(session) : runBurst(session));
      } catch (error) {
        if (!(error instanceof UploadStopped)) throw error;
        gaveUp = error.reason;
      }
      if (gaveUp === undefined && options.awaitAnalysisMs !== undefined) {
        analysis = await awaitAnalysis(session, options.awaitAnalysisMs);
      }
    } finally {
      cancelDeadline?.();
      options.signal?.removeEventListener('abort', onCallerAbort);
      this.session = undefined;
      this.stopCurrent = undefined;
    }
    const result: UploadResult = {
      ok: gaveUp === undefined,
      generation: this.firmware.generation,
      deviceId: this.deviceId,
      packets: plan.packetCount,
      bytes: image.length,
      durationMs: this.clock.now() - startedAt,
      ...session.counters,
      ...(gaveUp === undefined ? {} : { gaveUp }),
      violations: session.violations,
      ...(analysis === undefined ? {} : { analysis }),
    };
    session.emit({ type: 'finished', result });
    return result;
  }

  /** Ends the upload in progress (`gaveUp: 'closed'`) and closes the socket. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopCurrent?.(new UploadStopped('closed'));
    await this.socket.close();
  }

  /** Every datagram that crossed the link: checked, then kept for the firmware to read. */
  private receive(datagram: Buffer, from: Endpoint): void {
    const session = this.session;
    const record = (message: string): void => {
      if (session) session.violation(message);
      else this.strayViolations.push(message);
    };
    const server = this.options.server;
    if (from.address !== server.address) {
      record(
        `reply from ${from.address}:${from.port}, not from the server address ${server.address}: ` +
          datagram.subarray(0, REPLY_BUFFER_BYTES).toString('hex'),
      );
      if (this.firmware.checksSourceAddress) return;
    }
    const context = {
      deviceId: this.deviceId,
      generation: this.firmware.generation,
      packetCount: session?.plan.packetCount,
    };
    for (const violation of screenReply(datagram, context)) record(violation);
    if (!this.buffer.push(datagram)) session?.bufferDrop(datagram.length);
  }
}
