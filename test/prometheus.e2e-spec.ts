/**
 * The gateway as Prometheus sees it: the real gateway in-process, a real `prometheus` on loopback
 * scraping its /metrics every second, one real image upload over UDP, and the completed transfer
 * read back through Prometheus' query API. Also lints the exposition with `promtool`.
 *
 * Needs `prometheus` and `promtool` on PATH (Debian's prometheus package; .ci/run installs it):
 * skipped without them, except in CI where that fails.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { UdpServer } from '#udp-transport';
import { UdpProbe } from '../libs/udp-transport/src/testing/udp-probe.js';
import { writeTinyModel } from '../src/classification/testing-model.js';
import { validateEnvironment } from '../src/config/index.js';
import { startGateway, type Gateway } from '../src/gateway.js';
import {
  GATEWAY_METRICS,
  PROCESS_METRICS,
  SYNTHETIC_SERIES,
  exposedFamilies,
  metricFamiliesIn,
} from './support/prometheus-metrics.js';
import { PrometheusServer, eventually, runCommand, toolGate } from './support/prometheus-tools.js';

const REPO_ROOT = new URL('../../', import.meta.url);
const DASHBOARD = new URL('deploy/grafana/dashboards/cable-inspector.json', REPO_ROOT);
const JOB = 'cable-inspector';
const DEVICE_ID = 99;
/** P, data header included: small enough that the test image takes several packets. */
const PACKET_BYTES = 64;
const DATA_HEADER_BYTES = 8;
const LABELS = ['good', 'frayed'];

const tools = toolGate(['prometheus', 'promtool']);

/** A small real JPEG, so that the upload is the kind of image a camera sends. */
function testImage(): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 12, channels: 3, background: { r: 90, g: 120, b: 60 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/**
 * Uploads `image` the way stop-and-wait firmware (generation A) does: the request
 * `[1, id, 1, N, P]`, then each packet `[1, id, 2, i, L, payload]` only once the previous one is
 * acknowledged with `[1, id, 2, i, 0, L]`.
 */
async function uploadStopAndWait(probe: UdpProbe, port: number, image: Buffer): Promise<void> {
  const slice = PACKET_BYTES - DATA_HEADER_BYTES;
  const packetCount = Math.ceil(image.length / slice);
  assert.ok(packetCount > 1 && packetCount <= 255, `test image takes ${packetCount} packets`);

  await probe.send(Buffer.from([1, DEVICE_ID, 1, packetCount, ...uint32(PACKET_BYTES)]), port);
  const reply = (await probe.receive(2000)).datagram;
  assert.deepEqual(
    [...reply],
    [1, DEVICE_ID, 1, 0, packetCount, ...uint32(PACKET_BYTES)],
    `upload request accepted (reply ${reply.toString('hex')})`,
  );

  for (let index = 0; index < packetCount; index++) {
    const payload = image.subarray(index * slice, (index + 1) * slice);
    await probe.send(
      Buffer.concat([Buffer.from([1, DEVICE_ID, 2, index]), uint32(payload.length), payload]),
      port,
    );
    // The first ACK waits for the flow probe (FLOW_PROBE_MS); the last one for the storage write.
    const ack = (await probe.receive(3000)).datagram;
    assert.deepEqual(
      [...ack],
      [1, DEVICE_ID, 2, index, 0, ...uint32(payload.length)],
      `packet ${index} acknowledged (reply ${ack.toString('hex')})`,
    );
  }
}

describe('Prometheus scraping the gateway', { skip: tools.skip }, () => {
  let workDir: string | undefined;
  let gateway: Gateway | undefined;
  let prometheus: PrometheusServer | undefined;
  let httpPort = 0;
  let udpPort = 0;

  before(async () => {
    tools.assertAvailable();
    workDir = await mkdtemp(join(tmpdir(), 'cable-inspector-prometheus-e2e-'));
    // The gateway refuses to start without a model (unless ANALYSIS_ENABLED=false): a tiny real one.
    await writeTinyModel(join(workDir, 'model'), LABELS);
    gateway = await startGateway(
      validateEnvironment({
        UDP_HOST: '127.0.0.1',
        UDP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        STORAGE_DIR: join(workDir, 'images'),
        LOG_LEVEL: 'warn',
        MODEL_DIR: join(workDir, 'model'),
      }),
    );
    httpPort = (gateway.app.getHttpServer().address() as AddressInfo).port;
    udpPort = (gateway.app.get(UdpServer).unwrap().address() as AddressInfo).port;
    prometheus = await PrometheusServer.start({ target: `127.0.0.1:${httpPort}`, jobName: JOB });
  });

  after(async () => {
    await prometheus?.stop();
    await gateway?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  async function scrape(): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    assert.equal(response.status, 200, 'GET /metrics answers 200');
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  }

  it('exposes every gateway metric with HELP and TYPE lines of the promised type', async () => {
    const families = exposedFamilies(await scrape());
    const problems: string[] = [];
    for (const [name, type] of GATEWAY_METRICS) {
      const family = families.get(name);
      if (family === undefined) problems.push(`${name}: missing`);
      else if (family.help === undefined || family.help === '') problems.push(`${name}: no HELP line`);
      else if (family.type !== type)
        problems.push(`${name}: TYPE ${family.type ?? '(none)'}, expected ${type}`);
    }
    for (const name of PROCESS_METRICS) {
      if (!families.has(name)) problems.push(`${name} (prom-client default metric): missing`);
    }
    assert.deepEqual(problems, []);
  });

  it('exposes every metric the Grafana dashboard queries', async () => {
    const families = exposedFamilies(await scrape());
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
      panels: { title?: string; targets?: { expr?: string }[] }[];
    };
    const missing = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of metricFamiliesIn(target.expr ?? '')) {
          if (!SYNTHETIC_SERIES.includes(name) && !families.has(name))
            missing.add(`${name} (${panel.title})`);
        }
      }
    }
    assert.deepEqual([...missing], []);
  });

  it('passes `promtool check metrics` with no lint problem', async () => {
    const result = await runCommand('promtool', ['check', 'metrics'], { input: await scrape() });
    assert.equal(result.code, 0, `promtool check metrics:\n${result.stderr}${result.stdout}`);
  });

  it('is scraped: Prometheus reports the gateway target up', async () => {
    const [target] = await prometheus!.waitForTargetsUp(JOB, 20_000);
    assert.equal(target!.scrapeUrl, `http://127.0.0.1:${httpPort}/metrics`);
    const up = await prometheus!.query(`up{job="${JOB}"}`);
    assert.equal(up[0]?.value[1], '1');
  });

  it('reports a completed stop-and-wait upload, its classification and its confirmation through Prometheus', async () => {
    const probe = await UdpProbe.open('127.0.0.1');
    try {
      await uploadStopAndWait(probe, udpPort, await testImage());
      // The analysis result is pushed as op 4 once the model has run; the device confirms it.
      const result = (await probe.receive(10_000)).datagram;
      assert.deepEqual(
        [...result.subarray(0, 3)],
        [1, DEVICE_ID, 4],
        `op-4 result (${result.toString('hex')})`,
      );
      await probe.send(Buffer.from([1, DEVICE_ID, 0, 4]), udpPort);
    } finally {
      await probe.close();
    }
    const expectations = {
      [`cable_inspector_transfers_total{job="${JOB}",outcome="completed"}`]: 1,
      [`cable_inspector_image_bytes_count{job="${JOB}"}`]: 1,
      [`sum(cable_inspector_classifications_total{job="${JOB}"})`]: 1,
      [`cable_inspector_results_confirmed_total{job="${JOB}"}`]: 1,
    };
    let seen: Record<string, number | undefined> = {};
    try {
      await eventually(
        'the upload in Prometheus',
        async () => {
          seen = {};
          for (const expr of Object.keys(expectations)) {
            const [sample] = await prometheus!.query(expr);
            seen[expr] = sample === undefined ? undefined : Number(sample.value[1]);
          }
          return Object.entries(expectations).every(([expr, least]) => (seen[expr] ?? 0) >= least)
            ? true
            : undefined;
        },
        20_000,
        500,
      );
    } catch (error) {
      assert.fail(`${(error as Error).message}; last values: ${JSON.stringify(seen)}`);
    }
    assert.deepEqual(seen, expectations, 'exactly one of each');
  });
});
