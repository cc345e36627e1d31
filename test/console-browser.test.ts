/**
 * The sandbox console in a real browser: Debian's chromium driven by playwright-core against a real sandbox (bot +
 * emulator on loopback). Screenshots go to test-artifacts/console/ (git-ignored) for a person to look at.
 * scripts/ci-test.sh installs chromium and fonts-noto-cjk (scripts/apt-packages.txt); without them this test fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupChats, mailState } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts', 'console');
// Debian's /usr/bin/chromium is a shell wrapper; the binary behind it takes playwright's flags directly.
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));

let sb: Awaited<ReturnType<typeof testSandbox>>;
let browser: Browser;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
const input = () => page.locator('#composer-input');
/** The bot's last card in the open chat. */
const lastCard = () => page.locator('.msg.bot .card').last();

beforeAll(async () => {
  if (!CHROMIUM) throw new Error('chromium is not installed: apt-get install chromium fonts-noto-cjk (scripts/ci-test.sh does it)');
  mkdirSync(ARTIFACTS, { recursive: true });
  sb = await testSandbox({}, { console: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sb?.close();
});

describe('sandbox console in a browser', () => {
  it('runs /help, creates a group with an @mention picked by completion, and clicks buttons on the success card', async () => {
    await page.goto(sb.consoleUrl ?? '');
    await expect.poll(() => page.locator('#whoami option:checked').textContent()).toContain('张伟');

    // Command completion from the bot's own registry.
    await input().pressSequentially('/he');
    await expect.poll(() => page.locator('#suggestions li').allTextContents()).toEqual([expect.stringContaining('/help')]);
    await input().press('Enter');
    expect(await input().inputValue()).toBe('/help ');
    await input().press('Enter');
    await expect.poll(() => lastCard().textContent(), { timeout: 10_000 }).toContain('使用帮助 · Help');
    expect(await lastCard().locator('.card-header').getAttribute('class')).toContain('hdr-indigo');
    await shot('01-help');

    // /group create 项目X @李娜: the command by Tab, the member by clicking the @mention suggestion.
    await input().pressSequentially('/group cr');
    await expect.poll(() => page.locator('#suggestions li').allTextContents()).toEqual([expect.stringContaining('/group create <name>')]);
    await input().press('Tab');
    await input().pressSequentially('项目X @李');
    const lina = page.locator('#suggestions li', { hasText: '@李娜' });
    await expect.poll(() => lina.count()).toBe(1);
    await shot('02-mention-completion');
    await lina.click();
    expect(await input().inputValue()).toBe('/group create 项目X @李娜 ');
    await input().press('Enter');

    await expect.poll(() => lastCard().textContent(), { timeout: 15_000 }).toContain('群聊已创建 · Group chat created');
    const created = lastCard();
    expect(await created.textContent()).toContain('李娜');
    expect(await created.locator('.card-header').getAttribute('class')).toContain('hdr-green');
    const chat = groupChats(sb.emulator).find((c) => c.name === '项目X');
    expect(chat?.members.has(sb.emulator.state.users.find((u) => u.name === '李娜')?.open_id ?? '')).toBe(true);
    await expect.poll(() => page.locator('#chats li', { hasText: '项目X' }).count()).toBe(1);
    await shot('03-group-created');

    // A button whose answer replaces the card in place.
    const messageId = await created.locator('xpath=ancestor::div[contains(@class,"msg")]').getAttribute('data-message-id');
    await created.getByRole('button', { name: '添加成员 · Add members' }).click();
    const sameMessage = page.locator(`.msg[data-message-id="${messageId}"] .card`);
    await expect.poll(() => sameMessage.textContent(), { timeout: 10_000 }).toContain(`/group add ${chat?.chatId} @成员`);
    expect(await page.locator(`.msg[data-message-id="${messageId}"] .badge`).textContent()).toContain('已更新');
    await shot('04-add-members-answer');

    // The raw traffic: the signed callback and the Open API call that created the chat, with its answer.
    await page.getByRole('tab', { name: '事件与回调 · Events' }).click();
    await expect.poll(() => page.locator('#panel-events').textContent()).toContain('card.action.trigger');
    await page.getByRole('tab', { name: 'Open API 调用 · Calls' }).click();
    const createCall = page.locator('#panel-calls .row', { hasText: 'POST /open-apis/im/v1/chats →' }).first();
    await createCall.locator('summary').click();
    expect(await createCall.locator('pre').textContent()).toContain(chat?.chatId ?? 'no chat');
    await shot('05-calls-panel');
  });

  it('creates a mail group from a button on a fresh success card and shows the toast and the emulator object', async () => {
    await page.getByRole('tab', { name: '事件与回调 · Events' }).click();
    await input().pressSequentially('/group create 值班群 @李娜 ');
    await input().press('Enter');
    await expect.poll(() => lastCard().textContent(), { timeout: 15_000 }).toContain('值班群');
    await lastCard().getByRole('button', { name: /为这个群创建邮件组/ }).click();
    await expect.poll(() => page.locator('.toast').allTextContents(), { timeout: 10_000 }).toContainEqual(expect.stringContaining('邮件组已创建'));
    await shot('06-mailgroup-toast');
    expect(mailState(sb.emulator).mailgroups.map((g) => g.name)).toContain('值班群');
    await page.getByRole('tab', { name: '模拟器对象 · Objects' }).click();
    await expect.poll(() => page.locator('#panel-objects').textContent()).toContain('值班群');
    await shot('07-objects-panel');
  });
});
