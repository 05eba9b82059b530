import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { describeResult } from './support/devices.js';
import type { BacklogWorkerData, BacklogWorkerReport } from './support/backlog-worker.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';

/**
 * The gateway tells burst firmware from stop-and-wait firmware by holding the ACK of packet 0 for
 * FLOW_PROBE_MS (40 ms): a burst device's packet 1 follows within the window. The window must be
 * about the device's pace, not about how long the gateway takes to read its socket.
 */
describe('the flow probe under a backlog', () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startTestGateway();
  });

  after(() => gateway.close());

  async function burstBehindBacklog(floodCount: number): Promise<BacklogWorkerReport> {
    const workerData: BacklogWorkerData = { server: gateway.udp, floodCount };
    const worker = new Worker(new URL('./support/backlog-worker.js', import.meta.url), { workerData });
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  }

  it('a burst device whose packet 1 follows packet 0 within milliseconds gets no per-packet ACK, however busy the gateway', async () => {
    const { result, next, gapMs } = await burstBehindBacklog(1000);
    console.log(`flow probe: packet 1 sent ${gapMs.toFixed(1)} ms after packet 0; ${describeResult(result)}`);
    console.log(`flow probe, next upload without backlog: ${describeResult(next)}`);
    assert.ok(gapMs < 40, `the device kept a burst pace (${gapMs.toFixed(1)} ms)`);
    assert.equal(result.ok, true, describeResult(result));
    assert.deepEqual(result.violations, []);
    assert.deepEqual(next.violations, [], 'its next upload is not ACKed per packet either');
  });
});
