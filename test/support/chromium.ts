import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (CI installs the package); a browser is never downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/** Where browser tests save their screenshots (a test artifact; ignored by git). */
export const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');

/** Why browser tests of this run are skipped, or undefined when chromium is here. */
export const NO_CHROMIUM = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing: install Debian's chromium package to run the browser tests`;

export interface ChromiumForFile {
  /** A fresh browser context (its own cookies), as a new person at their own browser. */
  context(): Promise<BrowserContext>;
  /** A page of a fresh context. */
  page(): Promise<Page>;
}

/** One headless Chromium for the calling test file, started before its tests and closed after them. */
export function chromiumForThisFile(): ChromiumForFile {
  let browser: Browser | undefined;
  before(async () => {
    if (NO_CHROMIUM !== undefined) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  after(() => browser?.close());
  const context = async () => {
    if (browser === undefined) throw new Error('chromium starts in the before hook');
    return browser.newContext({ viewport: { width: 1200, height: 900 } });
  };
  return {
    context,
    async page() {
      return (await context()).newPage();
    },
  };
}

/** Saves a full-page screenshot as a test artifact. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/**
 * Collects what would show a page broken: uncaught script errors and CSP refusals (Chromium logs
 * those as console errors). A 4xx answer a page is meant to give (a wrong password's 401) is not one.
 */
export function watchForPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  return errors;
}
