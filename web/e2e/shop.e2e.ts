import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  desktop,
  launchBrowser,
  register,
  screenshot,
  stageId,
  uniqueUsername,
} from './browser.ts';

/*
 * From stage 04 on, buying a title is a saga orchestrated by Step Functions (the local AWS
 * runtime runs the state machine from the synthesized template): debit the credits in slots,
 * grant the title in the forum, and, when the forum refuses the grant, make sure it is not
 * granted and refund the credits. The page follows the purchase's record step by step.
 */

const LUCKY_SEVEN = { name: 'Lucky Seven', price: 100 };
/** A saga's steps run in a few hundred milliseconds; retries with backoff can take seconds. */
const SAGA_TIMEOUT_MS = 30_000;
/**
 * A page's reads wait for the slots functions: a cold one (a new execution environment) takes
 * seconds on a busy machine, beyond expect.poll's default of one second.
 */
const READ_TIMEOUT_MS = 15_000;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function readShopBalance(page: Page): Promise<number> {
  const balance = page.getByTestId('shop-balance');
  await expect
    .poll(async () => /^\d+$/.test((await balance.textContent()) ?? ''), {
      timeout: READ_TIMEOUT_MS,
    })
    .toBe(true);
  return Number(await balance.textContent());
}

/** Presses Buy and waits until the purchase's saga has ended; returns the status line. */
async function buy(page: Page, title: string): Promise<string> {
  const started = page.waitForResponse(
    (response) =>
      response.url().endsWith('/api/slots/purchases') && response.request().method() === 'POST',
  );
  await page.getByRole('button', { name: `Buy ${title}` }).click();
  const response = await started;
  expect(response.status()).toBe(202);
  // The page follows the new purchase once the address names it: until then the status line may
  // still tell the previous purchase's end.
  const { id } = (await response.json()) as { id: string };
  await page.waitForURL((url) => url.searchParams.get('purchase') === id);
  const status = page.getByTestId('purchase-status');
  await expect
    .poll(async () => !(await status.textContent())?.startsWith('Buying'), {
      timeout: SAGA_TIMEOUT_MS,
    })
    .toBe(true);
  return (await status.textContent()) ?? '';
}

/** The purchase's rows as "step status", oldest first. */
async function stepRows(page: Page): Promise<string[]> {
  return page
    .locator('.purchase-step')
    .evaluateAll((rows) =>
      rows.map((row) => `${row.getAttribute('data-step')} ${row.getAttribute('data-status')}`),
    );
}

describe.runIf(Number(stageId) >= 4)('the titles shop in Chromium (stage 04 on)', () => {
  it('buys a title, is refunded when buying it again, and shows the title in the forum', async () => {
    const context = await browser.newContext(desktop);
    const page = await context.newPage();
    const username = uniqueUsername('shop');
    await register(page, username);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Shop' })
      .click();
    const before = await readShopBalance(page);

    const first = await buy(page, LUCKY_SEVEN.name);

    expect(first).toContain(`You are now ${LUCKY_SEVEN.name}.`);
    expect(await stepRows(page)).toEqual(['debit succeeded', 'grant succeeded']);
    await expect
      .poll(() => readShopBalance(page), { timeout: READ_TIMEOUT_MS })
      .toBe(before - LUCKY_SEVEN.price);
    await screenshot(page, 'shop-completed-desktop');

    // The forum refuses a title the player already holds: the saga compensates.
    const second = await buy(page, LUCKY_SEVEN.name);

    expect(second).toContain(`${LUCKY_SEVEN.price} credits are back`);
    const rows = await stepRows(page);
    expect(rows[0]).toBe('debit succeeded');
    expect(rows).toContain('grant failed');
    expect(rows.slice(-2)).toEqual(['cancelGrant succeeded', 'refund succeeded']);
    await expect
      .poll(() => readShopBalance(page), { timeout: READ_TIMEOUT_MS })
      .toBe(before - LUCKY_SEVEN.price);
    await screenshot(page, 'shop-refunded-desktop');

    // The address names the purchase: a reload shows the same record again.
    expect(new URL(page.url()).searchParams.get('purchase')).toMatch(/^[0-9a-f-]{36}$/);
    await page.reload();
    await expect
      .poll(async () => page.getByTestId('purchase-status').textContent(), {
        timeout: READ_TIMEOUT_MS,
      })
      .toBe(second);
    expect(await stepRows(page)).toEqual(rows);

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Forum' })
      .click();
    const title = `Titled at last ${username}`;
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Message').fill('Bought a title with my winnings.');
    await page.getByRole('button', { name: 'Post thread' }).click();
    await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
    const meta = page.locator('.post__meta', { hasText: username }).first();
    expect(await meta.locator('.title-badge').textContent()).toContain(LUCKY_SEVEN.name);
    await screenshot(page, 'forum-title-desktop');
    await context.close();
  });
});
