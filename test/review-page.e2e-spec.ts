/**
 * The review page in a real browser: Debian's chromium, headless, driven by playwright-core (no
 * browser is downloaded), against the real gateway fed over UDP. The page walks the queue in the
 * API's order (uncertain, then defects, then the sampled passes); digits pick a label, Enter
 * accepts the model's, S skips, U undoes, a new label is taken when typed; every label lands in
 * the sidecar, never in the JPEG. Skipped without chromium, except in CI (`CI` set), where that
 * fails: .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { noisyPhoto } from '../libs/vision/src/testing/noisy-photos.js';
import type { ImageRecord } from '../src/storage/image-record.js';
import { startAnalysingTestGateway, type TestGateway } from './support/gateway.js';
import { openChromium } from './support/chromium.js';
import { eventually, toolGate } from './support/prometheus-tools.js';

const tools = toolGate(['chromium'], 'chromium');

/** What the functions run in the page use of it (the project compiles without the DOM library). */
declare const document: {
  readonly body: { readonly dataset: Record<string, string | undefined> };
};

const TIERS = ['uncertain', 'defect', 'pass'];
const PHOTOS = 6;

interface QueueEntry {
  readonly image: { imageId: string; label: string; sha256: string } | null;
  readonly tier: string | null;
  readonly cursor: string | null;
  readonly labels: string[];
}

describe('the review page, in chromium', { skip: tools.skip }, () => {
  let gateway: TestGateway;
  let root: string;
  let browser: BrowserContext;
  let page: Page;
  /** The queue as the API gives it, walked with its cursors before anything is reviewed. */
  const queue: QueueEntry[] = [];
  const pageErrors: string[] = [];

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${gateway.http}${path}`);
    assert.equal(response.ok, true, `${path}: ${response.status}`);
    return (await response.json()) as T;
  }

  const record = (imageId: string) => api<ImageRecord>(`/api/images/${imageId}`);
  const shownId = () => page.evaluate(() => document.body.dataset.imageId ?? '');

  /** Waits until the page shows `imageId` ('' for none). */
  async function showing(imageId: string): Promise<void> {
    await page.waitForFunction((id) => document.body.dataset.imageId === id, imageId, { timeout: 10_000 });
  }

  before(async () => {
    tools.assertAvailable();
    root = await mkdtemp(join(tmpdir(), 'e2e-review-page-'));
    // Every pass in the queue too, and a threshold the tiny model's scores fall on both sides of.
    gateway = await startAnalysingTestGateway({ REVIEW_PASS_SAMPLE: 1, CONFIDENCE_THRESHOLD: 0.5 });
    const camera = await CameraDevice.open({ server: gateway.udp, firmware: FIRMWARE.B, deviceId: 51 });
    try {
      for (let i = 0; i < PHOTOS; i++) {
        const colour: [number, number, number] = i % 2 ? [40, 70, 210] : [60, 200, 60];
        const result = await camera.upload(await noisyPhoto(colour, 31 + i), { deadlineMs: 10_000 });
        assert.equal(result.ok, true, JSON.stringify(result));
      }
    } finally {
      await camera.close();
    }
    await eventually(
      `${PHOTOS} images analysed`,
      async () => {
        const { items } = await api<{ items: { status: string }[] }>('/api/images');
        return items.length === PHOTOS && items.every((item) => item.status === 'analysed')
          ? true
          : undefined;
      },
      30_000,
      50,
    );
    let cursor: string | null | undefined;
    do {
      const entry = await api<QueueEntry>(
        `/api/review/next${cursor ? `?after=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (!entry.image) break;
      queue.push(entry);
      cursor = entry.cursor;
    } while (queue.length <= PHOTOS);
    assert.equal(queue.length, PHOTOS, 'every image in the queue, passes sampled at 1');
    ({ browser, page } = await openChromium(root, pageErrors));
    await page.goto(`${gateway.http}/review`);
  });

  after(async () => {
    await browser?.close();
    await gateway?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("shows the API's first image with the model's label, scores and the labels to pick", async () => {
    const tiers = queue.map((entry) => TIERS.indexOf(entry.tier!));
    assert.deepEqual(
      tiers,
      [...tiers].sort((a, b) => a - b),
      'uncertain first, then defects, then passes',
    );
    const [first] = queue;
    await showing(first!.image!.imageId);
    assert.equal(await page.locator('#model-label').innerText(), first!.image!.label);
    assert.equal(await page.locator('#scores li').count(), 2);
    assert.deepEqual(
      await page
        .locator('#labels button')
        .evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-label'))),
      first!.labels,
    );
    const width = await page
      .locator('#photo')
      .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
    assert.equal(width, 64, 'the photo is shown');
  });

  it('labels from the keyboard into the sidecar, never the JPEG: a digit, Enter; S skips; U undoes', async () => {
    const [a, b, c, d] = queue.map((entry) => entry.image!);
    const labels = queue[0]!.labels;
    await page.keyboard.press('2');
    await showing(b!.imageId);
    const labelled = await record(a!.imageId);
    assert.equal(labelled.review?.label, labels[1]);
    const jpeg = await readFile(join(gateway.storageDir, `${a!.imageId}.jpg`));
    assert.equal(createHash('sha256').update(jpeg).digest('hex'), a!.sha256, 'the JPEG as stored');

    await page.keyboard.press('Enter');
    await showing(c!.imageId);
    assert.equal((await record(b!.imageId)).review?.label, b!.label, "Enter: the model's label");

    await page.keyboard.press('s');
    await showing(d!.imageId);
    assert.equal((await record(c!.imageId)).review, undefined, 'skipped, not labelled');

    await page.keyboard.press('u');
    await showing(c!.imageId);
    await page.keyboard.press('u');
    await showing(b!.imageId);
    await eventually(
      'the review taken back',
      async () => ((await record(b!.imageId)).review === undefined ? true : undefined),
      5_000,
      50,
    );
    assert.equal((await record(a!.imageId)).review?.label, labels[1], 'only the last label undone');
    assert.match(await page.locator('#message').innerText(), /taken back/);
  });

  it('takes a new label when typed, then offers it', async () => {
    const [, b, c] = queue.map((entry) => entry.image!);
    await page.fill('#new-label', 'frayed');
    await page.press('#new-label', 'Enter');
    await showing(c!.imageId);
    assert.equal((await record(b!.imageId)).review?.label, 'frayed');
    await page.waitForSelector('#labels button[data-label="frayed"]');
  });

  it('ends with nothing left to review', async () => {
    for (let left = PHOTOS - 2; left > 0; left--) {
      const id = await shownId();
      await page.keyboard.press('Enter');
      await page.waitForFunction((was) => document.body.dataset.imageId !== was, id, { timeout: 10_000 });
    }
    await showing('');
    await page.waitForSelector('#empty:not([hidden])');
    const next = await api<QueueEntry>('/api/review/next');
    assert.equal(next.image, null);
    await page.screenshot({ path: join(process.env.LIVE_PAGE_SCREENSHOT_DIR ?? root, 'review-page.png') });
    assert.deepEqual(pageErrors, []);
  });
});
