import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CameraDevice,
  FIRMWARE_PORT,
  SeededRandom,
  VirtualNetwork,
  VirtualTime,
  type UploadResult,
} from '#camera-emulator';
import type { Fault, Schedule, Tenant } from './schedule.js';
import { InFlight, SimulatedGateway, type GatewaySettings } from './simulated-gateway.js';

/** What a schedule broke, each kind one of the guarantees. */
export type FindingKind =
  /** A stored image that is not byte for byte an image its device sent. */
  | 'corrupt-stored'
  /** A camera told its image was stored (final ACK, empty missing list) that is not on disk. */
  | 'false-stored'
  /** A generation-A camera that never finished although it kept trying. */
  | 'stranded'
  /**
   * Stranded, but the spool files were damaged while it uploaded: what the gateway had
   * acknowledged to it may be what the damage destroyed (not covered: reported, not a failure).
   */
  | 'stranded-by-damage';

export interface Finding {
  readonly kind: FindingKind;
  readonly detail: string;
}

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

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function keyOf(deviceId: number, address: string): string {
  return `${deviceId}@${address}`;
}

interface Upload {
  readonly tenant: Tenant;
  readonly address: string;
  readonly image: Buffer;
  readonly result: UploadResult;
  readonly startedAt: number;
  readonly endedAt: number;
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
      log(`${direction === 'to-server' ? '→' : '←'} ${device.address} [${[...datagram.subarray(0, 12)].join(',')}${datagram.length > 12 ? `…+${datagram.length - 12}` : ''}]`);
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
    log(`gateway ${fault.kind}${fault.midTurn ? ' mid-turn' : ''}, down ${fault.downtimeMs} ms, damage ${fault.damage}`);
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

async function check(
  storageDir: string,
  schedule: Schedule,
  uploads: readonly Upload[],
  damagedAt: readonly number[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const sent = new Map<string, Set<string>>();
  for (const tenant of schedule.tenants) {
    for (const stint of tenant.stints) {
      const key = keyOf(tenant.deviceId, stint.address);
      const digests = sent.get(key) ?? new Set<string>();
      for (const image of stint.images) digests.add(sha256(image));
      sent.set(key, digests);
    }
  }
  const stored = new Map<string, Set<string>>();
  for (const { sidecar, bytes } of await storedImages(storageDir)) {
    const key = keyOf(sidecar.deviceId, sidecar.source.address);
    const digest = sha256(bytes);
    if (!sent.get(key)?.has(digest)) {
      findings.push({
        kind: 'corrupt-stored',
        detail: `${sidecar.imageId}: ${bytes.length} bytes stored for ${key} that no device sent from there`,
      });
    }
    const digests = stored.get(key) ?? new Set<string>();
    digests.add(digest);
    stored.set(key, digests);
  }
  for (const { tenant, address, image, result, startedAt, endedAt } of uploads) {
    const key = keyOf(tenant.deviceId, address);
    if (result.ok && !stored.get(key)?.has(sha256(image))) {
      findings.push({
        kind: 'false-stored',
        detail: `${tenant.name} at ${address}: told its ${image.length}-byte image was stored; it is not`,
      });
    }
    if (!result.ok && result.generation !== 'B') {
      const damaged = damagedAt.some((at) => at >= startedAt && at <= endedAt);
      findings.push({
        kind: damaged ? 'stranded-by-damage' : 'stranded',
        detail: `${tenant.name} at ${address}: ${image.length}-byte image never finished (${result.gaveUp})`,
      });
    }
  }
  return findings;
}

/** Every image stored, through its sidecar. */
async function storedImages(
  storageDir: string,
): Promise<{ sidecar: { imageId: string; deviceId: number; source: { address: string } }; bytes: Buffer }[]> {
  const found = [];
  for (const day of await readdirOrEmpty(storageDir)) {
    if (day.startsWith('.')) continue;
    for (const device of await readdirOrEmpty(join(storageDir, day))) {
      const folder = join(storageDir, day, device);
      for (const name of await readdirOrEmpty(folder)) {
        if (!name.endsWith('.json') || name.startsWith('.')) continue;
        const sidecar = JSON.parse(await readFile(join(folder, name), 'utf8')) as {
          imageId: string;
          file: string;
          deviceId: number;
          source: { address: string };
        };
        found.push({ sidecar, bytes: await readFile(join(folder, sidecar.file)) });
      }
    }
  }
  return found;
}

async function readdirOrEmpty(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch {
    return [];
  }
}

/**
 * Flips a byte of a random spool segment (what follows it in that segment no longer reads), or
 * leaves a torn record at the end of a completed log (an append cut short).
 */
async function damageSpool(spoolDir: string, damage: 'segment' | 'completed-log', random: SeededRandom): Promise<void> {
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
