import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CameraDevice } from './camera-device.js';
import { syntheticJpeg } from './synthetic-jpeg.js';
import { FakeServer, stopAndWaitServer } from './testing/fake-server.js';

const opened: { close(): Promise<void> }[] = [];
after(() => Promise.all(opened.map((each) => each.close())));

describe('waiting for the analysis result', () => {
  it('reads the op-4 result after the upload and confirms it with [1, id, 0, 4]', async () => {
    const server = await FakeServer.open((received, fake) => {
      stopAndWaitServer(received, fake);
      const { frame, from } = received;
      if (frame?.kind === 'data' && frame.index === 1) {
        // status 0, verdict 1 (defect), class 2, confidence 8000, label "frayed".
        const result = [1, 99, 4, 0, 1, 2, 0x1f, 0x40, ...Buffer.from('frayed')];
        setTimeout(() => fake.reply(result, from), 20);
      }
    });
    const device = await CameraDevice.open({ server: server.endpoint, timeScale: 0.01 });
    opened.push(server, device);
    const result = await device.upload(syntheticJpeg(1500), { awaitAnalysisMs: 1000 });
    assert.equal(result.ok, true);
    assert.equal(result.analysis?.received, true);
    assert.ok(result.analysis?.received);
    assert.deepEqual(result.analysis.result, {
      kind: 'analysis-result',
      deviceId: 99,
      status: 0,
      verdict: 1,
      classIndex: 2,
      confidence: 8000,
      label: 'frayed',
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual([...server.received.at(-1)!.datagram], [1, 99, 0, 4]);
  });

  it('reports no result when none comes in time', async () => {
    const server = await FakeServer.open(stopAndWaitServer);
    const device = await CameraDevice.open({ server: server.endpoint, timeScale: 0.01 });
    opened.push(server, device);
    const result = await device.upload(syntheticJpeg(500), { awaitAnalysisMs: 50 });
    assert.equal(result.ok, true);
    assert.equal(result.analysis?.received, false);
  });
});
