/**
 * The layer rules of eslint.config.js, run on fixture sources placed in each room: a rule that stopped matching would
 * let the architecture erode silently, so each ban is shown to fire and each allowed import to pass.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function importErrors(filePath: string, specifier: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rules', () => {
  it.each([
    ['handlers/fixture.ts', '../src/emulator/state.js', 'never imports the emulator'],
    ['handlers/fixture.ts', '../src/feishu/client/pipeline.js', 'Feishu ports'],
    ['handlers/fixture.ts', '../src/store/sqlite.js', 'Store ports'],
    ['handlers/fixture.ts', '../src/receiver/routes.js', 'not the transport'],
    ['src/app.ts', '../handlers/group.js', 'never imports handlers/'],
    ['src/feishu/fixture.ts', '../../handlers/index.js', 'never imports handlers/'],
    ['src/context.ts', './emulator/index.js', 'never imports the emulator'],
    ['src/feishu/fixture.ts', '../emulator/state.js', 'never imports the emulator'],
    ['src/bot.ts', './emulator/index.js', 'never imports the emulator'],
    ['src/emulator/fixture.ts', '../app.js', 'stands alone'],
    ['src/emulator/fixture.ts', '../../handlers/group.js', 'stands alone'],
    ['cards/fixture.ts', '../src/store/store.js', 'pure builders'],
    ['cards/fixture.ts', 'node:crypto', 'pure builders'],
  ])('refuses %s importing %s', async (file, specifier, reason) => {
    const errors = await importErrors(file, specifier);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(reason);
  });

  it.each([
    ['handlers/fixture.ts', '../src/context.js'],
    ['handlers/fixture.ts', '../cards/index.js'],
    ['src/bot.ts', '../handlers/index.js'],
    ['src/sandbox.ts', './emulator/index.js'],
    ['src/emulator/fixture.ts', '../protocol/crypto.js'],
    ['src/emulator/fixture.ts', './state.js'],
    ['cards/fixture.ts', './kit.js'],
    ['cards/fixture.ts', '../src/card.js'],
  ])('allows %s importing %s', async (file, specifier) => {
    expect(await importErrors(file, specifier)).toEqual([]);
  });
});
