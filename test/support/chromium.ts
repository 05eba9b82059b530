import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { findExecutable } from './prometheus-tools.js';

/** As the machine's notes say Debian's chromium runs here: no sandbox (root), nothing fetched. */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Debian's chromium, headless, with its profile under `root` (no browser is downloaded), and its
 * page; every error a page script throws is pushed to `pageErrors`.
 */
export async function openChromium(
  root: string,
  pageErrors: string[],
): Promise<{ browser: BrowserContext; page: Page }> {
  const browser = await chromium.launchPersistentContext(join(root, 'chromium-profile'), {
    executablePath: findExecutable('chromium'),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { browser, page };
}
