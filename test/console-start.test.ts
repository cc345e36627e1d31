/**
 * From the README: its start command brings the sandbox up with the console at `/` answering 200. Two sandboxes
 * started side by side both come up: the emulator takes a free port unless EMULATOR_PORT names one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const started: ChildProcess[] = [];
const dirs: string[] = [];

/** The start command of the README's Quick start table. */
function readmeStartCommand(): string {
  const row = readFileSync(join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('| start the bot'));
  const command = row?.match(/`([^`]+)`/)?.[1];
  if (!command) throw new Error('README.md has no "| start the bot … | `command` |" row in its Quick start table');
  return command;
}

/** Runs the command on PORT=0 with no credentials; resolves with the console URL the banner names first. */
function startSandbox(command: string): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ops-bot-start-'));
  dirs.push(dataDir);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('FEISHU_') && k !== 'EMULATOR_PORT'),
  );
  // Its own process group, so the npm → tsx → node chain is stopped as one.
  const child = spawn('sh', ['-c', command], {
    cwd: ROOT,
    env: { ...env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    detached: true,
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no console URL within 90 s; output:\n${out}`)), 90_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      // The console URL is the first URL of the banner.
      const url = /https?:\/\/\S+/.exec(out.slice(out.indexOf('feishu-ops-bot sandbox')))?.[0];
      if (out.includes('feishu-ops-bot sandbox') && url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before serving the console; output:\n${out}`)));
  });
}

afterAll(async () => {
  for (const child of started) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the README's start command", () => {
  it('serves the console at / with its script and the command catalog, twice side by side', async () => {
    const command = readmeStartCommand();
    expect(command).toMatch(/npm start$/);
    // Dependencies are installed already: run what follows the install step.
    const start = command.split('&&').at(-1)!.trim();
    const urls = await Promise.all([startSandbox(start), startSandbox(start)]);
    expect(new Set(urls).size).toBe(2);
    for (const url of urls) {
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('/console/app.js');
      expect((await fetch(new URL('/console/app.js', url))).status).toBe(200);
      const catalog = (await (await fetch(new URL('/console/api/commands', url))).json()) as {
        commands: { command: string }[];
      };
      expect(catalog.commands.map((c) => c.command)).toContain('group create');
    }
  }, 120_000);
});
