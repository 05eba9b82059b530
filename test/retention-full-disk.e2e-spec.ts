import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FIRMWARE, syntheticJpeg, type UploadResult } from '#camera-emulator';
import { sumSamples } from '../bench/src/gateway-child.js';
import { DevicePool, describeResult } from './support/devices.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { readStoredImages, sha256 } from './support/stored-images.js';

/** The file system the test mounts: images, sidecars and the spool (two 8 MiB segments) share it. */
const FILE_SYSTEM_BYTES = 32 * 1024 ** 2;
const MIN_FREE_BYTES = 2 * 1024 ** 2;
/** Uploaded, in all: the file system filled twice over. */
const UPLOADED_BYTES = 2 * FILE_SYSTEM_BYTES;
const CAMERAS = 4;
const IMAGE_BYTES = 180_001;

const notRoot = process.getuid?.() !== 0;

function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * A small file system (a tmpfs of 32 MiB the test mounts) and twice that uploaded by four
 * cameras at once (burst firmware), with the default spool on it too: retention makes room as it
 * goes (RETENTION_MAX_BYTES=100%: free space alone decides), so that not one upload is refused and
 * readiness never fails.
 */
describe(
  'retention on a full small file system',
  { skip: notRoot && 'mounting a tmpfs needs root (CI runs as root)' },
  () => {
    let mountPoint: string;
    let mounted = false;
    let gateway: TestGateway | undefined;
    const devices = new DevicePool();
    const results: UploadResult[] = [];
    const lastOfEach: Buffer[] = [];
    const readiness: number[] = [];
    let leastFree = Infinity;

    before(async () => {
      mountPoint = await mkdtemp(join(tmpdir(), 'e2e-full-disk-'));
      execFileSync('mount', [
        '-t',
        'tmpfs',
        '-o',
        `size=${FILE_SYSTEM_BYTES},mode=0700`,
        'tmpfs',
        mountPoint,
      ]);
      mounted = true;
      gateway = await startTestGateway({
        STORAGE_DIR: join(mountPoint, 'images'),
        RETENTION_MAX_BYTES: '100%',
        MIN_FREE_DISK_BYTES: MIN_FREE_BYTES,
      });
      const port = (gateway.app.getHttpServer().address() as { port: number }).port;
      let uploading = true;
      const watch = (async () => {
        while (uploading) {
          const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
          readiness.push(response.status);
          if (response.status !== 200) console.log(`readiness: ${await response.text()}`);
          else await response.text();
          leastFree = Math.min(leastFree, freeBytes(mountPoint));
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      const perCamera = Math.ceil(UPLOADED_BYTES / IMAGE_BYTES / CAMERAS);
      await Promise.all(
        Array.from({ length: CAMERAS }, async (_, camera) => {
          const device = await devices.open({
            server: gateway!.udp,
            firmware: FIRMWARE.B,
            deviceId: 40 + camera,
          });
          for (let index = 0; index < perCamera; index++) {
            const image = syntheticJpeg(IMAGE_BYTES, camera * 10_000 + index);
            results.push(await device.upload(image, { deadlineMs: 20_000 }));
            if (index === perCamera - 1) lastOfEach.push(image);
          }
        }),
      );
      uploading = false;
      await watch;
    });

    after(async () => {
      await devices.closeAll();
      await gateway?.close();
      if (mounted) {
        try {
          execFileSync('umount', [mountPoint]);
        } catch {
          execFileSync('umount', ['-l', mountPoint]);
        }
      }
      await rm(mountPoint, { recursive: true, force: true });
    });

    it('takes every upload, none refused, readiness up all along', async () => {
      const failed = results.filter(
        (result) => !result.ok || result.violations.length > 0 || result.nacks > 0,
      );
      assert.deepEqual(failed.map(describeResult), []);
      assert.ok(results.length * IMAGE_BYTES >= UPLOADED_BYTES, `${results.length} images uploaded`);
      assert.deepEqual(
        readiness.filter((status) => status !== 200),
        [],
      );
      assert.ok(leastFree >= MIN_FREE_BYTES, `${leastFree} bytes free at the least`);
      const text = await (
        await fetch(
          `http://127.0.0.1:${(gateway!.app.getHttpServer().address() as { port: number }).port}/metrics`,
        )
      ).text();
      assert.equal(sumSamples(text, 'cable_inspector_transfers_total', { outcome: 'refused' }), 0);
      assert.equal(sumSamples(text, 'cable_inspector_transfers_total', { outcome: 'failed' }), 0);
      assert.equal(
        sumSamples(text, 'cable_inspector_transfers_total', { outcome: 'completed' }),
        results.length,
      );
      assert.ok(sumSamples(text, 'cable_inspector_images_pruned_total', { reason: 'disk' }) > 0);
    });

    it('keeps the newest image of every camera', async () => {
      const stored = new Set(
        (await readStoredImages(join(mountPoint, 'images'))).map((image) => image.sha256),
      );
      for (const image of lastOfEach) assert.ok(stored.has(sha256(image)));
    });
  },
);
