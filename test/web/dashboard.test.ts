/**
 * The dashboard in a real headless Chromium (Debian's chromium + playwright-core) against a real engine
 * process: the page loads, the chart renders candles, a limit order placed from the ticket appears in
 * open orders and a canceled one disappears; a running strategy shows and is stopped and started from the
 * page; a backtest started from the page finishes and its report opens. A screenshot is saved as a test
 * artifact (test-results/dashboard.png, or $OCTOPUS_ARTIFACTS_DIR).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The page functions run in the browser; the test process has no DOM types.
declare global {
  var document: { querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null };
}
import { addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';

const kChromium = '/usr/bin/chromium';
const hasChromium = existsSync(kChromium);
// CI installs it (.ci/run); there a missing browser is a failure, not a skip.
if (!hasChromium && process.env.CI === 'true') throw new Error(`expected ${kChromium} in CI (.ci/run installs the chromium package), was missing`);
const artifacts = process.env.OCTOPUS_ARTIFACTS_DIR ?? new URL('../../test-results/', import.meta.url).pathname;

let engine: EngineProcess;
/** A second engine that runs a strategy live (its trades would move the first one's book under the ticket test). */
let strategyEngine: EngineProcess | undefined;
let browser: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['alice', 'trader', 'alice-password']]);
  engine = await startEngineProcess(['--symbols', 'ACME', '--feed-rate', '40', '--bar-intervals-ms', '1000,60000'], 60_000, dataDir);
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'octopus-chromium-')), {
    executablePath: kChromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 1000 },
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await engine?.stop('SIGTERM');
  await strategyEngine?.stop('SIGTERM');
});

describe.skipIf(!hasChromium)(`the dashboard in headless Chromium${hasChromium ? '' : ' (SKIPPED: /usr/bin/chromium absent; apt-get install chromium)'}`, () => {
  it('loads, renders candles, and places and cancels an order from the ticket', async () => {
    await page.goto(`http://127.0.0.1:${engine.port}/?symbol=ACME&interval=1s`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    // Candles: from REST history, then live bars over /ws.
    await page.waitForFunction(() => Number(globalThis.document.querySelector('#chart')!.getAttribute('data-candles')) >= 2, undefined, { timeout: 30_000 });
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
    await page.waitForSelector('#book tbody tr', { timeout: 20_000 });
    await page.waitForSelector('#trades tbody tr', { timeout: 20_000 });
    await page.waitForSelector('#health tbody tr', { timeout: 20_000 });

    await page.fill('#login input[name=username]', 'alice');
    await page.fill('#login input[name=password]', 'alice-password');
    await page.click('#login button');
    await page.waitForFunction(() => globalThis.document.querySelector('#who')!.textContent === 'alice', undefined, { timeout: 10_000 });
    await page.waitForSelector('#account dd[data-field=cash]');

    const bestBid = Number(await page.locator('#book tbody td.bid').first().textContent());
    // Below the best bid, inside the 10% price collar: it rests.
    const price = (bestBid * 0.97).toFixed(2);
    await page.fill('#ticket input[name=qty]', '3');
    await page.fill('#ticket input[name=limit_price]', price);
    await page.click('#ticket button');
    const row = page.locator('#orders tbody tr', { hasText: price });
    await row.waitFor({ timeout: 10_000 }).catch(async (error: unknown) => {
      throw new Error(`expected the order in open orders, was not; ticket said ${JSON.stringify(await page.locator('#ticket-result').textContent())}`, { cause: error });
    });
    const orderId = await row.getAttribute('data-order-id');
    expect(orderId).toMatch(/^\d+$/);
    expect(await row.textContent()).toContain('new');

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

    await row.locator('button.cancel').click();
    await page.locator(`#orders tbody tr[data-order-id="${orderId}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });

  it('shows the running strategy, stops and starts it, and runs a backtest whose report opens', async () => {
    const dataDir = temporaryDataDir();
    addUsers(dataDir, [['bob', 'trader', 'bob-password-1']]);
    strategyEngine = await startEngineProcess(['--symbols', 'ACME', '--feed-rate', '40', '--strategy', 'sma_cross', '--params', '{"fast":2,"slow":5,"source":"trades"}'], 60_000, dataDir);
    await page.goto(`http://127.0.0.1:${strategyEngine.port}/?symbol=ACME&interval=1s`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.fill('#login input[name=username]', 'bob');
    await page.fill('#login input[name=password]', 'bob-password-1');
    await page.click('#login button');
    await page.waitForFunction(() => globalThis.document.querySelector('#who')!.textContent === 'bob', undefined, { timeout: 10_000 });

    const strategy = (text: string) => page.locator('#strategies tbody tr[data-strategy="sma_cross"]', { hasText: text });
    const said = async () => JSON.stringify(await page.locator('#strategy-result').textContent());
    await strategy('running').waitFor({ timeout: 20_000 });
    await strategy('running').locator('button.strategy-stop').click();
    await strategy('stopped').waitFor({ timeout: 10_000 }).catch(async (error: unknown) => {
      throw new Error(`expected the strategy stopped, was not; the page said ${await said()}`, { cause: error });
    });
    await strategy('stopped').locator('button.strategy-start').click();
    await strategy('running').waitFor({ timeout: 10_000 });

    await page.selectOption('#backtest select[name=strategy]', 'ema_cross');
    await page.click('#backtest button');
    const done = page.locator('#backtests tbody tr[data-status="done"]', { hasText: 'ema_cross' });
    await done.waitFor({ timeout: 30_000 }).catch(async (error: unknown) => {
      throw new Error(`expected a finished backtest, was not; the page said ${JSON.stringify(await page.locator('#backtest-result').textContent())}`, { cause: error });
    });
    const jobId = await done.getAttribute('data-job');
    await done.locator('button.report').click();
    await page.waitForSelector('#report-panel:not([hidden])', { timeout: 10_000 });
    expect(await page.locator('#report-panel').getAttribute('data-job')).toBe(jobId);
    // The report's own content, inside the sandboxed frame: its title names the strategy, and the equity chart is drawn.
    const report = page.frameLocator('#report');
    expect(await report.locator('body').textContent()).toContain('ema_cross');
    expect(await report.locator('svg').count()).toBeGreaterThan(0);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard-strategies.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
