import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { writeTinyModel } from '../src/classification/testing-model.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { readStoredImages } from './support/stored-images.js';

const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');

describe('the page of the newest images (GET /images)', () => {
  let gateway: TestGateway;
  let base: string;
  let photo: Buffer;
  let modelRoot: string;

  before(async () => {
    photo = await readFile(FIXTURE);
    modelRoot = await mkdtemp(join(tmpdir(), 'e2e-gallery-model-'));
    const model = join(modelRoot, 'model');
    await writeTinyModel(model, ['good', 'kink']);
    gateway = await startTestGateway({
      ANALYSIS_ENABLED: 'true',
      MODEL_DIR: model,
      INFERENCE_BACKEND: 'wasm',
    });
    base = `http://127.0.0.1:${(gateway.app.getHttpServer().address() as { port: number }).port}`;
    for (const deviceId of [3, 4]) {
      const camera = await CameraDevice.open({
        server: gateway.udp,
        firmware: FIRMWARE.A_ETHERNET,
        deviceId,
        timeScale: 0.2,
      });
      try {
        assert.equal((await camera.upload(photo, { deadlineMs: 10_000 })).ok, true);
      } finally {
        await camera.close();
      }
    }
  });

  after(async () => {
    await gateway.close();
    await rm(modelRoot, { recursive: true, force: true });
  });

  it('lists the images newest first, each with its photo and verdict', async () => {
    const stored = await readStoredImages(gateway.storageDir);
    assert.equal(stored.length, 2);
    let page = '';
    const deadline = Date.now() + 5000;
    // The verdict appears once the classifier has written it.
    while (Date.now() < deadline && (page.match(/class="badge" style/g) ?? []).length < 2) {
      const response = await fetch(`${base}/images`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      page = await response.text();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal((page.match(/class="badge" style/g) ?? []).length, 2, page);
    const ids = [...page.matchAll(/<img src="\/images\/([^"]+)\.jpg"/g)].map((match) => match[1]);
    // Device 4 uploaded after device 3; ids name the device folder first, then the time.
    const timeOf = (imageId: string) => imageId.split('/')[2]!;
    const newestFirst = stored
      .map((image) => image.sidecar.imageId)
      .sort((a, b) => timeOf(b).localeCompare(timeOf(a)));
    assert.match(newestFirst[0]!, /\/4_/);
    assert.deepEqual(ids, newestFirst);
    assert.match(page, /device 4 · 127\.0\.0\.1/);
  });

  it('serves a stored photo by its id, byte for byte', async () => {
    const [image] = await readStoredImages(gateway.storageDir);
    const response = await fetch(`${base}/images/${image!.sidecar.imageId}.jpg`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(photo));
  });

  it('serves nothing that is not a stored image', async () => {
    const [image] = await readStoredImages(gateway.storageDir);
    for (const path of [
      '/images/2026-01-01/3_127.0.0.1/000000000-abc.jpg',
      `/images/${image!.sidecar.imageId}.json`,
      '/images/..%2F..%2F..%2Fetc/passwd/x.jpg',
      '/images/%2E%2E/%2E%2E/package.json',
    ]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
    }
  });

  it('shows as many as asked, within bounds', async () => {
    const page = await (await fetch(`${base}/images?count=1`)).text();
    assert.equal((page.match(/<figure>/g) ?? []).length, 1);
    assert.equal((await fetch(`${base}/images?count=many`)).status, 400);
  });
});
