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

function describe(point: PacketPoint): string {
  const cpu =
    point.serverCpuUsPerAck === null
      ? ''
      : `, server ${point.serverCpuUsPerAck.toFixed(1)} µs CPU/ACK at ${point.serverCpuPercent!.toFixed(0)}% CPU`;
  return `${Math.round(point.acksPerSecond)} ACK/s${cpu}, generator ${point.generatorCpuPercent.toFixed(0)}% CPU, ${point.resends} resends`;
}

/** The median of the rounds' points (by ACK rate), with the spread of the rounds in its detail. */
function medianPoint(rounds: readonly PacketPoint[]): PacketPoint & { readonly spread: string } {
  const sorted = [...rounds].sort((a, b) => a.acksPerSecond - b.acksPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const spread =
    sorted.length > 1
      ? `median of ${sorted.length} rounds, ${Math.round(sorted[0]!.acksPerSecond)}–${Math.round(sorted.at(-1)!.acksPerSecond)}`
      : '1 round';
  return { ...median, spread };
}

/**
 * Packet path: ACKed data packets per second of the gateway (spool on and off; analysis off so
 * that only the datagram path is measured) against the bare baseline server, at 1, 16 and 64
 * lockstep devices, every server in a child process of its own. The three servers run side by
 * side and are measured in turn, in rounds whose order rotates, each figure the median of its
 * rounds: a machine whose speed drifts during the run then weighs on every server alike.
 */
export async function runPacketPath(context: BenchContext): Promise<PacketPathResult> {
  context.progress('packet path: baseline server and the gateway with the spool on and off');
  const baseline = await startBaselineChild(context.workDir);
  // Lockstep devices upload back to back: the accept hold between two images of a device would
  // idle them a quarter of a second an image; the per-packet path is what is measured here.
  const gatewaySettings = (spool: (typeof SPOOL_SETTINGS)[number]) => ({
    SPOOL_ENABLED: spool === 'spool-on' ? 'true' : 'false',
    ANALYSIS_ENABLED: 'false',
    ACCEPT_HOLD_MS: '0',
  });
  let rounds: PacketPoint[] = [];
  try {
    rounds = await withGateway(context, 'packet path spool-on', gatewaySettings('spool-on'), (spoolOn) =>
      withGateway(context, 'packet path spool-off', gatewaySettings('spool-off'), async (spoolOff) => {
        const servers: [PacketTarget, LoadedServer][] = [
          ['baseline', { udp: baseline.udp, cpuMs: () => baseline.cpuMs() }],
          ['spool-on', { udp: spoolOn.process.udp, cpuMs: () => spoolOn.process.cpuMs() }],
          ['spool-off', { udp: spoolOff.process.udp, cpuMs: () => spoolOff.process.cpuMs() }],
        ];
        const measured: PacketPoint[] = [];
        const { packetRounds, packetWindowMs } = context.scale;
        for (let round = 0; round < packetRounds; round++) {
          for (const devices of PACKET_PATH_DEVICES) {
            const order = servers.map((_, index) => servers[(index + round) % servers.length]!);
            context.progress(
              `  round ${round + 1}/${packetRounds}, ${devices} lockstep device(s), ${packetWindowMs} ms each: ` +
                order.map(([target]) => target).join(', '),
            );
            for (const [target, server] of order)
              measured.push(await measure(context, server, target, devices));
          }
        }
        return measured;
      }),
    );
  } finally {
    await baseline.stop();
  }
  const pointOf = (target: PacketTarget, devices: number) =>
    medianPoint(rounds.filter((point) => point.target === target && point.devices === devices));
  const points = PACKET_PATH_DEVICES.flatMap((devices) =>
    (['baseline', ...SPOOL_SETTINGS] as const).map((target) => pointOf(target, devices)),
  );
  for (const devices of PACKET_PATH_DEVICES) {
    const base = points.find((point) => point.target === 'baseline' && point.devices === devices)!;
    context.record({
      key: `packet-path.baseline.n${devices}.acks-per-second`,
      section: 'packet-path',
      label: `baseline, ${devices} device(s)`,
      value: base.acksPerSecond,
      unit: 'ACK/s',
      detail: `${describe(base)}; ${base.spread}`,
    });
    for (const spool of SPOOL_SETTINGS) {
      const point = points.find((each) => each.target === spool && each.devices === devices)!;
      context.record({
        key: `packet-path.${spool}.n${devices}.acks-per-second`,
        section: 'packet-path',
        label: `gateway ${spool}, ${devices} device(s)`,
        value: point.acksPerSecond,
        unit: 'ACK/s',
        detail: `${describe(point)}; ${point.spread}`,
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
    recordSpoolCost(context, rounds, devices);
  }
  context.note(
    'Packet path: lockstep (stop-and-wait) devices at P = 1460, each on its own 127.2.x.y address, ' +
      `${Math.round(context.scale.packetImageBytes / 1452)}-packet images back to back; each device uploads one image ` +
      'first (the 40 ms flow probe), then ACKs are counted over the window. The gateway runs with ' +
      'ANALYSIS_ENABLED=false (datagram path only; images are still stored and fsynced); the baseline decodes ' +
      'with the same codec and ACKs at once, nothing else. All three servers run in child processes, side by side, ' +
      `measured in turn in ${context.scale.packetRounds} round(s) whose order rotates; each figure is the median of its rounds. ` +
      'The spool cost pairs the spool-on and spool-off points of each round.',
  );
  return { points };
}

/**
 * What the spool costs the packet path: 1 − spool-on / spool-off, paired within each round (the
 * two measured minutes apart at most), the median of the rounds.
 */
function recordSpoolCost(context: BenchContext, rounds: readonly PacketPoint[], devices: number): void {
  const of = (target: PacketTarget) =>
    rounds.filter((point) => point.target === target && point.devices === devices);
  const [on, off] = [of('spool-on'), of('spool-off')];
  const costs = on
    .map((point, round) =>
      off[round]!.acksPerSecond > 0 ? 1 - point.acksPerSecond / off[round]!.acksPerSecond : NaN,
    )
    .filter((cost) => Number.isFinite(cost))
    .sort((a, b) => a - b);
  const median = costs.length > 0 ? costs[Math.floor((costs.length - 1) / 2)]! : null;
  context.record({
    key: `packet-path.spool-cost.n${devices}`,
    section: 'packet-path',
    label: `spool cost (1 − spool-on / spool-off), ${devices} device(s)`,
    value: median === null ? null : 100 * median,
    unit: '%',
    detail: `rounds: ${costs.map((cost) => `${(100 * cost).toFixed(1)}%`).join(', ')}`,
  });
}
