/**
 * Configuration: non-secret settings from app.config.json, secrets from the environment only.
 * One zod schema for each; an invalid config lists every problem by its path.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ENDPOINTS } from './feishu/endpoints.js';

const openId = z.string().regex(/^ou_[A-Za-z0-9]+$/, 'must be an open_id such as ou_1a2b3c');

/** Who may run a command: "everyone", "admins", "role:<name>" or an open_id. */
const principal = z.union([
  z.literal('everyone'),
  z.literal('admins'),
  z.string().regex(/^role:[a-z][a-z0-9_-]*$/),
  openId,
], { error: 'must be "everyone", "admins", "role:<name>" (a key of roles) or an open_id such as ou_1a2b3c' });

const NAME = /^[a-z][a-z0-9_-]*$/;
const NAME_RULE = 'must be lower-case letters, digits, - or _, starting with a letter';

const rateLimit = z
  .object({
    perSecond: z.number().positive().optional(),
    perMinute: z.number().positive().optional(),
  })
  .strict()
  .refine((l) => l.perSecond !== undefined || l.perMinute !== undefined, 'set perSecond, perMinute or both');

const onboardingStep = z
  .object({
    id: z.string().regex(NAME, NAME_RULE),
    /** The command the step runs, written as a user would type it; {placeholders} come from the new user. */
    run: z.string().startsWith('/', 'must be a command such as "/group create ..."'),
  })
  .strict();

export const appConfigSchema = z
  .object({
    admins: z.array(openId).default([]),
    roles: z.record(z.string(), z.array(openId))
      .superRefine((roles, ctx) => {
        for (const name of Object.keys(roles)) if (!NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `role name ${NAME_RULE}` });
      })
      .default({}),
    commands: z.record(z.string(), z.object({ allow: z.array(principal).min(1) }).strict()).default({}),
    onboarding: z
      .object({
        enabled: z.boolean().default(true),
        steps: z.array(onboardingStep).default([]),
      })
      .strict()
      .default({ enabled: true, steps: [] }),
    rateLimits: z.record(z.string(), rateLimit)
      .superRefine((limits, ctx) => {
        for (const name of Object.keys(limits)) {
          if (!(ENDPOINTS as readonly string[]).includes(name)) {
            ctx.addIssue({ code: 'custom', path: [name], message: `unknown endpoint: use one of ${ENDPOINTS.join(', ')}` });
          }
        }
      })
      .default({}),
    /** Bot menu event_key → command text, e.g. {"help": "/help"}. */
    menu: z.record(z.string().min(1).max(30), z.string().startsWith('/', 'must be a command such as "/help"')).default({}),
    receiver: z
      .object({
        replayWindowSeconds: z.number().int().positive().default(300),
        bodyLimitBytes: z.number().int().positive().default(1_048_576),
        legacyCardCallbacks: z.boolean().default(false),
      })
      .strict()
      .default({ replayWindowSeconds: 300, bodyLimitBytes: 1_048_576, legacyCardCallbacks: false }),
    inbox: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(8),
        dedupeHours: z.number().min(8, 'Feishu re-pushes for about 7.1 h: keep dedupe keys at least 8 h').default(24),
      })
      .strict()
      .default({ concurrency: 8, dedupeHours: 24 }),
    store: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('sqlite'), file: z.string().default('bot.sqlite') }).strict(),
        // A URL without credentials; one with a password belongs in REDIS_URL (secrets come from the environment).
        z.object({ kind: z.literal('redis'), url: z.string().regex(/^rediss?:\/\/[^:@/]*(:\d+)?(\/\d+)?$/, 'must be redis://host:port[/db] without credentials; put a URL with a password in REDIS_URL') }).strict(),
      ])
      .default({ kind: 'sqlite', file: 'bot.sqlite' }),
  })
  .strict();

export type AppConfig = z.infer<typeof appConfigSchema>;

export const envSchema = z.object({
  FEISHU_APP_ID: z.string().regex(/^cli_[0-9a-zA-Z]+$/, 'must look like cli_a1b2c3d4e5f6a7b8').optional(),
  FEISHU_APP_SECRET: z.string().min(1).optional(),
  FEISHU_ENCRYPT_KEY: z.string().min(1).optional(),
  FEISHU_VERIFICATION_TOKEN: z.string().min(1).optional(),
  FEISHU_DOMAIN: z
    .string()
    .url('must be a URL such as https://open.feishu.cn or http://127.0.0.1:9000')
    // The SDK builds `${domain}/open-apis/...`, so a trailing slash would double it.
    .transform((s) => s.replace(/\/+$/, ''))
    .default('https://open.feishu.cn'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Sandbox only: where the in-process emulator listens; 0 picks a free port, so two sandboxes never collide. */
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** How Feishu reaches the bot: webhook pushes to our HTTP routes, or the long connection (WebSocket) the bot opens. */
  FEISHU_TRANSPORT: z.enum(['webhook', 'websocket']).default('webhook'),
  /** Selects the Redis store (scale-out): every instance given the same URL and prefix shares one state. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0').optional(),
  /** Key namespace in Redis: two different bots on one Redis need two. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').default('feishu-ops-bot'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  app: AppConfig;
  env: Env;
  /** True when no app credentials are set: start the local emulator and run against it. */
  sandbox: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const formatIssues = (where: string, error: z.ZodError): string[] =>
  error.issues.map((i) => {
    const fix = i.code === 'unrecognized_keys' ? ': remove it or correct its spelling' : '';
    return `${where}${i.path.length ? ` ${i.path.join('.')}` : ''}: ${i.message}${fix}`;
  });

export function parseConfig(raw: unknown, env: NodeJS.ProcessEnv, source = 'app.config.json'): Config {
  const problems: string[] = [];
  const app = appConfigSchema.safeParse(raw);
  if (!app.success) problems.push(...formatIssues(source, app.error));
  // Empty variables count as unset, the way shells and .env files usually mean them.
  const cleanEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsedEnv = envSchema.safeParse(cleanEnv);
  if (!parsedEnv.success) problems.push(...formatIssues('env', parsedEnv.error));
  if (parsedEnv.success && Boolean(parsedEnv.data.FEISHU_APP_ID) !== Boolean(parsedEnv.data.FEISHU_APP_SECRET)) {
    problems.push('env FEISHU_APP_ID / FEISHU_APP_SECRET: set both to run against Feishu, or neither for the local sandbox');
  }
  if (problems.length || !app.success || !parsedEnv.success) throw new ConfigError(problems);
  return { app: app.data, env: parsedEnv.data, sandbox: !parsedEnv.data.FEISHU_APP_ID };
}

export function loadConfig(path = resolve(process.cwd(), 'app.config.json'), env = process.env): Config {
  let raw: unknown = {};
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') throw new ConfigError([`${path}: ${err.message}`]);
  }
  return parseConfig(raw, env, path);
}
