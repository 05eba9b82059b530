import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE, type CameraDevice } from '#camera-emulator';
import { sumSamples } from '../bench/src/gateway-child.js';
import { writeTinyModel } from '../src/classification/testing-model.js';
import { colouredPhoto } from './support/coloured-photos.js';
import { DevicePool, describeResult } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { eventually } from './support/prometheus-tools.js';
import { readStoredImages } from './support/stored-images.js';
import { storeUsage } from './support/store-usage.js';

/** The cap of the store: about twenty of the photos below with their sidecars. */
const CAP_BYTES = 1_000_000;

/** Every fourth photo is red: the model calls it a kink (a defect). */
const DEFECT_EVERY = 4;

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function metrics(gateway: TestGateway): Promise<string> {
  const port = (gateway.app.getHttpServer().address() as { port: number }).port;
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/**
 * RETENTION_MAX_BYTES of about a megabyte, and three megabytes of real photos uploaded over real
 * UDP by two cameras in turn, each classified by a real (tiny) model on the way: passes and, every
 * fourth, defects.
 */
describe('retention: a store capped at a megabyte, three times as much uploaded', () => {
  let gateway: TestGateway;
  let modelRoot: string;
  const devices = new DevicePool();
  const uploads: { sha: string; defect: boolean; order: number }[] = [];
  const overCap: string[] = [];

  before(async () => {
    modelRoot = await mkdtemp(join(tmpdir(), 'e2e-retention-model-'));
    await writeTinyModel(join(modelRoot, 'model'), ['good', 'kink']);
    gateway = await startTestGateway({
      ANALYSIS_ENABLED: 'true',
      MODEL_DIR: join(modelRoot, 'model'),
      INFERENCE_BACKEND: 'wasm',
      CONFIDENCE_THRESHOLD: '0.55',
      RETENTION_MAX_BYTES: String(CAP_BYTES),
    });
    const cameras: CameraDevice[] = [];
    for (const deviceId of [21, 22]) {
      cameras.push(
        await devices.open({ server: gateway.udp, firmware: FIRMWARE.A_ETHERNET, deviceId, timeScale: 0.2 }),
      );
    }
    let sent = 0;
    for (let order = 0; sent < 3 * CAP_BYTES; order++) {
      const defect = order % DEFECT_EVERY === DEFECT_EVERY - 1;
      const photo = await colouredPhoto(defect ? 'red' : 'blue', order + 1);
      const result = await cameras[order % 2]!.upload(photo, { deadlineMs: 10_000 });
      assert.equal(result.ok, true, describeResult(result));
      uploads.push({ sha: sha256(photo), defect, order });
      sent += photo.length;
      // The pruner works beside the uploads: the store may pass the cap by the image just stored.
      const usage = await storeUsage(gateway.storageDir);
      if (usage.bytes > CAP_BYTES + usage.largestImageBytes)
        overCap.push(`${usage.bytes} after upload ${order}`);
    }
  });

  after(async () => {
    await devices.closeAll();
    await gateway.close();
    await rm(modelRoot, { recursive: true, force: true });
  });

  it('stays under the cap, but for the image just stored, all along', () => {
    assert.ok(uploads.length >= 60, `${uploads.length} photos uploaded`);
    assert.deepEqual(overCap, []);
  });

  it('keeps the newest of each kind, all of them, and defects from further back than passes', async () => {
    // Once every photo is analysed (none waits any more), the last pass has run.
    const stored = await eventually(
      'every stored photo analysed and the store under the cap',
      async () => {
        const images = await readStoredImages(gateway.storageDir);
        const usage = await storeUsage(gateway.storageDir);
        const sidecars = await Promise.all(
          images.map(async (image) => JSON.parse(await readFile(image.sidecarPath, 'utf8'))),
        );
        return sidecars.every((sidecar) => sidecar.analysis) && usage.bytes <= CAP_BYTES
          ? { images, sidecars }
          : undefined;
      },
      10_000,
    );
    const verdicts = new Map(
      stored.images.map((image, index) => [image.sha256, stored.sidecars[index].analysis.verdict]),
    );
    const kept = uploads.filter((upload) => verdicts.has(upload.sha));
    for (const upload of kept)
      assert.equal(verdicts.get(upload.sha), upload.defect ? 'defect' : 'pass', `photo ${upload.order}`);
    const oldestKept = (defect: boolean) =>
      Math.min(...kept.filter((upload) => upload.defect === defect).map((upload) => upload.order));
    for (const defect of [false, true]) {
      const since = uploads.filter(
        (upload) => upload.defect === defect && upload.order >= oldestKept(defect),
      );
      assert.deepEqual(
        since.filter((upload) => !verdicts.has(upload.sha)).map((upload) => upload.order),
        [],
        `${defect ? 'defects' : 'passes'} missing after the oldest kept (${oldestKept(defect)})`,
      );
    }
    console.log(
      `retention, capped store: ${kept.length} of ${uploads.length} photos kept; passes from upload ${oldestKept(false)} on, defects from ${oldestKept(true)} on`,
    );
    assert.ok(
      oldestKept(true) < oldestKept(false),
      `oldest defect kept ${oldestKept(true)}, oldest pass ${oldestKept(false)}`,
    );
    assert.ok(
      kept.length >= 10 && kept.length < uploads.length / 2,
      `${kept.length} of ${uploads.length} kept`,
    );
  });

  it('counts what it removed, and what the store holds, as the disk does', async () => {
    const usage = await storeUsage(gateway.storageDir);
    const text = await eventually(
      'the totals of the last pass',
      async () => {
        const text = await metrics(gateway);
        return sumSamples(text, 'cable_inspector_storage_images') === usage.images ? text : undefined;
      },
      5000,
    );
    assert.equal(sumSamples(text, 'cable_inspector_storage_bytes'), usage.bytes);
    assert.equal(
      sumSamples(text, 'cable_inspector_images_pruned_total', { reason: 'size' }),
      uploads.length - usage.images,
    );
    assert.equal(sumSamples(text, 'cable_inspector_images_pruned_total', { reason: 'age' }), 0);
    assert.equal(sumSamples(text, 'cable_inspector_images_pruned_total', { reason: 'disk' }), 0);
    assert.equal(
      sumSamples(text, 'cable_inspector_transfers_total', { outcome: 'completed' }),
      uploads.length,
    );
  });
});
