import assert from 'node:assert/strict';
import { readFile, rm, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import type { GalleryData } from '../src/gallery/gallery-page.js';
import { startAnalysingTestGateway, type TestGateway } from './support/gateway.js';
import { eventually } from './support/prometheus-tools.js';
import { readStoredImages } from './support/stored-images.js';

const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');

/** The data a page came with (its script renders it). */
function pageData(html: string): GalleryData {
  const json = /<script type="application\/json" id="page-data">(.*?)<\/script>/s.exec(html)?.[1];
  assert.ok(json, html);
  return JSON.parse(json) as GalleryData;
}

describe('the page of the newest images (GET /images) and the photos', () => {
  let gateway: TestGateway;
  let base: string;
  let photo: Buffer;

  before(async () => {
    photo = await readFile(FIXTURE);
    gateway = await startAnalysingTestGateway();
    base = gateway.http;
    for (const deviceId of [3, 4, 4]) {
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
  });

  it('comes with the newest images (newest first, with their verdicts) and every device', async () => {
    const data = await eventually(
      'every image analysed on the page',
      async () => {
        const response = await fetch(`${base}/images`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        const each = pageData(await response.text());
        return each.images.length === 3 && each.images.every((image) => image.verdict !== null)
          ? each
          : undefined;
      },
      10_000,
      50,
    );
    const stored = await readStoredImages(gateway.storageDir);
    const newestFirst = stored
      .map((image) => image.sidecar.imageId)
      .sort((a, b) => b.split('/')[2]!.localeCompare(a.split('/')[2]!));
    assert.deepEqual(
      data.images.map((image) => image.imageId),
      newestFirst,
    );
    assert.deepEqual(
      data.devices.map((device) => [device.deviceKey, device.images]),
      [
        ['4_127.0.0.1', 2],
        ['3_127.0.0.1', 1],
      ],
    );
    const html = await (await fetch(`${base}/images`)).text();
    const script = /<script type="module" src="([^"]+)"/.exec(html)![1]!;
    const asset = await fetch(`${base}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
  });

  it('filters by device and verdict, and shows as many as asked, within bounds', async () => {
    const byDevice = pageData(await (await fetch(`${base}/images?device=4`)).text());
    assert.deepEqual(new Set(byDevice.images.map((image) => image.deviceId)), new Set([4]));
    const [first] = byDevice.images;
    const byVerdict = pageData(await (await fetch(`${base}/images?verdict=${first!.verdict}`)).text());
    assert.ok(byVerdict.images.every((image) => image.verdict === first!.verdict));
    assert.equal(pageData(await (await fetch(`${base}/images?count=1`)).text()).images.length, 1);
    for (const query of ['count=many', 'count=501', 'verdict=maybe', 'device=../x']) {
      const response = await fetch(`${base}/images?${query}`);
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { parameters: Record<string, string[]> };
      assert.deepEqual(Object.keys(body.parameters), [query.split('=')[0]]);
    }
  });

  it('serves a stored photo by its id, byte for byte', async () => {
    const [image] = await readStoredImages(gateway.storageDir);
    const response = await fetch(`${base}/images/${image!.sidecar.imageId}.jpg`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/jpeg');
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(photo));
  });

  it('serves nothing that is not a stored image, and keeps no 404 in a cache', async () => {
    const [image] = await readStoredImages(gateway.storageDir);
    for (const path of [
      '/images/2026-01-01/3_127.0.0.1/000000000-abc.jpg',
      `/images/${image!.sidecar.imageId}.json`,
      '/images/..%2F..%2F..%2Fetc/passwd/x.jpg',
      '/images/%2E%2E/%2E%2E/package.json',
    ]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(response.headers.get('cache-control') ?? '', /max-age/, path);
    }
  });

  it('never follows a symbolic link out of STORAGE_DIR (a link to /etc/passwd planted in a device folder)', async () => {
    const [image] = await readStoredImages(gateway.storageDir);
    const planted = join(dirname(image!.imagePath), '235959999-0123456789ab.jpg');
    await symlink('/etc/passwd', planted);
    try {
      const id = `${image!.sidecar.imageId.split('/').slice(0, 2).join('/')}/235959999-0123456789ab`;
      const response = await fetch(`${base}/images/${id}.jpg`);
      const body = await response.text();
      assert.equal(response.status, 404, body.slice(0, 80));
      assert.doesNotMatch(body, /root:/);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /cable_inspector_photos_unavailable_total\{reason="outside-store"\} 1/);
    } finally {
      await unlink(planted);
    }
  });

  it('drops an image whose photo is gone (pruned) and answers 404 cleanly', async () => {
    const stored = await readStoredImages(gateway.storageDir);
    const gone = stored[stored.length - 1]!;
    await rm(gone.imagePath);
    await rm(gone.sidecarPath);
    const response = await fetch(`${base}/images/${gone.sidecar.imageId}.jpg`);
    assert.equal(response.status, 404);
    assert.equal((await fetch(`${base}/api/images/${gone.sidecar.imageId}`)).status, 404);
    const listed = (await (await fetch(`${base}/api/images`)).json()) as { items: { imageId: string }[] };
    assert.ok(!listed.items.some((item) => item.imageId === gone.sidecar.imageId));
  });
});
