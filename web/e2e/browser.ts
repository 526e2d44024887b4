import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Set by e2e/cli.ts; a stage you started yourself works too (E2E_BASE_URL=http://localhost:3000). */
export const baseUrl = process.env.E2E_BASE_URL ?? 'http://localhost:3000';
/** The stage under test, e.g. '01'; set by e2e/cli.ts too. */
export const stageId = process.env.E2E_STAGE ?? '00';

/**
 * Who answers the game's and the forum's API calls in each stage: what the "Served by" panel
 * must show. The front end is the same build in every stage; only these names change.
 */
interface ServedBy {
  users: string;
  slots: string;
  forum: string;
}

const servedByPerStage: Record<string, ServedBy> = {
  '00': {
    users: 'monolith@00 (process)',
    slots: 'monolith@00 (process)',
    forum: 'monolith@00 (process)',
  },
  '01': {
    users: 'monolith@01 (process)',
    slots: 'slots@01 (process)',
    forum: 'monolith@01 (process)',
  },
  '02': { users: 'users@02 (process)', slots: 'slots@02 (process)', forum: 'forum@02 (process)' },
  '03': { users: 'users@03 (process)', slots: 'slots@03 (lambda)', forum: 'forum@03 (process)' },
  '04': { users: 'users@04 (process)', slots: 'slots@04 (lambda)', forum: 'forum@04 (process)' },
};

export function expectedServedBy(): ServedBy {
  const expected = servedByPerStage[stageId];
  if (!expected) throw new Error(`e2e/browser.ts does not know who serves stage ${stageId}`);
  return expected;
}
/** What POST /api/slots/spins answers, as far as the browser tests read it. */
export interface SpinBody {
  id: string;
  bet: number;
  payout: number;
  balance: number;
}

export const screenshotDir =
  process.env.E2E_SCREENSHOT_DIR ?? resolve(import.meta.dirname, '..', '..', 'artifacts', 'e2e');
export const PASSWORD = 'correct-horse-battery';

export const desktop: BrowserContextOptions = { viewport: { width: 1280, height: 900 } };
export const phone: BrowserContextOptions = {
  viewport: { width: 375, height: 812 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Debian's Chromium, driven by playwright-core (its own browser downloads are not reachable). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

/** A username nobody has yet, so the suite can run again against the same database. */
export function uniqueUsername(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export async function register(page: Page, username: string): Promise<void> {
  await page.goto(`${baseUrl}/register`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByTestId('balance').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Reloads the page until `check` passes (30 s at most). A page shows what the server had when it
 * was loaded; from stage 04 on, what an event changes (the leaderboard, a forum post) arrives a
 * moment after the request that caused it.
 */
export async function eventually(page: Page, check: () => Promise<boolean>): Promise<void> {
  await expect
    .poll(
      async () => {
        if (await check()) return true;
        await page.reload();
        return check();
      },
      { timeout: 30_000, interval: 1_000 },
    )
    .toBe(true);
}

/** Opens the leaderboard and waits until it shows the player's row with this balance. */
export async function expectOnLeaderboard(
  page: Page,
  username: string,
  balance: number,
): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Leaderboard' })
    .click();
  const row = page.getByRole('row', { name: new RegExp(username) });
  await eventually(
    page,
    async () =>
      (await row.count()) === 1 && ((await row.textContent()) ?? '').includes(String(balance)),
  );
}
