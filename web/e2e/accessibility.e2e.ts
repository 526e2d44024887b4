import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, desktop, launchBrowser, register, uniqueUsername } from './browser.ts';

const axeSource: string = createRequire(import.meta.url)('axe-core').source;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Runs axe-core in the page and returns the serious and critical findings, readably. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const { axe } = window as unknown as {
      axe: { run: (context: Document) => Promise<{ violations: AxeViolation[] }> };
    };
    return (await axe.run(document)).violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
}

describe('accessibility (axe-core)', () => {
  it('finds no serious or critical violations on any page', async () => {
    // The app's CSP allows no inline scripts, and axe is injected as one. bypassCSP lifts the
    // policy for this scanning context only; the other tests run with the real policy.
    const context = await browser.newContext({ ...desktop, bypassCSP: true });
    const page = await context.newPage();

    const findings: Record<string, string[]> = {};
    for (const path of ['/login', '/register']) {
      await page.goto(`${baseUrl}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      findings[path] = await seriousViolations(page);
    }

    await register(page, uniqueUsername('axe'));
    await page.getByRole('button', { name: 'Spin' }).click();
    await page.locator('.history__item').first().waitFor();
    findings['/'] = await seriousViolations(page);

    await page.goto(`${baseUrl}/forum`);
    await page.getByRole('heading', { name: 'Forum' }).waitFor();
    await page.locator('.thread-list__item, .muted').first().waitFor();
    findings['/forum'] = await seriousViolations(page);

    const firstThread = page.locator('.thread-list__title').first();
    if ((await firstThread.count()) > 0) {
      await firstThread.click();
      await page.locator('.post').first().waitFor();
      findings['/forum/{id}'] = await seriousViolations(page);
    }

    await page.goto(`${baseUrl}/leaderboard`);
    await page.getByRole('table').waitFor();
    findings['/leaderboard'] = await seriousViolations(page);

    // Before stage 04 the shop says where it opens; from 04 on it lists the titles.
    await page.goto(`${baseUrl}/shop`);
    await page.getByRole('heading', { name: 'Titles shop' }).waitFor();
    await page.locator('.shop__titles, .notice').first().waitFor();
    findings['/shop'] = await seriousViolations(page);

    await context.close();
    expect(findings).toEqual(Object.fromEntries(Object.keys(findings).map((key) => [key, []])));
  });
});
