import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CameraDevice, FIRMWARE_PORT, SeededRandom, VirtualNetwork, VirtualTime } from '#camera-emulator';
import type { Fault, Schedule } from './schedule.js';
import { check, readdirOrEmpty, type Finding, type Upload } from './schedule-check.js';
import { InFlight, SimulatedGateway, type GatewaySettings } from './simulated-gateway.js';

/** How one schedule went. */
export interface ScheduleOutcome {
  readonly seed: number;
  readonly findings: readonly Finding[];
  readonly uploads: number;
  readonly completed: number;
  /** Generation-B uploads that ended with the firmware giving up. */
  readonly burstGaveUp: number;
  readonly virtualMs: number;
}

/** Simulated time a schedule may take at most: long after its last fault, generation A has long finished. */
const DEADLINE_MS = 20 * 60_000;

/** The gateway's address on the simulated network. */
const SERVER = { address: '127.0.0.1', port: 44444 };

/** SIGTERM grace of the simulated gateway (SHUTDOWN_GRACE_MS). */
const GRACE_MS = 10_000;

/**
 * Where schedules keep their files: a memory file system when the machine has one (thousands of
 * fsyncs on a real disk would be the slowest part of the run), the temporary folder otherwise.
 */
function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/**
 * Runs `schedule` against the real transfer service, spool and image store (in a temporary
 * directory), every camera a byte-exact firmware emulation, in simulated time; then checks the
 * guarantees against what the cameras sent and what they were told.
 */
export async function runSchedule(
  schedule: Schedule,
  settings: GatewaySettings = {},
  trace?: (line: string) => void,
): Promise<ScheduleOutcome> {
  const root = await mkdtemp(join(scratchRoot(), 'schedule-'));
  const storageDir = join(root, 'images');
  const time = new VirtualTime();
  const started = time.now();
  const network = new VirtualNetwork(time, SERVER);
  const log = (line: string): void => trace?.(`${String(time.now() - started).padStart(8)} ${line}`);
  if (trace) {
    network.observer = (direction, datagram, device) =>
      log(
        `${direction === 'to-server' ? '→' : '←'} ${device.address} [${[...datagram.subarray(0, 12)].join(',')}${datagram.length > 12 ? `…+${datagram.length - 12}` : ''}]`,
      );
  }
  const inFlight = new InFlight();
  const settle = async (): Promise<void> => {
    for (let turn = 0; turn < 2; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (inFlight.size > 0) {
        await inFlight.settle();
        turn = 0;
      }
    }
  };
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => time.setTimeout(resolve, ms));
  const random = new SeededRandom(schedule.seed ^ 0x2545f491);
  const uploads: Upload[] = [];
  const damagedAt: number[] = [];
  const devices = new Set<CameraDevice>();
  let gateway: SimulatedGateway | undefined = await SimulatedGateway.start(
    time,
    network,
    storageDir,
    inFlight,
    settings,
  );
  let running = 0;
  const task = (work: () => Promise<void>): void => {
    running++;
    void work().finally(() => running--);
  };

  const restartAfter = async (fault: Fault): Promise<void> => {
    log(
      `gateway ${fault.kind}${fault.midTurn ? ' mid-turn' : ''}, down ${fault.downtimeMs} ms, damage ${fault.damage}`,
    );
    const dying = gateway;
    gateway = undefined;
    if (fault.kind === 'terminate') await dying?.terminate(GRACE_MS);
    else if (fault.midTurn && dying) {
      dying.killAfterNextDatagram();
      await Promise.race([dying.dead, sleep(5000)]);
    }
    dying?.kill();
    await sleep(fault.downtimeMs);
    if (fault.damage !== 'none') {
      damagedAt.push(time.now());
      await inFlight.track(damageSpool(join(storageDir, '.spool'), fault.damage, random));
    }
    gateway = await SimulatedGateway.start(time, network, storageDir, inFlight, settings);
    log('gateway started');
  };
  for (const fault of schedule.faults) {
    task(async () => {
      await sleep(fault.atMs);
      await restartAfter(fault);
    });
  }

  // Cameras at one address take turns: the next one arrives once the previous one left.
  const leftAddress = new Map<string, Promise<void>>();
  for (const tenant of schedule.tenants) {
    const stints = tenant.stints.map((stint) => {
      const previous = leftAddress.get(stint.address) ?? Promise.resolve();
      let leave!: () => void;
      leftAddress.set(stint.address, new Promise<void>((resolve) => (leave = resolve)));
      return { stint, previous, leave };
    });
    task(async () => {
      await sleep(tenant.startMs);
      for (const { stint, previous, leave } of stints) {
        await previous;
        const device = await CameraDevice.open({
          server: SERVER,
          firmware: tenant.firmware,
          deviceId: tenant.deviceId,
          link: tenant.link,
          clock: time,
          transport: network.transportAt({ address: stint.address, port: FIRMWARE_PORT }),
        });
        devices.add(device);
        for (const image of stint.images) {
          log(`${tenant.name} at ${stint.address} id ${tenant.deviceId}: uploads ${image.length} bytes`);
          const startedAt = time.now();
          const result = await device.upload(image);
          log(`${tenant.name} at ${stint.address}: ${result.ok ? 'stored' : `gave up (${result.gaveUp})`}`);
          uploads.push({ tenant, address: stint.address, image, result, startedAt, endedAt: time.now() });
          if (result.gaveUp === 'closed') break;
          if (tenant.pauseMs > 0) await sleep(tenant.pauseMs);
        }
        await device.close();
        devices.delete(device);
        leave();
      }
    });
  }

  await time.runUntil(() => running === 0, started + DEADLINE_MS, settle);
  // The deadline: whoever still uploads is stopped (generation A would go on forever).
  await Promise.all([...devices].map((device) => device.close()));
  await settle();
  gateway?.kill();
  await settle();

  const findings = await check(storageDir, schedule, uploads, damagedAt);
  await rm(root, { recursive: true, force: true });
  return {
    seed: schedule.seed,
    findings,
    uploads: uploads.length,
    completed: uploads.filter((upload) => upload.result.ok).length,
    burstGaveUp: uploads.filter((upload) => upload.result.generation === 'B' && !upload.result.ok).length,
    virtualMs: time.now() - started,
  };
}

/**
 * Flips a byte of a random spool segment (what follows it in that segment no longer reads), or
 * leaves a torn record at the end of a completed log (an append cut short).
 */
async function damageSpool(
  spoolDir: string,
  damage: 'segment' | 'completed-log',
  random: SeededRandom,
): Promise<void> {
  const names = (await readdirOrEmpty(spoolDir)).filter((name) =>
    damage === 'segment' ? name.startsWith('segment-') : name.startsWith('completed-'),
  );
  if (names.length === 0) return;
  const path = join(spoolDir, names[random.below(names.length)]!);
  const bytes = await readFile(path);
  if (bytes.length === 0) return;
  if (damage === 'segment') {
    const offset = random.below(bytes.length);
    bytes[offset] = bytes[offset]! ^ (1 + random.below(255));
    await writeFile(path, bytes);
  } else {
    await writeFile(path, Buffer.concat([bytes, random.bytes(1 + random.below(40))]));
  }
}
