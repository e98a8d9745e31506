/** Debian's Chromium driven by playwright-core, plus small waiting helpers for the web client. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/** A fresh browser: launch() gives every run its own throwaway profile. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface UserPage {
  context: BrowserContext;
  page: Page;
  /** Page errors and console errors, to assert none happened (CSP violations land here too). */
  errors: string[];
}

/** A separate context (own storage, own session) with one page. */
export async function openUser(browser: Browser, url: string): Promise<UserPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Waits until `selector`'s text matches `re` (or, with `re` null, until nothing matches `selector`). */
export async function waitForText(page: Page, selector: string, re: RegExp | null, timeout = 10_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, src, flags]) => {
        const el = document.querySelector(sel as string);
        if (src === null) return el === null;
        return el !== null && new RegExp(src as string, flags as string).test(el.textContent ?? '');
      },
      [selector, re?.source ?? null, re?.flags ?? ''],
      { timeout, polling: 50 },
    );
  } catch (err) {
    const now = await page.evaluate((sel) => document.querySelector(sel)?.textContent ?? '(absent)', selector).catch(() => '(page gone)');
    throw new Error(`waiting for ${selector} ~ ${re ?? '(absent)'}: still "${now}"\n${String(err)}`);
  }
}

export async function textOf(page: Page, selector: string): Promise<string | null> {
  return page.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, selector);
}

/** Fakes the tab being hidden or shown, as Chromium would on switching tabs. */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    Object.defineProperty(document, 'hidden', { value: h, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

export const contact = (userId: string, part: string) => `.contact[data-user-id="${userId}"] ${part}`;
export const ME_LABEL = '[data-testid=me] .presence-label';
