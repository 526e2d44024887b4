import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  desktop,
  eventually,
  expectOnLeaderboard,
  launchBrowser,
  register,
  type SpinBody,
  screenshot,
  stageId,
  uniqueUsername,
} from './browser.ts';

/*
 * From stage 04 on, slots publishes what happened and other services react on their own time: a
 * big win becomes a forum post (the forum polls its queue), the leaderboard is a read model fed
 * by events. The page sees both only after the events arrive, so every check here waits for
 * them — seconds at most — and reloads, as a player would.
 */

/** Three of a kind pays at least 10× the bet: about one spin in 31 (BIG_WIN_MULTIPLE). */
const BIG_WIN_MULTIPLE = 10;
/** Enough spins that missing a big win is a one-in-ten-million event (0.968^500). */
const MAX_SPINS = 500;

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/**
 * Spins at the smallest bet from inside the page, with the page's own session, until one pays
 * a big win. Through the API rather than the Spin button: hundreds of animated spins would
 * take minutes, and the button is covered by the other browser tests.
 */
async function spinUntilBigWin(page: Page): Promise<{ bigWin: SpinBody; last: SpinBody }> {
  return page.evaluate(
    async ({ multiple, maxSpins }) => {
      const session = JSON.parse(sessionStorage.getItem('course.session') ?? 'null');
      const headers = {
        authorization: `Bearer ${session.token}`,
        'content-type': 'application/json',
      };
      const machine = await (await fetch('/api/slots/machine')).json();
      for (let attempt = 0; attempt < maxSpins; attempt++) {
        const response = await fetch('/api/slots/spins', {
          method: 'POST',
          headers,
          body: JSON.stringify({ bet: machine.minBet }),
        });
        if (response.status !== 201) throw new Error(`spin answered ${response.status}`);
        const spin = await response.json();
        if (spin.payout >= multiple * spin.bet) return { bigWin: spin, last: spin };
      }
      throw new Error(`no big win in ${maxSpins} spins`);
    },
    { multiple: BIG_WIN_MULTIPLE, maxSpins: MAX_SPINS },
  );
}

describe.runIf(Number(stageId) >= 4)('events in Chromium (stage 04 on)', () => {
  it('a big win shows up as a forum post and on the leaderboard, with how fresh it is', async () => {
    const context = await browser.newContext(desktop);
    const page = await context.newPage();
    const username = uniqueUsername('lucky');
    await register(page, username);

    const { bigWin, last } = await spinUntilBigWin(page);

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Forum' })
      .click();
    const thread = page.getByRole('link', { name: 'Big wins' });
    await eventually(page, async () => (await thread.count()) > 0);
    await thread.click();
    const announcement = page.locator('.post__body', { hasText: username });
    await eventually(page, async () => (await announcement.count()) === 1);
    expect(await announcement.textContent()).toContain(String(bigWin.payout));
    await screenshot(page, 'big-win-post-desktop');

    await expectOnLeaderboard(page, username, last.balance);
    await expect.poll(() => page.getByText(/as of/i).count()).toBeGreaterThan(0);
    await screenshot(page, 'leaderboard-as-of-desktop');
    await context.close();
  });
});
