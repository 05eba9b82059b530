import { createSocket, type Socket } from 'node:dgram';
import { SeededRandom } from '#camera-emulator';
import { CameraOp, ClientType, DATA_HEADER_BYTES, encodeDeviceFrame } from '#protocol';
import { distribution } from '../../apps/esp-sim/src/index.js';
import type { BenchContext } from './bench-context.js';
import { MB } from './fleet-bench.js';
import { productionSettings, withGateway } from './gateway-runs.js';
import { PingClient, type PingSeries } from './ping-client.js';
import { RssSampler, udpReceiveBufferErrors } from './process-stats.js';

/** The memory-under-flood section. */
export interface FloodResult {
  readonly rssBeforeBytes: number;
  readonly rssPeakBytes: number;
  readonly sent: number;
  readonly sentPerSecond: number;
  /** Transfers the bogus requests opened (accepted, never fed). */
  readonly transfersOpened: number;
}

/** Sockets flooding, each on its own 127.3.0.x address. */
const SOCKETS = 32;

/** Of them, the ones that only send data packets (no upload request ever): no such transfer. */
const DATA_ONLY_SOCKETS = 8;

/** Datagrams each socket sends before yielding to the event loop. */
const BURST = 16;

/** Packet size the bogus requests announce: the largest image the firmware can send. */
const ANNOUNCED_PACKET_SIZE = 1460;
const ANNOUNCED_PACKETS = 255;

/** A mix of what a hostile or broken sender throws at the port, none of it a real upload. */
class BogusSender {
  sent = 0;
  private readonly random: SeededRandom;
  private id = 0;

  constructor(
    private readonly socket: Socket,
    private readonly target: { address: string; port: number },
    private readonly dataOnly: boolean,
    seed: number,
  ) {
    this.random = new SeededRandom(seed);
  }

  /** The next bogus datagram. */
  next(): Buffer {
    this.id = (this.id + 1) % 256;
    const pick = this.dataOnly ? 3 : this.random.below(10);
    if (pick < 3) {
      // Garbage: an unknown client type, random bytes.
      const garbage = this.random.bytes(1 + this.random.below(200));
      garbage[0] = 2 + this.random.below(254);
      return garbage;
    }
    if (pick < 7) {
      // An upload request for the largest image, never followed by data.
      return encodeDeviceFrame({
        kind: 'upload-request',
        deviceId: this.id,
        packetCount: ANNOUNCED_PACKETS,
        maxPacketSize: ANNOUNCED_PACKET_SIZE,
        imageSize: undefined,
      });
    }
    if (pick < 9) {
      // A full-size data packet of no transfer.
      return encodeDeviceFrame({
        kind: 'data',
        deviceId: this.id,
        index: this.random.below(255),
        declaredLength: ANNOUNCED_PACKET_SIZE - DATA_HEADER_BYTES,
        payload: Buffer.alloc(ANNOUNCED_PACKET_SIZE - DATA_HEADER_BYTES),
      });
    }
    // A truncated data header.
    return Buffer.from([ClientType.CableCamera, this.id, CameraOp.DataPacket, 0, 0]);
  }

  /** Sends bursts until `stopped()`, yielding between bursts. */
  async run(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      const sends: Promise<void>[] = [];
      for (let index = 0; index < BURST; index++) {
        const datagram = this.next();
        sends.push(
          new Promise((resolve) =>
            this.socket.send(datagram, this.target.port, this.target.address, () => resolve()),
          ),
        );
      }
      await Promise.all(sends);
      this.sent += BURST;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function openSocket(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/**
 * Memory under a flood of bogus datagrams: garbage, upload requests for the largest image never
 * followed by data, data packets of no transfer, truncated headers, from 32 addresses as fast as
 * the bench process can send them, against a production-configured gateway whose resident memory
 * is sampled; pings go on meanwhile.
 */
export async function runFlood(context: BenchContext): Promise<FloodResult> {
  const { floodMs } = context.scale;
  return withGateway(context, 'flood', productionSettings(context), async (gateway) => {
    const target = gateway.process.udp;
    const rssBeforeBytes = gateway.process.rssBytes() ?? 0;
    const sockets = await Promise.all(
      Array.from({ length: SOCKETS }, (_, index) => openSocket(`127.3.0.${index + 1}`)),
    );
    const senders = sockets.map(
      (socket, index) => new BogusSender(socket, target, index >= SOCKETS - DATA_ONLY_SOCKETS, index + 1),
    );
    const pinger = await PingClient.open(target);
    context.progress(`memory: flooding the gateway with bogus datagrams for ${floodMs} ms`);
    const sampler = new RssSampler(gateway.process.pid);
    const dropsBefore = udpReceiveBufferErrors();
    const startedAt = performance.now();
    const stopAt = startedAt + floodMs;
    const stopped = (): boolean => performance.now() >= stopAt;
    let pings: PingSeries;
    try {
      [pings] = await Promise.all([
        pinger.series(Number.MAX_SAFE_INTEGER, 20, 1000, stopped),
        ...senders.map((sender) => sender.run(stopped)),
      ]);
    } finally {
      await pinger.close();
      await Promise.all(
        sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
      );
    }
    const elapsedMs = performance.now() - startedAt;
    const dropsAfter = udpReceiveBufferErrors();
    const kernelDrops =
      dropsBefore === undefined || dropsAfter === undefined ? 'n/a' : String(dropsAfter - dropsBefore);
    const { peakBytes } = sampler.stop();
    const sent = senders.reduce((sum, sender) => sum + sender.sent, 0);
    const transfersOpened = await gateway.metric('cable_inspector_transfers_active');
    const rejected = await gateway.metric('cable_inspector_udp_datagrams_rejected_total');
    const pingStats = distribution(pings.rttMs);
    context.record({
      key: 'memory.rss-flood-peak-mb',
      section: 'memory',
      label: 'gateway peak during a flood of bogus datagrams',
      value: peakBytes / MB,
      unit: 'MB',
      detail:
        `${(rssBeforeBytes / MB).toFixed(0)} MB before; ${sent.toLocaleString('en-US')} datagrams in ${(elapsedMs / 1000).toFixed(1)} s ` +
        `(${Math.round((sent * 1000) / elapsedMs).toLocaleString('en-US')}/s); ${transfersOpened} transfers held open, ` +
        `${rejected} datagrams rejected by the decoder, ${kernelDrops} dropped by the kernel (receive buffer full, machine-wide); ` +
        `pings meanwhile p99 ${pingStats.p99?.toFixed(2)} ms, ${pings.lost} lost`,
    });
    context.note(
      'Memory: VmRSS of the gateway child (/proc/<pid>/status) sampled every 50 ms. The flood mixes garbage (30%), ' +
        `upload requests announcing ${ANNOUNCED_PACKETS} × ${ANNOUNCED_PACKET_SIZE} bytes never followed by data (40%), ` +
        'full-size data packets of no transfer (20%) and truncated headers (10%), from 32 loopback addresses.',
    );
    return {
      rssBeforeBytes,
      rssPeakBytes: peakBytes,
      sent,
      sentPerSecond: (sent * 1000) / elapsedMs,
      transfersOpened,
    };
  });
}
