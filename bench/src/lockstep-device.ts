import { createSocket, type Socket } from 'node:dgram';
import { dataPacket, planPackets, syntheticJpeg, type Endpoint } from '#camera-emulator';
import { CameraOp, ClientType, encodeDeviceFrame, ReplyStatus } from '#protocol';

/** The packet size of the Ethernet builds: the most payload a packet. */
const PACKET_SIZE = 1460;

/** An unanswered datagram is sent again after this long (loopback never loses; a stall would). */
const RESEND_AFTER_MS = 500;

/** How often the stall watchdog looks. */
const WATCHDOG_MS = 100;

/** With no reply for this long the server is taken for dead: the upload fails instead of hanging. */
const GIVE_UP_AFTER_MS = 15_000;

type Phase = 'idle' | 'requesting' | 'sending';

/** Where packet 0 carries the image's number: in its payload, after the 8-byte data header. */
const IMAGE_NUMBER_OFFSET = 8 + 16;

/**
 * A lean stop-and-wait load generator speaking the generation-A protocol: upload request, then
 * one data packet at a time, the next as soon as the previous is ACKed, image after image. Every
 * datagram is encoded once up front, and a reply is recognised from its first bytes, so that the
 * generator costs far less CPU than the server it loads (the byte-exact emulator, with its timers
 * per wait, would be the bottleneck of a packet-rate measurement). It confirms op-4 results.
 */
export class LockstepDevice {
  /** Data packets ACKed since opening. */
  acks = 0;
  /** Images whose last packet was ACKed. */
  images = 0;
  /** Datagrams sent again after a stall. */
  resends = 0;
  private phase: Phase = 'idle';
  private next = 0;
  private lastProgressAt = 0;
  private lastReplyAt = performance.now();
  private imagesLeft = 0;
  private whenDone: ((error?: Error) => void) | undefined;
  private readonly request: Buffer;
  private readonly packets: Buffer[];
  private readonly confirm: Buffer;
  private readonly watchdog: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    private readonly server: Endpoint,
    private readonly deviceId: number,
    imageBytes: number,
  ) {
    const plan = planPackets(imageBytes, PACKET_SIZE, false);
    const image = syntheticJpeg(imageBytes, deviceId + 1);
    this.request = encodeDeviceFrame({
      kind: 'upload-request',
      deviceId,
      packetCount: plan.packetCount,
      maxPacketSize: PACKET_SIZE,
      imageSize: undefined,
    });
    this.packets = Array.from({ length: plan.packetCount }, (_, index) =>
      dataPacket(deviceId, image, plan, index),
    );
    this.confirm = encodeDeviceFrame({ kind: 'confirm', deviceId, confirmedOp: CameraOp.AnalysisResult });
    socket.on('message', (reply) => this.receive(reply));
    this.watchdog = setInterval(() => this.checkStall(), WATCHDOG_MS);
  }

  static open(
    server: Endpoint,
    deviceId: number,
    bindAddress: string,
    imageBytes: number,
  ): Promise<LockstepDevice> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, bindAddress, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(new LockstepDevice(socket, server, deviceId, imageBytes));
      });
    });
  }

  /**
   * Uploads `count` images back to back (Infinity: until {@link finishImage}); resolves when done.
   * Rejects when the server has not answered for 15 s.
   */
  upload(count: number): Promise<void> {
    this.imagesLeft = count;
    return new Promise((resolve, reject) => {
      this.whenDone = (error) => (error ? reject(error) : resolve());
      this.startImage();
    });
  }

  /** Lets the image in progress finish, then stops. */
  finishImage(): void {
    this.imagesLeft = Math.min(this.imagesLeft, 1);
  }

  close(): Promise<void> {
    clearInterval(this.watchdog);
    this.phase = 'idle';
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private startImage(): void {
    this.lastReplyAt = performance.now();
    // Each image its own bytes (the gateway stores an image identical to the last one only once).
    this.packets[0]!.writeUInt32BE(this.images >>> 0, IMAGE_NUMBER_OFFSET);
    if (this.imagesLeft <= 0) {
      this.phase = 'idle';
      const done = this.whenDone;
      this.whenDone = undefined;
      done?.();
      return;
    }
    this.phase = 'requesting';
    this.transmit(this.request);
  }

  private receive(reply: Buffer): void {
    if (reply.length < 5 || reply[0] !== ClientType.CableCamera || reply[1] !== this.deviceId) return;
    this.lastReplyAt = performance.now();
    const op = reply[2];
    if (op === CameraOp.DataPacket) {
      if (this.phase !== 'sending' || reply[3] !== this.next || reply[4] !== ReplyStatus.Ok) return;
      this.acks++;
      this.next++;
      if (this.next < this.packets.length) {
        this.transmit(this.packets[this.next]!);
        return;
      }
      this.images++;
      this.imagesLeft--;
      this.startImage();
    } else if (op === CameraOp.UploadRequest) {
      if (this.phase !== 'requesting' || reply[3] !== ReplyStatus.Ok) return;
      this.phase = 'sending';
      this.next = 0;
      this.transmit(this.packets[0]!);
    } else if (op === CameraOp.AnalysisResult) {
      this.socket.send(this.confirm, this.server.port, this.server.address);
    }
  }

  private transmit(datagram: Buffer): void {
    this.lastProgressAt = performance.now();
    this.socket.send(datagram, this.server.port, this.server.address);
  }

  private checkStall(): void {
    if (this.phase === 'idle' || performance.now() - this.lastProgressAt < RESEND_AFTER_MS) return;
    if (performance.now() - this.lastReplyAt > GIVE_UP_AFTER_MS) {
      this.phase = 'idle';
      const done = this.whenDone;
      this.whenDone = undefined;
      done?.(
        new Error(
          `device ${this.deviceId}: no reply from ${this.server.address}:${this.server.port} for 15 s`,
        ),
      );
      return;
    }
    this.resends++;
    this.transmit(this.phase === 'requesting' ? this.request : this.packets[this.next]!);
  }
}
