/**
 * The page of the newest images in a real browser: Debian's chromium, headless, driven by
 * playwright-core (no browser is downloaded). The page updates live as images arrive and are
 * analysed, without reloading; it filters by device and verdict; it shows each device's defect
 * rate. Skipped without chromium, except in CI (`CI` set), where that fails: .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { CameraDevice, FIRMWARE } from '#camera-emulator';
import { startAnalysingTestGateway, type TestGateway } from './support/gateway.js';
import { openChromium } from './support/chromium.js';
import { toolGate } from './support/prometheus-tools.js';

const tools = toolGate(['chromium'], 'chromium');

/** What the functions run in the page use of it (the project compiles without the DOM library). */
interface PageElement {
  getAttribute(name: string): string | null;
}
declare const document: {
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
  querySelector(selector: string): PageElement | null;
};
declare const window: Record<string, unknown>;
declare function getComputedStyle(element: PageElement): { readonly backgroundColor: string };
const FIXTURE = join('test', 'fixtures', 'esp32cam-xga.jpg');

describe('the live page of the newest images, in chromium', { skip: tools.skip }, () => {
  let gateway: TestGateway;
  let base: string;
  let root: string;
  let browser: BrowserContext;
  let page: Page;
  let photo: Buffer;
  const pageErrors: string[] = [];

  async function upload(deviceId: number): Promise<void> {
    const camera = await CameraDevice.open({ server: gateway.udp, firmware: FIRMWARE.B, deviceId });
    try {
      assert.equal((await camera.upload(photo, { deadlineMs: 10_000 })).ok, true);
    } finally {
      await camera.close();
    }
  }

  const figures = () => page.locator('figure');

  /** Waits until the grid shows `count` images, every one with its verdict. */
  async function shown(count: number): Promise<void> {
    await page.waitForFunction(
      (expected) => {
        const cards = [...document.querySelectorAll('figure')];
        return (
          cards.length === expected && cards.every((card) => card.getAttribute('data-verdict') !== 'pending')
        );
      },
      count,
      { timeout: 20_000 },
    );
  }

  before(async () => {
    tools.assertAvailable();
    root = await mkdtemp(join(tmpdir(), 'e2e-live-page-'));
    photo = await readFile(FIXTURE);
    gateway = await startAnalysingTestGateway();
    base = gateway.http;
    await upload(41);
    ({ browser, page } = await openChromium(root, pageErrors));
    await page.goto(`${base}/images`);
    await page.waitForSelector('#live-status.live', { timeout: 10_000 });
    // Gone if the page reloads.
    await page.evaluate(() => (window.loadedOnce = true));
  });

  after(async () => {
    await browser?.close();
    await gateway?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('shows new images and their verdicts as they come, without reloading', async () => {
    await shown(1);
    await upload(42);
    await upload(42);
    await shown(3);
    const ids = await figures().evaluateAll((cards) =>
      cards.map((card) => card.getAttribute('data-image-id')),
    );
    const api = (await (await fetch(`${base}/api/images`)).json()) as { items: { imageId: string }[] };
    assert.deepEqual(
      ids,
      api.items.map((item) => item.imageId),
      'newest first, as the API',
    );
    assert.equal(await page.evaluate(() => window.loadedOnce), true);
    // The verdict colours come from the sheet every page shares.
    const badges = await page
      .locator('figure .badge')
      .evaluateAll((spans) =>
        spans.map((span) => [span.getAttribute('class'), getComputedStyle(span).backgroundColor]),
      );
    const colourOf: Record<string, string> = {
      'badge pass': 'rgb(26, 127, 55)',
      'badge defect': 'rgb(207, 34, 46)',
      'badge uncertain': 'rgb(154, 103, 0)',
    };
    assert.equal(badges.length, 3);
    for (const [className, colour] of badges)
      assert.equal(colour, colourOf[className!], `${className}: ${colour}`);
    const photoLoaded = await page
      .locator('figure img')
      .first()
      .evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).naturalWidth);
    assert.equal(photoLoaded, 1024);
    assert.deepEqual(pageErrors, []);
  });

  it("shows each device's defect rate, as the API gives it", async () => {
    await page.waitForFunction(() => document.querySelectorAll('#devices .device').length === 2);
    const api = (await (await fetch(`${base}/api/devices`)).json()) as {
      devices: {
        deviceKey: string;
        defectRateLastHour: { rate: number | null; defects: number; analysed: number };
      }[];
    };
    for (const device of api.devices) {
      const card = page.locator(`#devices [data-device-key="${device.deviceKey}"]`);
      await page.waitForFunction(
        ([key, rate]) =>
          document.querySelector(`[data-device-key="${key}"]`)?.getAttribute('data-defect-rate-hour') ===
          rate,
        [device.deviceKey, String(device.defectRateLastHour.rate ?? '')] as const,
      );
      const { defects, analysed } = device.defectRateLastHour;
      assert.match(await card.innerText(), new RegExp(`last hour \\(${defects}/${analysed}\\)`));
    }
  });

  it('filters by device (kept in the address) and goes on live within the filter', async () => {
    await page.selectOption('select[name="device"]', '41_127.0.0.1');
    await page.waitForFunction(() => document.querySelectorAll('figure').length === 1);
    assert.match(page.url(), /\?device=41_127\.0\.0\.1$/);
    await upload(42);
    await upload(41);
    await shown(2);
    const devices = await figures().evaluateAll((cards) =>
      cards.map((card) => card.getAttribute('data-image-id')!.split('/')[1]),
    );
    assert.deepEqual(devices, ['41_127.0.0.1', '41_127.0.0.1']);
    await page.selectOption('select[name="device"]', '');
    await shown(5);
  });

  it('filters by verdict', async () => {
    const verdicts = await figures().evaluateAll((cards) =>
      cards.map((card) => card.getAttribute('data-verdict')),
    );
    const present = verdicts[0]!;
    const absent = ['pass', 'defect', 'uncertain'].find((verdict) => !verdicts.includes(verdict));
    if (absent) {
      await page.selectOption('select[name="verdict"]', absent);
      await page.waitForSelector('#empty:not([hidden])');
      assert.equal(await figures().count(), 0);
    }
    await page.selectOption('select[name="verdict"]', present);
    await page.waitForFunction(
      ([wanted, count]) =>
        document.querySelectorAll('figure').length === count &&
        [...document.querySelectorAll('figure')].every(
          (card) => card.getAttribute('data-verdict') === wanted,
        ),
      [present, verdicts.filter((each) => each === present).length] as const,
    );
    assert.match(page.url(), new RegExp(`verdict=${present}`));
    await page.screenshot({ path: join(process.env.LIVE_PAGE_SCREENSHOT_DIR ?? root, 'live-page.png') });
    assert.deepEqual(pageErrors, []);
  });
});
