/**
 * The console's approver inbox in a real browser (chromium via playwright-core, as in console-browser.test.ts): a
 * guarded command typed by one person waits in another's emulated Feishu Approval inbox; approving it there runs it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_APPROVAL_CODE, DEMO_APPROVER_NODE } from '../src/emulator/index.js';
import { openIdFor } from '../src/emulator/seed.js';
import { mailState } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));
let sb: Awaited<ReturnType<typeof testSandbox>>;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('chromium is not installed: apt-get install chromium fonts-noto-cjk');
  sb = await testSandbox(
    {
      admins: [openIdFor('wangfang')],
      commands: { mailgroup: { approve: ['admins'] } },
      approvals: { mode: 'feishu', approvalCode: DEMO_APPROVAL_CODE, approverNode: DEMO_APPROVER_NODE },
    },
    { console: true },
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
  await page.goto(sb.consoleUrl ?? '');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sb?.close();
});

describe('the approver inbox in the console', () => {
  it('shows the request to the approver, and approving it there runs the command for the requester', async () => {
    await expect.poll(() => page.locator('#whoami option:checked').textContent()).toContain('张伟');
    await page.locator('#composer-input').fill('/mailgroup create console@feishu-ops.example');
    await page.locator('#composer-input').press('Enter');
    await expect
      .poll(() => page.locator('.msg.bot .card').last().textContent(), { timeout: 10_000 })
      .toContain('等待审批');
    await page.getByRole('tab', { name: '审批待办 · Approvals' }).click();
    await expect.poll(() => page.locator('#approval-inbox').textContent()).toContain('Nothing waits for you');

    await page.locator('#whoami').selectOption({ label: '王芳 Wang Fang' });
    const task = page.locator('#approval-inbox li[data-instance]');
    await expect.poll(() => task.textContent(), { timeout: 10_000 }).toContain('/mailgroup create console@');
    expect(await task.textContent()).toContain('张伟');
    await task.getByRole('button', { name: '批准 · Approve' }).click();
    await expect.poll(() => mailState(sb.emulator).mailgroups.length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => page.locator('#approval-inbox').textContent()).toContain('Nothing waits for you');

    await page.locator('#whoami').selectOption({ label: '张伟 Zhang Wei' });
    await expect
      .poll(() => page.locator('.msg.bot .card').allTextContents(), { timeout: 10_000 })
      .toContainEqual(expect.stringContaining('已批准并执行'));
  });
});
