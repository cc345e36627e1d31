import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeParseError, parseCommand, type Mention } from '../src/commands/parse.js';
import { LOCALES } from '../src/i18n.js';

const BOT = 'ou_bot7a1c3e5f';

/** Fragments that exercise every tokenizer rule, glued in any order. */
const fragment = fc.constantFrom(
  '/',
  '／',
  'group',
  'create',
  'help',
  '帮助',
  '项目群',
  ' ',
  '\u3000',
  '\n',
  '\t',
  '"',
  "'",
  '“',
  '”',
  '‘',
  '’',
  '「',
  '」',
  '『',
  '』',
  '=',
  '＝',
  '--',
  '——',
  '－－',
  '\\',
  '@_user_1',
  '@_user_2',
  '@_user_',
  '@_all',
  'a=b',
  'x',
  '🚀',
  '\u0000',
);
const commandish = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''));
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  commandish,
);

const mention: fc.Arbitrary<Mention> = fc.record(
  {
    key: fc.oneof(fc.constantFrom('@_user_1', '@_user_2', '@_all'), fc.string({ maxLength: 12 })),
    id: fc.record({ open_id: fc.oneof(fc.constant(BOT), fc.string({ maxLength: 12 })) }, { requiredKeys: [] }),
    name: fc.string({ maxLength: 12 }),
  },
  { requiredKeys: ['key'] },
);

const ERROR_KINDS = ['empty', 'not_command', 'missing_name', 'unterminated_quote', 'duplicate_option', 'too_long'];

describe('command parser properties', () => {
  it('never throws: any text and any mention list give a command or a typed, explained error', () => {
    fc.assert(
      fc.property(
        anyText,
        fc.array(mention, { maxLength: 5 }),
        fc.constantFrom('p2p', 'group', undefined),
        (text, mentions, chatType) => {
          const result = parseCommand(text, { mentions, botOpenId: BOT, chatType, subcommands: () => ['create'] });
          if (result.ok) {
            const c = result.command;
            expect(c.name).toMatch(/\S/u);
            expect(c.name).toBe(c.name.toLowerCase());
            expect(Array.isArray(c.positionals) && Array.isArray(c.flags) && Array.isArray(c.mentions)).toBe(true);
            expect(c.mentions.every((m) => m.openId !== BOT)).toBe(true);
          } else {
            expect(ERROR_KINDS).toContain(result.error.kind);
            const text = describeParseError(result.error);
            expect(LOCALES.every((locale) => text[locale].length > 0)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps any text inside Chinese quotes as one argument, exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => !s.includes('”')),
        (inner) => {
          expect(parseCommand(`/echo “${inner}”`)).toEqual({
            ok: true,
            command: { name: 'echo', positionals: [inner], options: {}, flags: [], mentions: [] },
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('maps every mentioned user (other than the bot) to one reference, in order', () => {
    const users = fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{6,10}$/), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(users, (ids) => {
        const mentions: Mention[] = ids.map((id, i) => ({
          key: `@_user_${i + 2}`,
          id: { open_id: `ou_${id}` },
          name: `用户${i}`,
        }));
        mentions.push({ key: '@_user_1', id: { open_id: BOT }, name: 'bot' });
        const text = `@_user_1 /group add ${mentions
          .slice(0, -1)
          .map((m) => m.key)
          .join(' ')}`;
        const result = parseCommand(text, { mentions, botOpenId: BOT });
        expect(result.ok && result.command.mentions).toEqual(
          ids.map((id, i) => ({ openId: `ou_${id}`, name: `用户${i}` })),
        );
      }),
    );
  });
});
