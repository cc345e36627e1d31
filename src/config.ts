/**
 * Configuration: non-secret settings from app.config.json, secrets from the environment only.
 * One zod schema for each; an invalid config lists every problem by its path.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseEncryptionKey } from './auth/vault.js';
import { ENDPOINTS } from './feishu/endpoints.js';
import { localeSchema } from './i18n.js';

const openId = z.string().regex(/^ou_[A-Za-z0-9]+$/, 'must be an open_id such as ou_1a2b3c');

/** Who may run a command: "everyone", "admins", "role:<name>" or an open_id. */
const principal = z.union(
  [z.literal('everyone'), z.literal('admins'), z.string().regex(/^role:[a-z][a-z0-9_-]*$/), openId],
  { error: 'must be "everyone", "admins", "role:<name>" (a key of roles) or an open_id such as ou_1a2b3c' },
);

/** Who may approve a guarded command: as `principal`, but never "everyone" (that would approve nothing). */
const approver = z.union([z.literal('admins'), z.string().regex(/^role:[a-z][a-z0-9_-]*$/), openId], {
  error: 'must be "admins", "role:<name>" (a key of roles) or an open_id such as ou_1a2b3c',
});

/** `allow`: who may run it; `approve`: who must say yes first (see src/middleware/approval.ts). */
const commandRule = z
  .object({ allow: z.array(principal).min(1).optional(), approve: z.array(approver).min(1).optional() })
  .strict()
  .refine((r) => r.allow !== undefined || r.approve !== undefined, 'set allow, approve or both');

/** How guarded commands are approved: cards from the bot, or a native Feishu approval instance. */
const approvals = z
  .object({
    /** Where approver cards go (a chat the bot is in); unset: to each approver privately. */
    chat: z
      .string()
      .regex(/^oc_[A-Za-z0-9]+$/, 'must be a chat id such as oc_1a2b3c')
      .optional(),
    /** A request by an approver needs another approver too. */
    twoPersonRule: z.boolean().default(false),
    expireHours: z.number().positive().max(720, 'at most 720 hours (30 days)').default(24),
    mode: z.enum(['card', 'feishu']).default('card'),
    /** The approval definition's code (Feishu approval admin → the definition's URL), for mode "feishu". */
    approvalCode: z.string().min(1).optional(),
    /** The id of the definition's text control that receives the request (the command as typed). */
    formControl: z.string().min(1).default('command'),
    /** The node whose approvers the initiator chooses: the bot names the configured approvers there. */
    approverNode: z.string().min(1).optional(),
  })
  .strict()
  .refine((a) => a.mode !== 'feishu' || a.approvalCode !== undefined, {
    message: 'mode "feishu" needs approvalCode: the code of the approval definition to open instances of',
    path: ['approvalCode'],
  });

const NAME = /^[a-z][a-z0-9_-]*$/;
const NAME_RULE = 'must be lower-case letters, digits, - or _, starting with a letter';

const rateLimit = z
  .object({
    // A window holds whole calls: 3.5 per second would let 4 through.
    perSecond: z
      .number()
      .int('must be a whole number of calls; for fewer than one a second, use perMinute')
      .positive()
      .optional(),
    perMinute: z.number().int('must be a whole number of calls').positive().optional(),
  })
  .strict()
  .refine((l) => l.perSecond !== undefined || l.perMinute !== undefined, 'set perSecond, perMinute or both');

const chatId = z.string().regex(/^oc_[A-Za-z0-9]+$/, 'must be a chat id such as oc_1a2b3c');
const address = z.email('must be a mail address such as hr@your-domain');
export const TEMPLATE_FIELDS: readonly string[] = ['name', 'en_name', 'email', 'department', 'leader', 'job_title'];
/** Templates may use {name}, {en_name}, {email}, {department}, {leader}, {job_title} of the new hire. */
const template = z
  .string()
  .min(1)
  .refine((t) => [...t.matchAll(/\{([a-z_]+)\}/g)].every((m) => TEMPLATE_FIELDS.includes(m[1]!)), {
    message: 'unknown {field}: use {name}, {en_name}, {email}, {department}, {leader} or {job_title}',
  });

/** What every step has: its id (for progress, Retry and Skip), the steps it needs done first, the departments it is for. */
const stepBase = {
  id: z.string().regex(NAME, NAME_RULE),
  /** Ids of earlier steps that must be done first: when one fails, this step waits instead of running. */
  needs: z.array(z.string()).default([]),
  /** Department ids (od-…) or names from `onboarding.departments`: the step runs only for hires in one of them. */
  departments: z.array(z.string().min(1)).optional(),
};

const onboardingStep = z.discriminatedUnion(
  'kind',
  [
    z.object({ ...stepBase, kind: z.literal('add-to-chats'), chats: z.array(chatId).min(1) }).strict(),
    z.object({ ...stepBase, kind: z.literal('team-chat'), name: template, description: template.optional() }).strict(),
    z.object({ ...stepBase, kind: z.literal('mailgroups'), mailgroups: z.array(address).min(1) }).strict(),
    z.object({ ...stepBase, kind: z.literal('mail-contact'), mailbox: address }).strict(),
    z
      .object({ ...stepBase, kind: z.literal('welcome-draft'), sender: openId, subject: template, body: template })
      .strict(),
    z.object({ ...stepBase, kind: z.literal('welcome-card'), title: template, body: template }).strict(),
  ],
  { error: 'kind must be one of add-to-chats, team-chat, mailgroups, mail-contact, welcome-draft, welcome-card' },
);
export type OnboardingStep = z.infer<typeof onboardingStep>;

const onboarding = z
  .object({
    enabled: z.boolean().default(true),
    /** Where progress cards go (a chat the bot is in). */
    adminChat: chatId.optional(),
    /** Department id → display name, for {department} and for `departments` filters by name. */
    departments: z.record(z.string(), z.string()).default({}),
    /**
     * Whom the contact.user.created_v3 automation acts as: checked against commands.onboard.allow like a person
     * typing /onboard (default: the first admin).
     */
    runAs: openId.optional(),
    steps: z.array(onboardingStep).default([]),
  })
  .strict()
  .superRefine((o, ctx) => checkStepIds(o.steps, ctx));

const leaveStep = { id: stepBase.id, needs: stepBase.needs };
const offboardingStep = z.discriminatedUnion(
  'kind',
  [
    z.object({ ...leaveStep, kind: z.literal('reverse-onboarding') }).strict(),
    /** Listed addresses; without them, every mail group of the tenant that has the leaver. */
    z
      .object({
        ...leaveStep,
        kind: z.literal('remove-from-mailgroups'),
        mailgroups: z.array(address).min(1).optional(),
      })
      .strict(),
    /** Chats the leaver owns (and the bot is in) go to `to`, or else to the leader. */
    z.object({ ...leaveStep, kind: z.literal('transfer-chats'), to: openId.optional() }).strict(),
    z.object({ ...leaveStep, kind: z.literal('remove-from-chats'), chats: z.array(chatId).min(1) }).strict(),
    z.object({ ...leaveStep, kind: z.literal('delete-contacts'), mailboxes: z.array(address).min(1) }).strict(),
    z.object({ ...leaveStep, kind: z.literal('notify') }).strict(),
  ],
  {
    error:
      'kind must be one of reverse-onboarding, remove-from-mailgroups, transfer-chats, remove-from-chats, delete-contacts, notify',
  },
);
export type OffboardingStep = z.infer<typeof offboardingStep>;
/** Steps that take someone out of chats: an owner cannot be removed, so chats are handed over before these run. */
const REMOVES_FROM_CHATS: ReadonlySet<string> = new Set(['reverse-onboarding', 'remove-from-chats']);

const offboarding = z
  .object({
    enabled: z.boolean().default(true),
    /** Where progress cards and the notice go (a chat the bot is in). */
    adminChat: chatId.optional(),
    /**
     * Whom the contact.user.deleted_v3 automation acts as: checked against commands.offboard.allow like a person
     * typing /offboard (default: the first admin).
     */
    runAs: openId.optional(),
    steps: z.array(offboardingStep).default([]),
  })
  .strict()
  .superRefine((o, ctx) => {
    checkStepIds(o.steps, ctx);
    const transfer = o.steps.findIndex((s) => s.kind === 'transfer-chats');
    o.steps.forEach((s, i) => {
      if (transfer > i && REMOVES_FROM_CHATS.has(s.kind))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'kind'],
          message: `${s.kind} must come after transfer-chats (steps[${transfer}]): an owner cannot be removed from a chat`,
        });
    });
  });

/** Step ids are unique and `needs` names earlier steps. */
function checkStepIds(steps: readonly { id: string; needs: string[] }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  steps.forEach((s, i) => {
    if (seen.has(s.id))
      ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `step id "${s.id}" is used twice` });
    for (const n of s.needs) {
      if (!seen.has(n))
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'needs'],
          message: `"${n}" must be the id of an earlier step`,
        });
    }
    seen.add(s.id);
  });
}

export const appConfigSchema = z
  .object({
    admins: z.array(openId).default([]),
    roles: z
      .record(z.string(), z.array(openId))
      .superRefine((roles, ctx) => {
        for (const name of Object.keys(roles))
          if (!NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `role name ${NAME_RULE}` });
      })
      .default({}),
    commands: z.record(z.string(), commandRule).default({}),
    approvals: approvals.default({ twoPersonRule: false, expireHours: 24, mode: 'card', formControl: 'command' }),
    onboarding: onboarding.default({ enabled: true, departments: {}, steps: [] }),
    offboarding: offboarding.default({ enabled: true, steps: [] }),
    /** How long a change stays undoable from its card, /undo and /audit. */
    undo: z
      .object({
        windowHours: z
          .number()
          .positive()
          .max(24 * 30)
          .default(24),
      })
      .strict()
      .default({ windowHours: 24 }),
    /**
     * The language of a card's `content`: what a reader whose Feishu speaks none of the catalog's languages sees,
     * and what pages use when the reader's language is unknown.
     */
    i18n: z
      .object({ defaultLocale: localeSchema.default('zh_cn') })
      .strict()
      .default({ defaultLocale: 'zh_cn' }),
    /** How long Send (and /mail send) holds a mail with an Undo button before it goes out; 0 sends at once. */
    mail: z
      .object({ undoSendSeconds: z.number().int().min(0).max(600).default(10) })
      .strict()
      .default({ undoSendSeconds: 10 }),
    rateLimits: z
      .record(z.string(), rateLimit)
      .superRefine((limits, ctx) => {
        for (const name of Object.keys(limits)) {
          if (!(ENDPOINTS as readonly string[]).includes(name)) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `unknown endpoint: use one of ${ENDPOINTS.join(', ')}`,
            });
          }
        }
      })
      .default({}),
    /** Bot menu event_key → command text, e.g. {"help": "/help"}. */
    menu: z
      .record(z.string().min(1).max(30), z.string().startsWith('/', 'must be a command such as "/help"'))
      .default({}),
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
        z
          .object({
            kind: z.literal('redis'),
            url: z
              .string()
              .regex(
                /^rediss?:\/\/[^:@/]*(:\d+)?(\/\d+)?$/,
                'must be redis://host:port[/db] without credentials; put a URL with a password in REDIS_URL',
              ),
          })
          .strict(),
      ])
      .default({ kind: 'sqlite', file: 'bot.sqlite' }),
  })
  .strict();

export type AppConfig = z.infer<typeof appConfigSchema>;

const port = z.coerce.number().int().min(0).max(65535);

export const envSchema = z.object({
  FEISHU_APP_ID: z
    .string()
    .regex(/^cli_[0-9a-zA-Z]+$/, 'must look like cli_a1b2c3d4e5f6a7b8')
    .optional(),
  FEISHU_APP_SECRET: z.string().min(1).optional(),
  FEISHU_ENCRYPT_KEY: z.string().min(1).optional(),
  FEISHU_VERIFICATION_TOKEN: z.string().min(1).optional(),
  FEISHU_DOMAIN: z
    .string()
    .url('must be a URL such as https://open.feishu.cn or http://127.0.0.1:9000')
    // The SDK builds `${domain}/open-apis/...`, so a trailing slash would double it.
    .transform((s) => s.replace(/\/+$/, ''))
    .default('https://open.feishu.cn'),
  PORT: port.default(3000),
  /** Bind address; unset: all interfaces with credentials (Feishu must reach the webhooks), loopback in the sandbox. */
  HOST: z
    .string()
    .refine(
      (h) => isIP(h) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(h),
      'must be an IP address (0.0.0.0, 127.0.0.1, ::) or a host name',
    )
    .optional(),
  /** Scrapers send it as `Authorization: Bearer <token>`; unset: /metrics answers anyone who can reach it. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. openssl rand -hex 16)').optional(),
  /** Serve /metrics on this port (same HOST) instead of the webhook port. */
  METRICS_PORT: port.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Sandbox only: where the in-process emulator listens; 0 picks a free port, so two sandboxes never collide. */
  EMULATOR_PORT: port.default(0),
  /** Path of app.config.json (read by loadConfig; listed here so it is documented and validated with the rest). */
  APP_CONFIG: z.string().min(1).optional(),
  /** How Feishu reaches the bot: webhook pushes to our HTTP routes, or the long connection (WebSocket) the bot opens. */
  FEISHU_TRANSPORT: z.enum(['webhook', 'websocket']).default('webhook'),
  /** Selects the Redis store (scale-out): every instance given the same URL and prefix shares one state. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a URL such as redis://127.0.0.1:6379 or rediss://user:password@host:6380/0')
    .optional(),
  /** Key namespace in Redis: two different bots on one Redis need two. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only')
    .default('feishu-ops-bot'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** 32 bytes (hex or base64) sealing users' tokens at rest; required with credentials (the sandbox keeps one in DATA_DIR). */
  TOKEN_ENCRYPTION_KEY: z.string().min(1).optional(),
  /** The bot's public base URL: OAuth redirects to `${PUBLIC_URL}/oauth/callback`. Required with credentials; the sandbox uses its own address. */
  PUBLIC_URL: z
    .string()
    .url('must be a URL such as https://bot.example.com')
    .transform((s) => s.replace(/\/+$/, ''))
    .optional(),
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
    problems.push(
      'env FEISHU_APP_ID / FEISHU_APP_SECRET: set both to run against Feishu, or neither for the local sandbox',
    );
  }
  if (parsedEnv.success && parsedEnv.data.FEISHU_APP_ID) {
    // Without the Encrypt Key no push can be proven to come from Feishu: anyone reaching the webhook could run commands.
    if (parsedEnv.data.FEISHU_TRANSPORT === 'webhook' && !parsedEnv.data.FEISHU_ENCRYPT_KEY) {
      problems.push(
        'env FEISHU_ENCRYPT_KEY: required with webhooks (pushes are accepted only when signed with it): copy the Encrypt Key ' +
          'from the developer console, 开发者后台 → 事件与回调 → 加密策略 / Events & Callbacks → Encryption strategy; ' +
          'or set FEISHU_TRANSPORT=websocket (the long connection is authenticated by the app secret)',
      );
    }
    if (!parsedEnv.data.PUBLIC_URL) {
      problems.push(
        "env PUBLIC_URL: required with credentials: the https address at which users' browsers reach this bot " +
          '(sign-in returns to ${PUBLIC_URL}/oauth/callback; register that URL as a redirect URL under 安全设置 / Security settings)',
      );
    }
    try {
      parseEncryptionKey(parsedEnv.data.TOKEN_ENCRYPTION_KEY);
    } catch (e) {
      problems.push(`env ${(e as Error).message}`);
    }
  }
  if (
    parsedEnv.success &&
    parsedEnv.data.METRICS_PORT !== undefined &&
    parsedEnv.data.METRICS_PORT === parsedEnv.data.PORT &&
    parsedEnv.data.PORT !== 0
  ) {
    problems.push('env METRICS_PORT: must differ from PORT (unset it to serve /metrics on the webhook port)');
  }
  if (problems.length || !app.success || !parsedEnv.success) throw new ConfigError(problems);
  return { app: app.data, env: parsedEnv.data, sandbox: !parsedEnv.data.FEISHU_APP_ID };
}

/**
 * `APP_CONFIG` names the file (so deployments keep admins, roles and rules outside the checkout); without it,
 * ./app.config.json, which may be absent. A file named by APP_CONFIG must exist.
 */
export function loadConfig(env = process.env, cwd = process.cwd()): Config {
  const named = env.APP_CONFIG?.trim() || undefined;
  const path = resolve(cwd, named ?? 'app.config.json');
  let raw: unknown = {};
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT' || named)
      throw new ConfigError([`${named ? 'env APP_CONFIG ' : ''}${path}: ${err.message}`]);
  }
  return parseConfig(raw, env, path);
}

/**
 * What only the assembled app knows: every `commands` key must name a registered command, command family or card
 * action rule, and every `menu` entry a registered command. `rules` and `commands` come from the app's registry.
 */
export function checkConfigNames(
  app: AppConfig,
  known: { rules: readonly string[]; commands: readonly string[]; actions?: readonly string[] },
  source = 'app.config.json',
): void {
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(app.commands)) {
    if (!known.rules.includes(key))
      problems.push(`${source} commands.${key}: unknown command or action: use one of ${known.rules.join(', ')}`);
    // `actions`: card actions with a rule of their own; a click cannot wait for an approval (its command's can).
    else if (rule.approve && known.actions?.includes(key))
      problems.push(
        `${source} commands.${key}.approve: a card action cannot wait for approval: set approve on a command or a rule inside one`,
      );
  }
  for (const [item, text] of Object.entries(app.menu)) {
    const words = text.slice(1).trim().toLowerCase().split(/\s+/);
    const found =
      known.commands.some((c) => c.split(' ').every((w, i) => words[i] === w)) ||
      known.commands.includes(words[0] ?? '');
    if (!found)
      problems.push(
        `${source} menu.${item}: "${text}" runs no known command: use one of ${known.commands.map((c) => `/${c}`).join(', ')}`,
      );
  }
  if (problems.length) throw new ConfigError(problems);
}
