import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { UdpServer } from '#udp-transport';
import { syntheticImages, type FleetSummary } from '../apps/esp-sim/src/index.js';
import { validateEnvironment } from '../src/config/index.js';
import { startGateway, type Gateway } from '../src/gateway.js';

/** The compiled simulator, as `npm run sim` runs it. */
const SIMULATOR = fileURLToPath(new URL('../apps/esp-sim/src/main.js', import.meta.url));

interface SimRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function simulate(args: readonly string[]): Promise<SimRun> {
  const child = spawn(process.execPath, [SIMULATOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

interface StoredImage {
  readonly sha256: string;
  readonly deviceId: number;
  readonly address: string;
}

/** Every image under `directory`, with what its sidecar says of where it came from. */
async function storedImages(directory: string): Promise<StoredImage[]> {
  const stored: StoredImage[] = [];
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.json') || entry.name.startsWith('.')) continue;
    const sidecarPath = join(entry.parentPath, entry.name);
    const sidecar = JSON.parse(await readFile(sidecarPath, 'utf8')) as {
      deviceId: number;
      source: { address: string };
    };
    const bytes = await readFile(sidecarPath.replace(/\.json$/, '.jpg'));
    stored.push({
      sha256: createHash('sha256').update(bytes).digest('hex'),
      deviceId: sidecar.deviceId,
      address: sidecar.source.address,
    });
  }
  return stored;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `npm run sim` against the real gateway (in this process) over real UDP. */
describe('esp-sim, the fleet simulator, against the gateway', () => {
  let root: string;
  let storageDir: string;
  let gateway: Gateway;
  let target: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'cable-inspector-esp-sim-'));
    storageDir = join(root, 'images');
    gateway = await startGateway(
      validateEnvironment({
        UDP_HOST: '127.0.0.1',
        UDP_PORT: 0,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: 0,
        STORAGE_DIR: storageDir,
        LOG_LEVEL: 'error',
        ANALYSIS_ENABLED: 'false',
        SHUTDOWN_GRACE_MS: 0,
      }),
    );
    target = `127.0.0.1:${gateway.app.get(UdpServer).unwrap<Socket>().address().port}`;
  });

  after(async () => {
    await gateway.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('a mixed A/B/seed fleet through a lossy, duplicating, reordering link: every transfer ok, every image stored once', async () => {
    const run = await simulate([
      ...[
        '--target',
        target,
        '--devices',
        '6',
        '--generation',
        'A,B,seed',
        '--images',
        '2',
        '--size',
        '20000',
      ],
      ...['--loss', '0.05', '--duplicate', '0.02', '--reorder', '0.05', '--reorder-delay', '10'],
      ...['--time-scale', '0.05', '--seed', '7', '--wait-result', '--result-timeout', '3000', '--json'],
    ]);
    // The summary names what failed and how (which build, which wait).
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
    const summary = JSON.parse(run.stdout) as FleetSummary;
    assert.deepEqual([summary.transfers.ok, summary.transfers.failed], [12, 0]);
    assert.equal(summary.violations.count, 0, summary.violations.examples.join(' | '));
    assert.ok(summary.link.outgoing.lost > 0, 'the link lost datagrams');
    assert.deepEqual(Object.keys(summary.builds).sort(), ['A-wifi', 'B', 'seed-wifi']);
    assert.ok(summary.transferMs.p99 !== null && summary.megabytesPerSecond > 0);
    // Analysis is off: every result says so, and every one arrives and is confirmed.
    assert.deepEqual([summary.results?.received, summary.results?.outcomes], [12, { unavailable: 12 }]);

    const images = syntheticImages(20_000, 7);
    const expected = Array.from({ length: 6 }, (_, device) =>
      [0, 1].map((image) => sha256(images(device, image))),
    ).flat();
    const stored = await storedImages(storageDir);
    assert.deepEqual(stored.map((image) => image.sha256).sort(), [...expected].sort());
    assert.equal(
      new Set(stored.map((image) => image.address)).size,
      6,
      'each device on its own 127.1.x.y address',
    );
  });

  it('generation C: the C library runs as the cameras, behind the same lossy link, each image stored once', async () => {
    const run = await simulate([
      ...['--target', target, '--devices', '4', '--generation', 'C', '--images', '2', '--size', '14520'],
      ...['--loss', '0.1', '--duplicate', '0.02', '--reorder', '0.05'],
      ...[
        '--time-scale',
        'C=0.2',
        '--seed',
        '11',
        '--wait-result',
        '--result-timeout',
        '5000',
        '--json',
        '--quiet',
      ],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as FleetSummary;
    assert.deepEqual([summary.transfers.ok, summary.transfers.failed], [8, 0]);
    assert.deepEqual(Object.keys(summary.builds), ['C']);
    assert.equal(summary.violations.count, 0, summary.violations.examples.join(' | '));
    assert.ok(summary.link.outgoing.lost > 0, 'the relay lost datagrams');
    assert.deepEqual(summary.results?.outcomes, { unavailable: 8 });

    // 14520 bytes: ten full packets, an exact multiple of P-8 that only generation C completes.
    const images = syntheticImages(14_520, 11);
    const expected = Array.from({ length: 4 }, (_, device) =>
      [0, 1].map((image) => sha256(images(device, image))),
    );
    const stored = await storedImages(storageDir);
    for (const digest of expected.flat()) {
      assert.equal(stored.filter((image) => image.sha256 === digest).length, 1, 'each image stored once');
    }
  });

  it('--same-id: devices that all carry id 99 are told apart by their address', async () => {
    const run = await simulate([
      ...['--target', target, '--devices', '4', '--generation', 'B,A', '--same-id', '--size', '5000'],
      ...['--seed', '3', '--json', '--quiet'],
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as FleetSummary).transfers.ok, 4);
    const sameId = (await storedImages(storageDir)).filter((image) => image.deviceId === 99);
    assert.equal(sameId.length, 4);
    assert.equal(new Set(sameId.map((image) => image.address)).size, 4);
  });

  it('prints a readable summary when not asked for JSON', async () => {
    const run = await simulate(['--target', target, '--devices', '2', '--size', '3000']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^transfers\s+2 ok, 0 failed$/m);
    assert.match(run.stdout, /^throughput\s+[\d.]+ MB\/s/m);
    assert.match(run.stdout, /^transfer time\s+p50 \d+ ms, p95 \d+ ms, p99 \d+ ms/m);
    assert.match(run.stdout, /^retransmissions\s+0 packets/m);
  });

  it('exits 1 when a transfer fails (here: nobody listens, generation B gives up)', async () => {
    const run = await simulate([
      '--target',
      '127.0.0.1:9',
      '--generation',
      'B',
      '--time-scale',
      '0.01',
      '--json',
      '--quiet',
    ]);
    assert.equal(run.code, 1);
    const summary = JSON.parse(run.stdout) as FleetSummary;
    assert.deepEqual(summary.transfers.failures, { 'request-retries': 1 });
  });

  it('exits 2 with every problem of the command line named', async () => {
    const run = await simulate(['--loss', '2', '--generation', 'A,D', '--devices', 'many']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--loss "2": expected a probability from 0 to 1/);
    assert.match(run.stderr, /--generation "D"/);
    assert.match(run.stderr, /--devices "many": expected an integer/);
    assert.equal(run.stdout, '');
  });
});
