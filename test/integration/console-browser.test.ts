import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { type LiveBerth, startBerth } from '../support/berth-cli.js';
import { ConsoleProcess } from '../support/console-process.js';
import { PostgresHarness } from '../support/postgres-harness.js';
import { availableStacks, WorkerHarness } from './worker-harness.js';

/**
 * The console end to end in a real browser (Debian's chromium driven by playwright-core): a real
 * worker process and a console process on the real broker (random topic prefix), once with the
 * SQLite store and once with PostgreSQL. BERTH_CONSOLE_SCREENSHOTS=1 writes the pages' screenshots
 * into docs/images/ (the PNGs docs/console.md shows).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHOTS = process.env.BERTH_CONSOLE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'images') : null;
const [stack] = availableStacks(['shell']);
const pg = new PostgresHarness();
let browser: Browser;

beforeAll(async () => {
  if (!stack) throw new Error('the shell stack is not built (berth stacks build)');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  await pg.start();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await pg.stop();
});

describe.each(['sqlite', 'postgres'] as const)('berth console on %s', (dialect) => {
  const h = new WorkerHarness();
  const env = () => ({
    BERTH_TOPIC_PREFIX: h.prefix,
    BERTH_KAFKA_BROKERS: '127.0.0.1:9092',
    ...(dialect === 'postgres' ? { BERTH_CONSOLE_DATABASE_URL: pg.url } : {}),
  });
  let worker: LiveBerth;
  let consoleProc: ConsoleProcess;
  let client: BerthClient;
  let page: Page;
  let codeDir: string;

  beforeAll(async () => {
    await h.setUp(2);
    codeDir = mkdtempSync(join(tmpdir(), 'berth-console-code-'));
    worker = startBerth(
      [
        'worker',
        '--slots',
        '3',
        '--warm-pool-size',
        '1',
        '--prewarm-stacks',
        stack as string,
        '--stats-interval-ms',
        '1000',
        '--metrics-port',
        '0',
        '--retry-base-delay-ms',
        '300',
        '--retry-max-delay-ms',
        '600',
        '--container-labels',
        `berth.test=1,berth.test-run=${h.prefix}`,
        '--code-cache-dir',
        codeDir,
      ],
      env(),
    );
    consoleProc = new ConsoleProcess(env());
    await consoleProc.start();
    client = new BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: h.prefix });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 180_000);

  afterAll(async () => {
    await page?.close();
    await client?.close();
    await consoleProc?.stop();
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await Promise.race([worker.exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    await h.tearDown();
    if (codeDir) rmSync(codeDir, { recursive: true, force: true });
  }, 120_000);

  const shot = async (name: string) => {
    if (!SHOTS || dialect !== 'sqlite') return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `console-${name}.png`) });
  };

  it('lists a task submitted through the SDK without a reload and shows its stdout', async () => {
    await page.goto(consoleProc.url);
    await page.waitForSelector('#tbody');
    const id = `hello-${h.prefix}`;
    const r = await client.submitAndWait(
      {
        id,
        inline: {
          stack: stack as string,
          command: ['sh', '-c', 'echo "hello from $0"; echo warn >&2', 'console'],
        },
        labels: { team: 'web' },
      },
      { timeoutMs: 120_000 },
    );
    expect(r.status).toBe('SUCCEEDED');
    const link = page.locator(`a.task-link:text-is("${id}")`);
    await link.waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator(`tr[data-id="${id}"] .s`).textContent(), { timeout: 15_000 })
      .toBe('SUCCEEDED');
    await shot('tasks');
    await link.click();
    await page.waitForSelector('#stdout-0');
    expect(await page.textContent('#stdout-0')).toBe('hello from console\n');
    expect(await page.textContent('#stderr-0')).toBe('warn\n');
    await shot('task');
    await page.click('#resubmit');
    const again = page.locator('#resubmitted');
    await again.waitFor({ timeout: 10_000 });
    const newId = (await again.textContent()) as string;
    expect(newId).toMatch(new RegExp(`^${id}~r`));
    const rerun = await client.waitForResult(newId, { timeoutMs: 120_000 });
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', labels: { team: 'web', 'berth.resubmit-of': id } });
    await again.click();
    await expect
      .poll(
        () =>
          page
            .locator('#stdout-0')
            .textContent()
            .catch(() => ''),
        { timeout: 15_000 },
      )
      .toBe('hello from console\n');
  });

  it('cancels a running task from its page', async () => {
    const id = `sleepy-${h.prefix}`;
    await client.submit({
      id,
      inline: { stack: stack as string, command: ['sleep', '30'] },
      timeoutMs: 120_000,
    });
    await page.goto(`${consoleProc.url}#/task/${id}`);
    await expect
      .poll(
        () =>
          page
            .locator('#task-status')
            .textContent()
            .catch(() => ''),
        { timeout: 30_000 },
      )
      .toBe('QUEUED');
    await new Promise((r) => setTimeout(r, 3000)); // running by now: the worker has a warm container
    const t0 = Date.now();
    await page.click('#cancel');
    await page.locator('#action-msg:text("cancel requested")').waitFor({ timeout: 10_000 });
    const result = await client.waitForResult(id, { timeoutMs: 60_000 });
    expect(result.status).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(25_000);
    await expect
      .poll(() => page.locator('#task-status').textContent(), { timeout: 20_000 })
      .toBe('CANCELLED');
  });

  it('replays a dead-lettered event, which runs again', async () => {
    const id = `doomed-${h.prefix}`;
    await client.submit({
      id,
      inline: { stack: stack as string, command: ['sh', '-c', 'echo try; exit 3'] },
      maxAttempts: 2,
    });
    await client.waitForResult(id, { timeoutMs: 120_000 });
    await page.goto(`${consoleProc.url}#/dlq`);
    const row = page.locator('#dlq tbody tr', { hasText: id });
    await expect
      .poll(
        async () => {
          await page.goto(`${consoleProc.url}#/dlq`);
          await page.reload();
          return row.count();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(1);
    await shot('dlq');
    const before = h.resultsFor(id).length;
    const dlqId = (await row.getAttribute('data-id')) as string;
    await row.locator('button.replay').click();
    await page.locator('#dlq-msg:text("replayed")').waitFor({ timeout: 10_000 });
    await h.until('a result of the replayed event', () => h.resultsFor(id).length > before, 120_000);
    expect(h.resultsFor(id).at(-1)).toMatchObject({ id, status: 'FAILED', exitCode: 3 });
    expect(h.resultsFor(id).at(-1)?.attempt).toBeGreaterThan(2); // the next attempts, not attempt 1 again
    const replayed = page.locator(`#dlq tbody tr[data-id="${dlqId}"] .replays`);
    await expect.poll(() => replayed.textContent(), { timeout: 10_000 }).toBe('1');
  });

  it('narrows the list with filters', async () => {
    await page.goto(consoleProc.url);
    await page.waitForSelector('a.task-link');
    await page.selectOption('#f-status', 'FAILED');
    await page.click('#apply');
    await expect
      .poll(async () => page.locator('a.task-link').allTextContents(), { timeout: 15_000 })
      .toEqual([`doomed-${h.prefix}`]);
    await page.click('#clear');
    await page.fill('#f-label', 'team=web');
    await page.click('#apply');
    await expect
      .poll(async () => page.locator('a.task-link').allTextContents(), { timeout: 15_000 })
      .toEqual([expect.stringMatching(new RegExp(`^hello-${h.prefix}~r`)), `hello-${h.prefix}`]);
    const api = await consoleProc.api<{ items: { id: string }[] }>('tasks?status=cancelled');
    expect(api.items.map((t) => t.id)).toEqual([`sleepy-${h.prefix}`]);
  });

  it('shows workers with their slots, and stacks', async () => {
    await page.goto(`${consoleProc.url}#/workers`);
    await page.locator('#workers .slots').first().waitFor({ timeout: 30_000 });
    expect(await page.locator('#workers .slots').first().textContent()).toMatch(/^\d+ \/ 3$/);
    await shot('workers');
    await page.goto(`${consoleProc.url}#/packages`);
    await page.locator('#stacks tbody tr', { hasText: stack as string }).waitFor({ timeout: 15_000 });
    await shot('packages');
  });
});
