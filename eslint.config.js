import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layer rules, as import bans per room (README "Architecture"). Each room is one `files` glob with its own ban
 * list; the globs do not overlap, because a later config object replaces an earlier one's rule options.
 */
const ban = (...patterns) => ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }];

const EMULATOR = [
  '(^|/)emulator/',
  'the bot never imports the emulator: only the sandbox (src/sandbox.ts, src/console/) hosts it',
];
const HANDLERS = [
  '^(\\.\\./)+handlers/',
  'the framework never imports handlers/: they are registered by the composition root (src/bot.ts)',
];

export const layers = [
  {
    name: 'layers/handlers',
    files: ['handlers/**/*.ts'],
    rules: {
      'no-restricted-imports': ban(
        EMULATOR,
        ['/src/feishu/client/', 'handlers use the Feishu ports on the context, not the client behind them'],
        ['/src/store/(sqlite|redis)', 'handlers use the Store ports on the context, not a backend'],
        [
          '/src/(inbox|receiver)/|/src/(server|bot|main|sandbox)\\.js$',
          'handlers see the app and the context, not the transport or the start-up',
        ],
      ),
    },
  },
  {
    name: 'layers/cards',
    files: ['cards/**/*.ts'],
    rules: {
      'no-restricted-imports': ban(
        [
          '^\\.\\./(?!src/(card|i18n)\\.js$)',
          'cards are pure builders: they import other cards, the shared card types (src/card.ts) and the message catalog (src/i18n.ts) only',
        ],
        ['^node:', 'cards are pure builders: no I/O, no clocks, no crypto'],
      ),
    },
  },
  {
    name: 'layers/emulator',
    files: ['src/emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': ban([
        '^\\.\\./(?!protocol/)|^\\.\\./\\.\\./',
        'the emulator stands alone: it may share the push cryptography (src/protocol/) and nothing else of the bot',
      ]),
    },
  },
  {
    name: 'layers/framework',
    files: ['src/**/*.ts'],
    ignores: ['src/emulator/**', 'src/console/**', 'src/sandbox.ts', 'src/bot.ts'],
    rules: { 'no-restricted-imports': ban(EMULATOR, HANDLERS) },
  },
  {
    name: 'layers/composition-root',
    files: ['src/bot.ts'],
    rules: { 'no-restricted-imports': ban(EMULATOR) },
  },
];

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'coverage', 'dist', 'test-artifacts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layers,
);
