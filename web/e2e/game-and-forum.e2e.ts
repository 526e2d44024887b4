import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseUrl,
  desktop,
  expectedServedBy,
  expectOnLeaderboard,
  launchBrowser,
  phone,
  register,
  type SpinBody,
  screenshot,
  uniqueUsername,
} from './browser.ts';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function readBalance(page: Page): Promise<number> {
  return Number(await page.getByTestId('balance').textContent());
}

/** Presses Spin (however `press` does it) and returns what the server answered. */
async function spinOnce(page: Page, press: () => Promise<void>): Promise<SpinBody> {
  const answered = page.waitForResponse(
    (response) =>
      response.url().endsWith('/api/slots/spins') && response.request().method() === 'POST',
  );
  await press();
  const response = await answered;
  expect(response.status()).toBe(201);
  return (await response.json()) as SpinBody;
}

describe('a full session in Chromium', () => {
  it('registers, spins with consistent balances, posts a thread and a reply, and ranks', async () => {
    const context = await browser.newContext(desktop);
    const page = await context.newPage();
    const username = uniqueUsername('e2e');

    await register(page, username);
    await expect
      .poll(() =>
        page
          .locator('.trace__row', { hasText: '/api/sessions' })
          .first()
          .getByTestId('served-by')
          .textContent(),
      )
      .toBe(expectedServedBy().users);
    await page.getByLabel(/^Bet/).fill('5');
    await page.getByLabel(/^Bet/).press('Enter');

    let balance = await readBalance(page);
    for (let round = 0; round < 4; round++) {
      const spin = await spinOnce(page, () => page.getByRole('button', { name: 'Spin' }).click());
      expect(spin.bet).toBe(5);
      expect(spin.balance).toBe(balance - spin.bet + spin.payout);
      await expect.poll(() => readBalance(page)).toBe(spin.balance);
      await expect
        .poll(() => page.locator('.history__item').first().getAttribute('data-spin-id'))
        .toBe(spin.id);
      balance = spin.balance;
    }
    await expect.poll(() => page.locator('.history__item').count()).toBe(4);
    await expect
      .poll(() => page.getByTestId('served-by').first().textContent())
      .toBe(expectedServedBy().slots);
    await page.waitForTimeout(2000); // let the reels land before the picture
    await screenshot(page, 'game-desktop');

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Forum' })
      .click();
    const title = `Lucky streak report ${username}`;
    await page.getByLabel('Title').fill(title);
    await page
      .getByLabel('Message')
      .fill('Three puppies in a row! Has anyone else seen <b>that</b>?');
    await page.getByRole('button', { name: 'Post thread' }).click();
    // The new thread's own page; in stage 02 it also waits for the badge call to slots, which
    // on a busy machine can take longer than a poll's one second.
    await page.getByRole('heading', { level: 1, name: title, exact: true }).waitFor();
    const reply = 'Congratulations, the paytable says that is a big one.';
    await page.getByLabel('Your reply').fill(reply);
    await page.getByRole('button', { name: 'Post reply' }).click();
    await page.locator('.post__body', { hasText: reply }).waitFor();
    await expect
      .poll(() => page.getByTestId('served-by').first().textContent())
      .toBe(expectedServedBy().forum);
    // The markup in the first post is shown as text, never interpreted.
    expect(await page.locator('.post__body', { hasText: '<b>that</b>' }).count()).toBe(1);
    expect(await page.locator('.post__body b').count()).toBe(0);
    await screenshot(page, 'forum-thread-desktop');
    await page.getByRole('link', { name: '← All threads' }).click();
    await page.getByRole('link', { name: title }).waitFor();
    await screenshot(page, 'forum-desktop');

    await expectOnLeaderboard(page, username, balance);
    await screenshot(page, 'leaderboard-desktop');
    await context.close();
  });

  it('plays with the keyboard only: Tab to the Spin button, press Space', async () => {
    const context = await browser.newContext({ ...desktop, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await register(page, uniqueUsername('keys'));
    const before = await readBalance(page);

    let focusedSpin = false;
    for (let presses = 0; presses < 40 && !focusedSpin; presses++) {
      await page.keyboard.press('Tab');
      focusedSpin = await page.evaluate(
        () => document.activeElement?.textContent?.trim() === 'Spin',
      );
    }
    expect(focusedSpin).toBe(true);
    const spin = await spinOnce(page, () => page.keyboard.press('Space'));

    expect(spin.balance).toBe(before - spin.bet + spin.payout);
    await expect
      .poll(() => page.getByTestId('spin-result').textContent())
      .toContain(`Balance: ${spin.balance}.`);
    // The button keeps focus, so the next Space spins again.
    const again = await spinOnce(page, () => page.keyboard.press('Space'));
    expect(again.balance).toBe(spin.balance - again.bet + again.payout);
    await context.close();
  });

  it('fits a 375 px wide phone screen', async () => {
    const context = await browser.newContext(phone);
    const page = await context.newPage();
    await register(page, uniqueUsername('phone'));
    await spinOnce(page, () => page.getByRole('button', { name: 'Spin' }).click());
    await page.waitForTimeout(2000);

    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'game-phone');
    await page.goto(`${baseUrl}/forum`);
    await page.getByRole('heading', { name: 'Forum' }).waitFor();
    await screenshot(page, 'forum-phone');
    await context.close();
  });
});
