/**
 * The build `npm start` runs first (scripts/build.mjs), run as a real process on a small project of its own: it
 * transpiles only what changed since the last build, removes the output of deleted sources, and its output runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../scripts/build.mjs');
let dir: string;

/** Runs the build in the fixture; returns what it reported on stderr (nothing when nothing needed doing). */
const build = (): string => {
  const r = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  // The report goes to stderr, so it never mixes with what `npm start` prints on stdout.
  expect(r.stdout).toBe('');
  return r.stderr.trim();
};
const write = (path: string, text: string, ageSeconds = 0) => {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, text);
  // Sources written in the same millisecond as their output would look current: date them explicitly.
  const t = Date.now() / 1000 - ageSeconds;
  utimesSync(full, t, t);
};
const runOutput = () => execFileSync(process.execPath, ['dist/src/main.js'], { cwd: dir, encoding: 'utf8' }).trim();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'build-script-'));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true } }));
  write('tsconfig.build.json', JSON.stringify({ extends: './tsconfig.json', compilerOptions: { outDir: 'dist' } }));
  write('package.json', JSON.stringify({ type: 'module' }));
  write('src/main.ts', "import { greeting } from './greeting.js';\nconsole.log(greeting satisfies string);\n", 60);
  write('src/greeting.ts', "export const greeting: string = 'hello';\n", 60);
  write('handlers/old.ts', 'export const old = 1;\n', 60);
  write('src/console/web/page.ts', 'document.title = "browser code";\n', 60);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the build npm start runs (scripts/build.mjs)', () => {
  it('builds every file the first time, except the browser code, and the output runs', () => {
    expect(build()).toMatch(/^build: all 3 files → dist\/ in \d+ ms$/);
    expect(runOutput()).toBe('hello');
    expect(existsSync(join(dir, 'dist/src/main.js.map'))).toBe(true);
    expect(existsSync(join(dir, 'dist/src/console/web/page.js'))).toBe(false);
  });

  it('does nothing, silently, when nothing changed', () => {
    expect(build()).toBe('');
  });

  it('rebuilds only the file that changed', () => {
    write('src/greeting.ts', "export const greeting: string = 'hello again';\n");
    expect(build()).toMatch(/^build: 1 changed file\(s\) → dist\/ in \d+ ms$/);
    expect(runOutput()).toBe('hello again');
    expect(build()).toBe('');
  });

  it('removes the output of a deleted source, with its source map', () => {
    rmSync(join(dir, 'handlers/old.ts'));
    expect(build()).toMatch(/1 output\(s\) of deleted sources removed/);
    expect(existsSync(join(dir, 'dist/handlers/old.js'))).toBe(false);
    expect(existsSync(join(dir, 'dist/handlers/old.js.map'))).toBe(false);
  });

  it('rebuilds everything when the compiler settings change', () => {
    write(
      'tsconfig.build.json',
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { outDir: 'dist' } }) + '\n',
    );
    expect(build()).toMatch(/^build: all 2 files/);
  });

  it('leaves type errors to the type-check (lint and tests): the build still succeeds', () => {
    write('src/greeting.ts', "export const greeting: string = 42 as unknown as string; const n: number = 'x';\n");
    expect(build()).toMatch(/1 changed file/);
  });
});
