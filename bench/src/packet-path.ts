import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '#camera-emulator';
import type { BenchContext } from './bench-context.js';
import { startBaselineChild } from './baseline-server.js';
import { PACKET_PATH_DEVICES, SPOOL_SETTINGS } from './figures.js';
import { withGateway } from './gateway-runs.js';
import { LockstepDevice } from './lockstep-device.js';
import { ownCpuTimeMs } from './process-stats.js';

/** Which server a packet-path point measured. */
export type PacketTarget = 'baseline' | (typeof SPOOL_SETTINGS)[number];

/** One point: a server, a number of lockstep devices, what it sustained. */
export interface PacketPoint {
  readonly target: PacketTarget;
  readonly devices: number;
  readonly acksPerSecond: number;
  /** CPU time of the server process per ACK (every thread: the spool's I/O threads included). */
  readonly serverCpuUsPerAck: number | null;
  /** Server process CPU, in % of one core, over the window. */
  readonly serverCpuPercent: number | null;
  /** The bench process's CPU over the window (the generator): near 100% means it was the limit. */
  readonly generatorCpuPercent: number;
  /** Datagrams the devices had to send again (a stall of 500 ms). */
  readonly resends: number;
}

/** The whole packet-path section. */
export interface PacketPathResult {
  readonly points: readonly PacketPoint[];
}

/** A server the devices can load, with its CPU time readable. */
interface LoadedServer {
  readonly udp: Endpoint;
  cpuMs(): number | undefined;
}

/** How long the finishing images may take after the window before the devices are closed anyway. */
const DRAIN_MS = 5000;

/** Loopback address of lockstep device `index` (each its own, like real cameras). */
function lockstepAddress(index: number): string {
  return `127.2.${Math.floor(index / 250) + 1}.${(index % 250) + 1}`;
}

/**
 * One point: `devices` lockstep devices each upload one image (the gateway's 40 ms flow probe
 * happens once per device, here), then upload back to back while the ACKs of a window are counted.
 */
async function measure(
  context: BenchContext,
  server: LoadedServer,
  target: PacketTarget,
  devices: number,
): Promise<PacketPoint> {
  const { packetWindowMs, packetImageBytes } = context.scale;
  const fleet = await Promise.all(
    Array.from({ length: devices }, (_, index) =>
      LockstepDevice.open(server.udp, index % 256, lockstepAddress(index), packetImageBytes),
    ),
  );
  try {
    await Promise.all(fleet.map((device) => device.upload(1)));
    const running = Promise.all(fleet.map((device) => device.upload(Infinity)));
    // Observed after the window; a device that gives up meanwhile must not be an unhandled rejection.
    running.catch(() => undefined);
    const acks = (): number => fleet.reduce((sum, device) => sum + device.acks, 0);
    const acksBefore = acks();
    const serverCpuBefore = server.cpuMs();
    const ownCpuBefore = ownCpuTimeMs();
    const startedAt = performance.now();
    await sleep(packetWindowMs);
    const elapsedMs = performance.now() - startedAt;
    const acked = acks() - acksBefore;
    const serverCpuAfter = server.cpuMs();
    const ownCpu = ownCpuTimeMs() - ownCpuBefore;
    for (const device of fleet) device.finishImage();
    await Promise.race([running, sleep(DRAIN_MS)]);
    const serverCpu =
      serverCpuBefore === undefined || serverCpuAfter === undefined
        ? undefined
        : serverCpuAfter - serverCpuBefore;
    return {
      target,
      devices,
      acksPerSecond: (acked * 1000) / elapsedMs,
      serverCpuUsPerAck: serverCpu === undefined || acked === 0 ? null : (serverCpu * 1000) / acked,
      serverCpuPercent: serverCpu === undefined ? null : (100 * serverCpu) / elapsedMs,
      generatorCpuPercent: (100 * ownCpu) / elapsedMs,
      resends: fleet.reduce((sum, device) => sum + device.resends, 0),
    };
  } finally {
    await Promise.all(fleet.map((device) => device.close()));
  }
}

async function measureAll(
  context: BenchContext,
  server: LoadedServer,
  target: PacketTarget,
): Promise<PacketPoint[]> {
  const points: PacketPoint[] = [];
  for (const devices of PACKET_PATH_DEVICES) {
    context.progress(`  ${target}: ${devices} lockstep device(s), ${context.scale.packetWindowMs} ms window`);
    points.push(await measure(context, server, target, devices));
  }
  return points;
}

function describe(point: PacketPoint): string {
  const cpu =
    point.serverCpuUsPerAck === null
      ? ''
      : `, server ${point.serverCpuUsPerAck.toFixed(1)} µs CPU/ACK at ${point.serverCpuPercent!.toFixed(0)}% CPU`;
  return `${Math.round(point.acksPerSecond)} ACK/s${cpu}, generator ${point.generatorCpuPercent.toFixed(0)}% CPU, ${point.resends} resends`;
}

/**
 * Packet path: ACKed data packets per second of the gateway (spool on, then off; analysis off so
 * that only the datagram path is measured) against the bare baseline server, at 1, 16 and 64
 * lockstep devices, every server in a child process of its own.
 */
export async function runPacketPath(context: BenchContext): Promise<PacketPathResult> {
  context.progress('packet path: baseline server');
  const baseline = await startBaselineChild(context.workDir);
  let points: PacketPoint[];
  try {
    points = await measureAll(context, { udp: baseline.udp, cpuMs: () => baseline.cpuMs() }, 'baseline');
  } finally {
    await baseline.stop();
  }
  for (const spool of SPOOL_SETTINGS) {
    context.progress(`packet path: gateway, ${spool}`);
    const settings = { SPOOL_ENABLED: spool === 'spool-on' ? 'true' : 'false', ANALYSIS_ENABLED: 'false' };
    points = points.concat(
      await withGateway(context, `packet path ${spool}`, settings, (gateway) =>
        measureAll(context, { udp: gateway.process.udp, cpuMs: () => gateway.process.cpuMs() }, spool),
      ),
    );
  }
  for (const devices of PACKET_PATH_DEVICES) {
    const base = points.find((point) => point.target === 'baseline' && point.devices === devices)!;
    context.record({
      key: `packet-path.baseline.n${devices}.acks-per-second`,
      section: 'packet-path',
      label: `baseline, ${devices} device(s)`,
      value: base.acksPerSecond,
      unit: 'ACK/s',
      detail: describe(base),
    });
    for (const spool of SPOOL_SETTINGS) {
      const point = points.find((each) => each.target === spool && each.devices === devices)!;
      context.record({
        key: `packet-path.${spool}.n${devices}.acks-per-second`,
        section: 'packet-path',
        label: `gateway ${spool}, ${devices} device(s)`,
        value: point.acksPerSecond,
        unit: 'ACK/s',
        detail: describe(point),
      });
      context.record({
        key: `packet-path.${spool}.n${devices}.ratio`,
        section: 'packet-path',
        label: `gateway ${spool} / baseline, ${devices} device(s)`,
        value: base.acksPerSecond > 0 ? point.acksPerSecond / base.acksPerSecond : null,
        unit: '×',
        detail: `${Math.round(point.acksPerSecond)} / ${Math.round(base.acksPerSecond)} ACK/s`,
      });
    }
  }
  context.note(
    'Packet path: lockstep (stop-and-wait) devices at P = 1460, each on its own 127.2.x.y address, ' +
      `${Math.round(context.scale.packetImageBytes / 1452)}-packet images back to back; each device uploads one image ` +
      'first (the 40 ms flow probe), then ACKs are counted over the window. The gateway runs with ' +
      'ANALYSIS_ENABLED=false (datagram path only; images are still stored and fsynced); the baseline decodes ' +
      'with the same codec and ACKs at once, nothing else. Both servers run in child processes.',
  );
  return { points };
}
