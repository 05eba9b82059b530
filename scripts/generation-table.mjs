#!/usr/bin/env node
// Measures generation C (the C library, firmware/) against generation B (the deployed burst
// firmware, emulated) on the same images over the same lossy links, at real firmware timing, and
// prints a Markdown table: loss each way, then for each generation the share of uploads stored and
// the transfer time per image (first request to the gateway's final word) of the stored ones.
// Starts its own gateway on free loopback ports.
// Usage: npm run build && npm run build:firmware && node scripts/generation-table.mjs
//          [--losses 0,0.1,0.2,0.3,0.4] [--devices 4] [--images 5] [--images-from DIR]
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { syntheticJpeg } from '../dist/libs/camera-emulator/src/index.js';

const { values } = parseArgs({
  options: {
    losses: { type: 'string', default: '0,0.1,0.2,0.3,0.4' },
    devices: { type: 'string', default: '4' },
    images: { type: 'string', default: '5' },
    'images-from': { type: 'string' },
    duplicate: { type: 'string', default: '0.02' },
    reorder: { type: 'string', default: '0.05' },
  },
});

async function freePort(kind) {
  if (kind === 'udp') {
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise((resolve) => socket.close(resolve));
    return port;
  }
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function run(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

const root = await mkdtemp(join(tmpdir(), 'generation-table-'));
let imagesFrom = values['images-from'];
if (imagesFrom === undefined) {
  // The real ESP32-CAM photo and synthetic JPEGs of typical XGA sizes, none an exact multiple of
  // 1452 (generation B never completes those: it is not the comparison measured here).
  imagesFrom = join(root, 'images');
  await run('mkdir', ['-p', imagesFrom]);
  await writeFile(join(imagesFrom, 'a-fixture.jpg'), await readFile('test/fixtures/esp32cam-xga.jpg'));
  for (const [name, size] of [
    ['b-60k.jpg', 60_001],
    ['c-120k.jpg', 120_003],
    ['d-200k.jpg', 200_005],
  ]) {
    await writeFile(join(imagesFrom, name), syntheticJpeg(size, size));
  }
}

const udpPort = await freePort('udp');
const httpPort = await freePort('tcp');
const gateway = spawn(process.execPath, ['dist/src/main.js'], {
  env: {
    ...process.env,
    UDP_HOST: '127.0.0.1',
    UDP_PORT: String(udpPort),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(httpPort),
    STORAGE_DIR: join(root, 'stored'),
    ANALYSIS_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    UV_USE_IO_URING: '0',
  },
  stdio: 'ignore',
});
for (let tries = 0; ; tries++) {
  try {
    if ((await globalThis.fetch(`http://127.0.0.1:${httpPort}/health/ready`)).status === 200) break;
  } catch {
    // not up yet
  }
  if (tries > 300) throw new Error('the gateway did not start');
  await sleep(100);
}

const rows = [];
try {
  for (const loss of values.losses.split(',').map(Number)) {
    const cells = [];
    for (const generation of ['B', 'C']) {
      const args = [
        'dist/apps/esp-sim/src/main.js',
        ...['--target', `127.0.0.1:${udpPort}`, '--generation', generation],
        ...['--devices', values.devices, '--images', values.images, '--images-from', imagesFrom],
        ...['--loss', String(loss), '--duplicate', values.duplicate, '--reorder', values.reorder],
        ...['--seed', '7', '--json', '--quiet'],
      ];
      const started = Date.now();
      const { stdout } = await run(process.execPath, args);
      const summary = JSON.parse(stdout);
      const { ok, total, failures } = summary.transfers;
      const { p50, p95, mean } = summary.transferMs;
      cells.push({ generation, ok, total, failures, p50, p95, mean });
      process.stderr.write(
        `loss ${loss} ${generation}: ${ok}/${total} stored, p50 ${p50} ms (${Date.now() - started} ms)\n`,
      );
    }
    rows.push({ loss, cells });
  }
} finally {
  gateway.kill('SIGTERM');
  await new Promise((resolve) => gateway.on('close', resolve));
  await rm(root, { recursive: true, force: true });
}

const ms = (value) => (value === null ? '–' : `${Math.round(value)}`);
const lines = [
  '| loss each way | B stored | B p50 ms | B p95 ms | B mean ms | C stored | C p50 ms | C p95 ms | C mean ms |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const { loss, cells } of rows) {
  const [b, c] = cells;
  const share = (cell) => `${cell.ok}/${cell.total} (${Math.round((100 * cell.ok) / cell.total)} %)`;
  lines.push(
    `| ${loss * 100} % | ${share(b)} | ${ms(b.p50)} | ${ms(b.p95)} | ${ms(b.mean)} | ${share(c)} | ${ms(c.p50)} | ${ms(c.p95)} | ${ms(c.mean)} |`,
  );
}
console.log(lines.join('\n'));
const failed = rows.flatMap(({ loss, cells }) =>
  cells
    .filter((cell) => cell.ok < cell.total)
    .map((cell) => `${cell.generation} at ${loss * 100} %: ${JSON.stringify(cell.failures)}`),
);
if (failed.length > 0) console.log(`\nFailures by reason: ${failed.join('; ')}`);
