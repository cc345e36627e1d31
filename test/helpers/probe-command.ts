/** A minimal command for app tests: `/probe <name>`, answered with a success card naming it. */
import { z } from 'zod';
import { successCard, type Card } from '../../cards/index.js';
import type { CommandSpec } from '../../src/commands/spec.js';

const probeArgs = z.object({ name: z.string() });

export const probeSpec: CommandSpec<typeof probeArgs> = {
  summary: { zh_cn: '测试', en_us: 'Test', ja_jp: 'テスト' },
  usage: '/probe <name>',
  examples: ['/probe x'],
  args: probeArgs,
  positionals: ['name'],
};

export const probeDone = (name: string): Card =>
  successCard({ title: { zh_cn: `完成 ${name}`, en_us: `Done ${name}`, ja_jp: `完了 ${name}` } });
