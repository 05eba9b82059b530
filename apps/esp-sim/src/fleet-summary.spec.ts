import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UploadResult } from '#camera-emulator';
import type { FleetRun, UploadRecord } from './fleet.js';
import { distribution, fleetSucceeded, percentile, summarizeFleet } from './fleet-summary.js';
import { formatSummary } from './summary-text.js';

function upload(overrides: Partial<UploadResult>, transferMs: number, build = 'A-wifi'): UploadRecord {
  const result: UploadResult = {
    ok: true,
    generation: 'A',
    deviceId: 1,
    packets: 10,
    bytes: 10_000,
    durationMs: transferMs,
    requestTries: 1,
    retransmissions: 0,
    rounds: 0,
    timeouts: 0,
    nacks: 0,
    bufferDrops: 0,
    violations: [],
    ...overrides,
  };
  return {
    device: 0,
    image: 0,
    build,
    source: { address: '127.1.1.1', port: 5000 },
    result,
    transferMs,
    startedAtMs: 0,
  };
}

function run(uploads: UploadRecord[], wallMs = 2000): FleetRun {
  const zero = { offered: 0, lost: 0, duplicated: 0, delivered: 0 };
  return { uploads, wallMs, link: { outgoing: zero, incoming: zero }, strayViolations: [] };
}

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const sorted = [...Array(100).keys()].map((index) => index + 1);
    assert.deepEqual(
      [percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), percentile(sorted, 100)],
      [50, 95, 99, 100],
    );
    assert.equal(percentile([7], 99), 7);
    assert.equal(percentile([], 50), null);
  });

  it('distribution sorts first and gives nulls when empty', () => {
    assert.deepEqual(distribution([30, 10, 20]), { count: 3, p50: 20, p95: 30, p99: 30, max: 30, mean: 20 });
    assert.deepEqual(distribution([]), { count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
  });
});

describe('summarizeFleet', () => {
  it('counts ok and failed transfers, throughput of the acknowledged bytes, and retransmissions', () => {
    const summary = summarizeFleet(
      run([
        upload({ retransmissions: 2, requestTries: 2, timeouts: 3 }, 100),
        upload({ generation: 'B', rounds: 3, retransmissions: 1 }, 300, 'B'),
        upload({ ok: false, gaveUp: 'end-of-transfer-retries', generation: 'B' }, 900, 'B'),
      ]),
      3,
      1,
      false,
    );
    assert.deepEqual(summary.transfers, {
      total: 3,
      ok: 2,
      failed: 1,
      failures: { 'end-of-transfer-retries': 1 },
    });
    assert.equal(summary.bytesOk, 20_000);
    assert.equal(summary.megabytesPerSecond, 0.01);
    assert.equal(summary.imagesPerSecond, 1);
    assert.deepEqual([summary.transferMs.p50, summary.transferMs.max], [100, 300]);
    assert.deepEqual(summary.retransmissions, {
      packets: 3,
      requests: 1,
      endOfTransfer: 2,
      timeouts: 3,
      nacks: 0,
      bufferDrops: 0,
    });
    assert.deepEqual(summary.builds, {
      'A-wifi': { ok: 1, failed: 0, p50Ms: 100 },
      B: { ok: 1, failed: 1, p50Ms: 300 },
    });
    assert.equal(summary.results, undefined);
    assert.equal(fleetSucceeded(summary), false);
  });

  it('with awaited results: latency, outcomes by status and verdict, and missing ones fail the run', () => {
    const analysed = {
      kind: 'analysis-result',
      deviceId: 1,
      status: 0,
      verdict: 1,
      classIndex: 2,
      confidence: 9000,
      label: 'frayed',
    } as const;
    const summary = summarizeFleet(
      run([
        upload({ analysis: { received: true, result: analysed, afterMs: 40 } }, 100),
        upload(
          { analysis: { received: true, result: { ...analysed, status: 2, verdict: 2 }, afterMs: 60 } },
          100,
        ),
        upload({ analysis: { received: false, waitedMs: 5000 } }, 100),
      ]),
      3,
      1,
      true,
    );
    assert.deepEqual(summary.results?.outcomes, { 'analysed/defect': 1, unavailable: 1 });
    assert.deepEqual(
      [summary.results?.received, summary.results?.missing, summary.results?.latencyMs.max],
      [2, 1, 60],
    );
    assert.equal(fleetSucceeded(summary), false);
    assert.match(formatSummary(summary), /results \(op 4\)\s+2\/3 received/);
  });

  it('reads as aligned lines of text', () => {
    const text = formatSummary(summarizeFleet(run([upload({}, 1234)]), 1, 1, false));
    assert.match(text, /^devices\s+1 × 1 image\(s\)$/m);
    assert.match(text, /^transfers\s+1 ok, 0 failed$/m);
    assert.match(text, /^transfer time\s+p50 1234 ms, p95 1234 ms, p99 1234 ms, max 1234 ms$/m);
    assert.match(text, /^violations\s+none$/m);
  });
});
