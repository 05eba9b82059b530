import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE, syntheticJpeg } from '#camera-emulator';
import { GatewayProcess } from './support/gateway-process.js';
import { readStoredImages, sha256 } from './support/stored-images.js';

/**
 * A generation-A camera whose packets take ~10 ms each way, so that its transfer is still going
 * when it sends the gateway SIGTERM, on the ACK of packet `ackIndex`; `exited` is set then.
 */
async function cameraStoppingGatewayAt(
  gateway: GatewayProcess,
  ackIndex: number,
): Promise<{ camera: CameraDevice; sigterm: { exited?: Promise<number | null> } }> {
  const sigterm: { exited?: Promise<number | null> } = {};
  const camera = await CameraDevice.open({
    server: gateway.udp,
    firmware: FIRMWARE.A_ETHERNET,
    timeScale: 0.2,
    link: { outgoing: { delayMs: 5 }, incoming: { delayMs: 5 } },
    observer: (event) => {
      if (event.type === 'ack' && event.index === ackIndex && !sigterm.exited)
        sigterm.exited = gateway.terminate();
    },
  });
  return { camera, sigterm };
}

describe('graceful shutdown (SIGTERM to the gateway process)', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'shutdown-e2e-'));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('exits 0 at once, without waiting out the grace for the transfer in progress, which the next process completes', async () => {
    const storageDir = join(root, 'images');
    const gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir, SHUTDOWN_GRACE_MS: '10000' });
    await gateway.start();
    const image = syntheticJpeg(60 * 1452 + 100, 3);
    const { camera, sigterm } = await cameraStoppingGatewayAt(gateway, 5);
    try {
      const upload = camera.upload(image, { deadlineMs: 30_000 });
      while (!sigterm.exited) await new Promise((resolve) => setTimeout(resolve, 5));
      const signalledAt = performance.now();
      assert.equal(await sigterm.exited, 0);
      const exitMs = performance.now() - signalledAt;
      assert.ok(exitMs < 3000, `exited ${Math.round(exitMs)} ms after SIGTERM, not after the 10 s grace`);
      assert.match(gateway.output, /"msg":"drained"/);
      assert.match(gateway.output, /"unfinishedTransfers":1/);
      await gateway.start();
      const result = await upload;
      assert.equal(result.ok, true, JSON.stringify(result));
      const stored = await readStoredImages(storageDir);
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.sha256, sha256(image));
    } finally {
      await camera.close();
      await gateway.kill();
    }
  });

  it('hands a transfer still unfinished at the end of the grace period to the spool: the next process completes it', async () => {
    const storageDir = join(root, 'handover');
    const gateway = await GatewayProcess.create({ STORAGE_DIR: storageDir, SHUTDOWN_GRACE_MS: '100' });
    await gateway.start();
    const image = syntheticJpeg(60 * 1452 + 100, 4);
    const { camera, sigterm } = await cameraStoppingGatewayAt(gateway, 10);
    try {
      const upload = camera.upload(image, { deadlineMs: 30_000 });
      while (!sigterm.exited) await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await sigterm.exited, 0);
      assert.match(gateway.output, /"unfinishedTransfers":1/);
      // A redeploy: the new process starts on the same disk and ports while the camera retries.
      await gateway.start();
      const result = await upload;
      assert.equal(result.ok, true, JSON.stringify(result));
      assert.deepEqual(result.violations, []);
      const stored = await readStoredImages(storageDir);
      assert.equal(stored.length, 1);
      assert.ok(stored[0]!.bytes.equals(image));
      assert.match(gateway.output, /transfer resumed from the spool/);
    } finally {
      await camera.close();
      await gateway.kill();
    }
  });
});
