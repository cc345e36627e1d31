/**
 * The app core: what the bot does with each verified delivery.
 *
 *   app.command('group create', spec, async (ctx, args) => …)   chat commands, args typed by the spec's zod schema
 *   app.action(sendDraft, authorOnly, async (ctx, args) => ({ card, toast }))  card button callbacks: the answer is
 *                                                         the return value; listener middleware is listed before it
 *   app.event('contact.user.created_v3', async (ctx, event) => …)   other events, typed by their schema in events.ts
 *   app.file(async (ctx, { fileKey, fileName }) => card | undefined)  files sent to the bot: take one, or pass it on
 *   app.use(async (ctx, next) => { …; await next(); })            koa-style middleware
 *   app.run('/group create 入职群', { openId }, origin)              a command line run as a user, as if typed
 *
 * Every delivery runs through: error boundary → ignore bots → authorization → app.use middleware → the handler.
 * Built in: /help (generated from the specs), a welcome card when the bot joins a chat, bot menu clicks run the
 * command configured in app.config.json `menu`, and a hint for messages that are not text (or files nobody took).
 */
import { z } from 'zod';
import { errorCard, progressCard, successCard, welcomeCard, type Card } from '../cards/index.js';

import { joinProblems, t, type Text } from './i18n.js';
import type { Config } from './config.js';
import type { ActionRef } from './actions.js';
import {
  Context,
  isAction,
  isCommand,
  isEvent,
  type ActionContext,
  type ActionResult,
  type CommandContext,
  type ContextInit,
  type EventContext,
  type Outcome,
  type Target,
  toastResponse,
} from './context.js';
import type { CardAnswer, CardCallbackResponse, Delivery, DeliveryHandler } from './delivery.js';
import type { FeishuPorts } from './feishu/ports.js';
import { helpFor, unknownCommandCard, unresolved } from './commands/help.js';
import {
  describeParseError,
  parseCommand,
  type ParsedCommand,
  type ParseOptions,
  type ParseResult,
} from './commands/parse.js';
import { commandKey, CommandRegistry, type RegisteredCommand, type Resolution } from './commands/registry.js';
import { bindArgs, eraseSpec, issueProblems, msg, type CommandSpec } from './commands/spec.js';
import { chain, type Listener, type ListenerMiddleware, type Listeners } from './middleware/listener.js';
import { silentLogger, type Logger } from './log.js';
import {
  cardCallback,
  eventSchemas,
  fileOf,
  partiesOf,
  toSender,
  type AppEventName,
  type FeishuEvents,
  type SentFile,
} from './events.js';
import type { Metrics } from './metrics.js';
import { authorize } from './middleware/authorize.js';
import { compose, type Middleware } from './middleware/compose.js';
import { errorBoundary } from './middleware/error-boundary.js';
import { ignoreBots } from './middleware/ignore-bots.js';
import type { Store } from './store/store.js';
import { Workflows, type WorkflowsOptions } from './workflows/engine.js';

export type CommandHandler<A> = Listener<CommandContext, A, void>;
export type ActionHandler<A> = Listener<ActionContext, A, ActionResult | void>;
/** `event` is the envelope's `event` object, parsed by its schema in events.ts. */
export type EventHandler<K extends AppEventName> = Listener<EventContext, FeishuEvents[K], void>;

/** Whom `app.run` acts as, and where: no chat means a p2p run, answered to the user privately. */
export interface RunAs {
  openId: string;
  name?: string;
  chatId?: string;
  chatType?: string;
}

/** A command recorded to run later: its key ("mail send"), the handler's arguments, the text and message it came with. */
export interface ResumedCommand {
  command: string;
  args: Record<string, unknown>;
  text?: string;
  messageId?: string;
  /** The approved request it carries out (see `Context.approval`). */
  approval?: string;
}

/** A card click recorded to run later (once approved): the action, its arguments, the card and chat it came from. */
export interface ResumedAction {
  action: string;
  args: Record<string, unknown>;
  messageId?: string;
  chatId?: string;
  approval?: string;
}

/**
 * Listener middleware the app puts before every command's listeners, and before those of every card action that
 * follows a command (the approval gate, src/middleware/approval.ts), so no registration can forget it.
 */
export interface Gate {
  /** `rule`: a rule inside the command (see `App.approvalFor`); default the command's own. */
  command<R>(ctx: CommandContext, args: object, next: () => Promise<R>, rule?: string): Promise<R | void>;
  /** `action`: the clicked action's name (its context names the command it follows). */
  action(
    ctx: ActionContext,
    args: object,
    next: () => Promise<ActionResult | void>,
    action: string,
  ): Promise<ActionResult | void>;
}

/**
 * What a run belongs to. `dedupeKey` must identify this run: reply uuids and idempotency keys derive from it, so
 * running again with the same origin does nothing twice, and a different origin acts afresh.
 */
export type RunOrigin = Pick<Delivery, 'id' | 'type' | 'dedupeKey' | 'finalAttempt'>;

export interface AppOptions {
  config: Config;
  gateway: FeishuPorts;
  store: Store;
  logger?: Logger;
  metrics?: Metrics;
  /** How long a card action may run before the callback is answered with a progress card (Feishu allows 3 s). */
  cardBudgetMs?: number;
  now?: () => number;
  /** Reference ids on error cards. */
  reference?: () => string;
  /** Accepts work the app schedules for itself (an internal event, possibly held until later) into the inbox. */
  schedule?: (d: Delivery) => Promise<unknown>;
  /** Replaces the default outermost boundary (an error card with a reference; retryable failures to the inbox). */
  errorBoundary?: Middleware;
  /** Workflow retry tuning (tests shorten the backoff). */
  workflows?: Pick<WorkflowsOptions, 'maxAttempts' | 'backoffBaseMs'>;
}

export const DEFAULT_CARD_BUDGET_MS = 2_500;

type DeliveryRef = Pick<Delivery, 'id' | 'type' | 'dedupeKey' | 'finalAttempt'>;
/** What a delivery tells about its context; the app adds the rest. */
type Parts = Partial<
  Pick<
    ContextInit,
    | 'sender'
    | 'senderType'
    | 'chatId'
    | 'messageId'
    | 'parentId'
    | 'chatType'
    | 'target'
    | 'text'
    | 'resumed'
    | 'approval'
  >
>;

/**
 * A registered command's listeners with its argument type sealed inside: each entry point validates what it is given
 * against the spec's schema, so the app never holds arguments of an unknown type.
 */
interface CommandRunner {
  /** Runs a parsed command line; the problems when it does not bind to the spec. */
  parsed(ctx: CommandContext, parsed: ParsedCommand): Promise<Text[] | undefined>;
  /** Runs arguments recorded earlier; false when they no longer satisfy the spec. */
  recorded(ctx: CommandContext, args: unknown): Promise<boolean>;
}

interface ActionEntry {
  /** The fields its form fills in (ActionRef.form). */
  form: readonly string[];
  /** What authorization checks: the followed command, or the action itself. */
  target: Target;
  /** Title of the progress card shown when the handler outlasts the card budget. */
  progress?: Text;
  /** Validates the click's input against the action's schema, then runs its listeners. */
  run(
    ctx: ActionContext,
    input: Record<string, unknown>,
  ): Promise<{ ok: true; result: ActionResult | void } | { ok: false; problems: Text[] }>;
}

type AnyEventHandler = (ctx: EventContext, event: unknown) => Promise<void>;

/** Takes a file sent to the bot by answering with a card, or passes it on with undefined. */
export type FileHandler = (ctx: CommandContext, file: SentFile) => Promise<Card | undefined>;

/** Built when sent: the card's default language is configured at start-up, after this module loads. */
const hint = (): Card => successCard({ title: t('app.hint.title'), summary: t('app.hint.summary') });

/**
 * A click's args: the form's own fields from `form_value`, everything else from the button's bound value, so a typed
 * (or hand-made) submit cannot change what the button was made for. A field the form does not have can only come
 * from a hand-made submit (our forms hold exactly the declared fields), so it refuses the click rather than being
 * dropped quietly.
 */
function actionInput(
  form: readonly string[],
  bound: Record<string, unknown>,
  submitted: Record<string, unknown>,
): { input: Record<string, unknown> } | { unexpected: string[] } {
  const unexpected = Object.keys(submitted).filter((k) => !form.includes(k));
  if (unexpected.length) return { unexpected };
  return { input: { ...Object.fromEntries(Object.entries(bound).filter(([k]) => !form.includes(k))), ...submitted } };
}

export class App implements DeliveryHandler {
  readonly #opts: AppOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #registry = new CommandRegistry<CommandRunner>();
  readonly #actions = new Map<string, ActionEntry>();
  readonly #ownRules = new Set<string>();
  /** Card actions past their budget, still running in this process, by the callback's event id. */
  readonly #late = new Map<string, { work: Promise<ActionResult | undefined>; token: string | undefined }>();
  readonly #events = new Map<AppEventName, AnyEventHandler[]>();
  readonly #files: FileHandler[] = [];
  readonly #middleware: Middleware[];
  #gate: Gate | undefined;
  #bot: Promise<{ openId: string; name: string }> | undefined;
  /** Durable multi-step runs (onboarding): handlers define them, the bot resumes them at start-up. */
  readonly workflows: Workflows;
  /** The configuration the app runs with (handlers describe configured behaviour in their specs). */
  readonly config: Config;

  constructor(opts: AppOptions) {
    this.#opts = opts;
    this.config = opts.config;
    this.#logger = opts.logger ?? silentLogger;
    this.#now = opts.now ?? Date.now;
    this.workflows = new Workflows({
      store: opts.store,
      gateway: opts.gateway,
      config: opts.config,
      logger: this.#logger,
      now: this.#now,
      ...opts.workflows,
    });
    this.#middleware = [opts.errorBoundary ?? errorBoundary(opts.reference), ignoreBots, authorize];
    this.#registerBuiltins();
  }

  use(middleware: Middleware): this {
    this.#middleware.push(middleware);
    return this;
  }

  /** Sets the gate every command (and every action following one) passes before its own listeners. */
  gate(gate: Gate): this {
    this.#gate = gate;
    return this;
  }

  /**
   * Listener middleware for a rule inside a command ("contact.other-mailbox"): when `applies`, the run passes the gate
   * for that rule too (an approval `commands.<rule>.approve` asks for), as a guarded command does.
   */
  approvalFor<A extends object>(
    rule: string,
    applies: (ctx: CommandContext, args: A) => Promise<boolean>,
  ): ListenerMiddleware<CommandContext, A, Card | void> {
    return async (ctx, args, next) =>
      this.#gate && (await applies(ctx, args)) ? this.#gate.command(ctx, args, next, rule) : next();
  }

  /** The command's listeners behind the gate, looked up per run so registration order does not matter. */
  #gatedCommand<A extends object>(run: Listener<CommandContext, A, void>): Listener<CommandContext, A, void> {
    return (ctx, args) => (this.#gate ? this.#gate.command(ctx, args, () => run(ctx, args)) : run(ctx, args));
  }

  /**
   * `name` is "group" or "group create"; the handler (last) gets the spec schema's output type, after any listener
   * middleware listed before it.
   */
  command<S extends z.ZodObject>(
    name: string,
    spec: CommandSpec<S>,
    ...listeners: Listeners<CommandContext, z.infer<S>, Card | void>
  ): this {
    const chained = chain(listeners);
    // A handler's card is its answer: it replaces a "still working" card the command showed, else is a reply.
    const answered = async (ctx: CommandContext, args: z.infer<S>) => {
      const card = await chained(ctx, args);
      if (card) await ctx.answer(card);
    };
    const run = this.#gatedCommand(answered);
    this.#registry.add(name, eraseSpec(spec), {
      async parsed(ctx, parsed) {
        const bound = bindArgs(spec, parsed);
        if (!bound.ok) return bound.problems;
        await run(ctx, bound.args);
        return undefined;
      },
      async recorded(ctx, recorded) {
        const args = spec.args.safeParse(recorded);
        if (args.success) await run(ctx, args.data);
        return args.success;
      },
    });
    return this;
  }

  /**
   * The ref's buttons carry `{ action: name, ...args }`; args (+ the values of the ref's form fields) are validated
   * by its schema.
   */
  action<S extends z.ZodObject, F extends string>(
    ref: ActionRef<S, F>,
    ...listeners: Listeners<ActionContext, z.infer<S>, ActionResult | void>
  ): ActionRef<S, F> {
    if (this.#actions.has(ref.name)) throw new Error(`card action "${ref.name}" is registered twice`);
    const target: Target = ref.follows ? { kind: 'command', key: ref.follows } : { kind: 'action', key: ref.name };
    const listened = chain(listeners);
    // A button that leads to a command passes that command's gate (an approval it needs) like the command.
    const run: typeof listened =
      ref.follows && !ref.opensForm
        ? (ctx, args) =>
            this.#gate ? this.#gate.action(ctx, args, () => listened(ctx, args), ref.name) : listened(ctx, args)
        : listened;
    this.#actions.set(ref.name, {
      form: ref.form,
      target,
      ...(ref.progress ? { progress: ref.progress } : {}),
      async run(ctx, input) {
        const args = ref.schema.safeParse(input);
        if (!args.success) return { ok: false, problems: issueProblems(args.error.issues, input, ref.schema) };
        return { ok: true, result: await run(ctx, args.data) };
      },
    });
    return ref;
  }

  /**
   * A rule a handler checks inside a command (e.g. "contact.other-mailbox"): declared here so app.config.json
   * `commands` may name it, and so the start-up check knows it.
   */
  declareRule(name: string): this {
    this.#ownRules.add(name);
    return this;
  }

  /** Every registered card action and the rule it obeys. */
  actions(): readonly { name: string; target: Target }[] {
    return [...this.#actions].map(([name, e]) => ({ name, target: e.target }));
  }

  /**
   * The names app.config.json `commands` may hold (commands, command families, actions with their own rule), after
   * checking that every action follows a registered command. Call once every handler is registered.
   */
  rules(): string[] {
    const commands = this.#registry.all().map(commandKey);
    for (const a of this.actions()) {
      if (a.target.kind === 'command' && !commands.includes(a.target.key)) {
        throw new Error(`card action "${a.name}" follows /${a.target.key}, which is not registered`);
      }
    }
    const families = this.#registry.all().flatMap((e) => (e.sub ? [e.name] : []));
    const own = this.actions().flatMap((a) => (a.target.kind === 'action' ? [a.name] : []));
    return [...new Set([...commands, ...families, ...own, ...this.#ownRules])];
  }

  /** Only events with a schema in events.ts: a payload that fails it is logged and reaches no handler. */
  event<K extends AppEventName>(type: K, ...listeners: Listeners<EventContext, FeishuEvents[K], void>): this {
    const run = chain(listeners);
    this.#events.set(type, [...(this.#events.get(type) ?? []), (ctx, event) => run(ctx, event as FeishuEvents[K])]);
    return this;
  }

  /**
   * Files sent to the bot: each handler in turn may take one (answering with a card); one nobody takes gets the hint.
   * There is no text, so no command and no rule: a handler checks who may use what it does.
   */
  file(handler: FileHandler): this {
    this.#files.push(handler);
    return this;
  }

  /**
   * Runs a command line as `as.openId` through the same parser, authorization, middleware and handlers as a chat
   * message; answers go to `as.chatId`, or to the user privately. Resolves with what happened (refused, invalid…).
   */
  async run(text: string, as: RunAs, origin: RunOrigin): Promise<Outcome> {
    const chatType = as.chatType ?? (as.chatId ? 'group' : 'p2p');
    const sender = { openId: as.openId, ...(as.name ? { name: as.name } : {}) };
    // Addressed: whoever calls run means the bot, so chatter gets the hint rather than silence.
    return this.#runParsed(
      origin,
      { sender, senderType: 'user', chatId: as.chatId, chatType, text },
      this.parse(text, { chatType }),
      true,
    );
  }

  /**
   * Runs a command again from the arguments its handler got before (recorded while it waited, e.g. for a sign-in),
   * through the same authorization and middleware as a typed command. The arguments are checked by the command's
   * schema again; no text is parsed, so nothing a user or the directory supplied can turn into options.
   */
  async resume(command: ResumedCommand, as: RunAs, origin: RunOrigin): Promise<Outcome> {
    const entry = this.#registry.all().find((e) => commandKey(e) === command.command);
    const ctx = await this.#context(origin, 'message', {
      sender: { openId: as.openId, ...(as.name ? { name: as.name } : {}) },
      senderType: 'user',
      chatId: as.chatId,
      chatType: as.chatType ?? (as.chatId ? 'group' : 'p2p'),
      messageId: command.messageId,
      text: command.text,
      approval: command.approval,
      ...(entry ? { target: { kind: 'command', key: commandKey(entry) } } : {}),
    });
    await this.#run(ctx, async () => {
      if (!entry || !isCommand(ctx) || !(await entry.handler.recorded(ctx, command.args))) {
        ctx.outcome = 'invalid';
        ctx.logger.warn({ command: command.command }, 'a recorded command no longer runs as recorded');
        await ctx.reply(
          errorCard({
            title: t('app.resume.title'),
            problems: [t('app.resume.problem', { command: command.command })],
            nextStep: t('app.resume.nextStep'),
          }),
        );
      }
    });
    return ctx.outcome;
  }

  /**
   * Runs a card click again from its recorded arguments (once approved), as `as.openId`, through authorization and
   * middleware like a click; resolves with its answer, which the caller shows (the click itself was answered long ago).
   */
  async resumeAction(
    action: ResumedAction,
    as: RunAs,
    origin: RunOrigin,
  ): Promise<{ outcome: Outcome; result: ActionResult | undefined }> {
    const entry = this.#actions.get(action.action);
    const ctx = await this.#context(origin, 'action', {
      sender: { openId: as.openId, ...(as.name ? { name: as.name } : {}) },
      chatId: action.chatId,
      messageId: action.messageId,
      resumed: true,
      approval: action.approval,
      ...(entry ? { target: entry.target } : {}),
    });
    await this.#run(ctx, async () => {
      const ran = entry && isAction(ctx) ? await entry.run(ctx, action.args) : undefined;
      if (ran?.ok) ctx.result = ran.result ?? ctx.result;
      else {
        ctx.outcome = 'invalid';
        ctx.result = { toast: { type: 'error', text: t('app.buttonGone') } };
      }
    });
    return { outcome: ctx.outcome, result: ctx.result };
  }

  /** Everything registered, built-ins included. */
  commands(): readonly RegisteredCommand[] {
    return this.#registry.all();
  }

  /** Spec examples that would not run as written: a test asserts there are none. */
  exampleProblems(): ReturnType<CommandRegistry['exampleProblems']> {
    return this.#registry.exampleProblems();
  }

  /** The parser as the app runs it: with the registered subcommands. */
  parse(text: string, opts: Omit<ParseOptions, 'subcommands'> = {}): ParseResult {
    return parseCommand(text, {
      ...opts,
      subcommands: this.#registry.subcommands,
      bodyLines: this.#registry.bodyLines,
    });
  }

  async handleEvent(delivery: Delivery): Promise<void> {
    if (delivery.kind === 'card') return this.#continueLate(delivery);
    const event = delivery.payload.event ?? {};
    if (delivery.type === 'im.message.receive_v1') return this.#onMessage(delivery, event);
    const type = delivery.type as AppEventName;
    const handlers = Object.hasOwn(partiesOf, type) ? this.#events.get(type) : undefined;
    if (!handlers) {
      this.#logger.debug({ eventId: delivery.id, type: delivery.type }, 'no handler for this event type');
      return;
    }
    const parsed = eventSchemas[type].safeParse(event);
    if (!parsed.success) {
      this.#logger.warn(
        { eventId: delivery.id, type, issues: parsed.error.issues },
        'event does not match its schema; not handled',
      );
      return;
    }
    const parties = (partiesOf[type] as (e: unknown) => ReturnType<(typeof partiesOf)[AppEventName]>)(parsed.data);
    const ctx = await this.#context(delivery, 'event', parties);
    if (!isEvent(ctx)) return;
    await this.#run(ctx, async () => {
      for (const handler of handlers) await handler(ctx, parsed.data);
    });
  }

  async handleCard(delivery: Delivery): Promise<CardAnswer> {
    const parsed = cardCallback.safeParse(delivery.payload);
    if (!parsed.success) {
      this.#logger.warn({ eventId: delivery.id, issues: parsed.error.issues }, 'unreadable card callback');
      return {
        response: {
          toast: toastResponse({ type: 'error', text: t('app.unreadableClick') }),
        },
      };
    }
    const cb = parsed.data;
    const { action: name, ...values } = cb.action.value ?? {};
    const entry = typeof name === 'string' ? this.#actions.get(name) : undefined;
    if (!entry || typeof name !== 'string') {
      this.#logger.warn({ eventId: delivery.id, action: name }, 'card action with no handler');
      return {
        response: {
          toast: toastResponse({ type: 'warning', text: t('app.buttonGone') }),
        },
      };
    }

    const work = this.#runAction(delivery, cb, name, entry, values);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.#opts.cardBudgetMs ?? DEFAULT_CARD_BUDGET_MS);
    });
    const first = await Promise.race([work, late]);
    clearTimeout(timer);
    if (first !== 'late') return { response: toResponse(first) };

    // The rest runs here, but the inbox tracks it (`continuation`): if this process dies, the next one reruns the
    // action (its claims make that safe) and replaces the progress card, which never stays on "working".
    this.#late.set(delivery.id, { work, token: cb.token });
    const title = entry.progress ?? t('app.working');
    const { token: _updateToken, ...event } = (delivery.payload.event ?? {}) as Record<string, unknown>;
    return {
      response: {
        toast: toastResponse({ type: 'info', text: t('app.workingToast') }),
        card: { type: 'raw', data: progressCard({ title, steps: [{ label: title, state: 'running' }] }) },
      },
      // The update token (a credential) stays in memory: a rerun after a crash updates the card by PATCH.
      continuation: {
        ...delivery,
        dedupeKey: `continue:${delivery.dedupeKey}`,
        payload: { ...delivery.payload, event },
      },
    };
  }

  #runAction(
    delivery: Delivery,
    cb: z.output<typeof cardCallback>,
    name: string,
    entry: ActionEntry,
    values: Record<string, unknown>,
    resumed = false,
  ): Promise<ActionResult | undefined> {
    return (async (): Promise<ActionResult | undefined> => {
      const ctx = await this.#context(delivery, 'action', {
        sender: toSender(cb.operator),
        chatId: cb.chatId,
        messageId: cb.messageId,
        target: entry.target,
        resumed,
      });
      await this.#run(ctx, async () => {
        if (!isAction(ctx)) {
          ctx.outcome = 'invalid';
          ctx.result = { toast: { type: 'error', text: t('app.unknownClicker') } };
          return;
        }
        const read = actionInput(entry.form, values, cb.action.form_value ?? {});
        if ('unexpected' in read) {
          ctx.outcome = 'invalid';
          ctx.logger.warn(
            { fields: read.unexpected.slice(0, 20) },
            'form submit with fields its form does not have; refused',
          );
          ctx.result = { toast: { type: 'error', text: t('app.unexpectedFields') } };
          return;
        }
        const ran = await entry.run(ctx, read.input);
        if (!ran.ok) {
          ctx.outcome = 'invalid';
          ctx.result = { toast: { type: 'error', text: joinProblems(ran.problems) } };
          return;
        }
        ctx.result = ran.result ?? ctx.result;
      });
      return ctx.result;
    })().catch((err: unknown): ActionResult => {
      // Only reachable when the context cannot be built (bot info unavailable): the boundary catches the rest.
      this.#logger.error({ err, eventId: delivery.id }, 'card action failed before its handler ran');
      return { toast: { type: 'error', text: t('app.cannotHandle') } };
    });
  }

  /**
   * An inbox item for a card action that outlasted its budget: waits for the run still going in this process, or,
   * after a crash, runs the action again; then replaces the progress card. A failed update throws, so the inbox
   * retries it (and audits it if it never succeeds).
   */
  async #continueLate(delivery: Delivery): Promise<void> {
    const parsed = cardCallback.safeParse(delivery.payload);
    if (!parsed.success)
      return void this.#logger.warn({ eventId: delivery.id }, 'unreadable card continuation; dropped');
    const cb = parsed.data;
    const running = this.#late.get(delivery.id);
    let result: ActionResult | undefined;
    if (running) {
      result = await running.work;
    } else {
      const { action: name, ...values } = cb.action.value ?? {};
      const entry = typeof name === 'string' ? this.#actions.get(name) : undefined;
      if (!entry || typeof name !== 'string')
        return void this.#logger.warn({ eventId: delivery.id, action: name }, 'card continuation with no handler');
      this.#logger.info(
        { eventId: delivery.id, action: name },
        'resuming a card action interrupted after its progress card',
      );
      result = await this.#runAction(delivery, cb, name, entry, values, true);
    }
    await this.#finishLate(delivery.id, running?.token, cb.messageId, finalCard(result));
    this.#late.delete(delivery.id);
  }

  /** The delayed-update token works only after the callback is answered; PATCH is the fallback (Feishu "延时更新消息卡片"). */
  async #finishLate(
    eventId: string,
    token: string | undefined,
    messageId: string | undefined,
    card: Card,
  ): Promise<void> {
    const log = this.#logger.child({ eventId });
    if (token) {
      try {
        return await this.#opts.gateway.im.updateCardByToken(token, card);
      } catch (err) {
        log.warn({ err }, 'delayed card update failed; patching the message instead');
      }
    }
    if (!messageId) return void log.error('cannot update the card: no token worked and no message id');
    await this.#opts.gateway.im.patchCard(messageId, card);
  }

  async #onMessage(delivery: Delivery, event: unknown): Promise<void> {
    const parsed = eventSchemas['im.message.receive_v1'].safeParse(event);
    if (!parsed.success) {
      this.#logger.warn({ eventId: delivery.id, issues: parsed.error.issues }, 'unreadable im.message.receive_v1');
      return;
    }
    const { sender, message } = parsed.data;
    const base = {
      sender: toSender(sender.sender_id),
      senderType: sender.sender_type,
      chatId: message.chat_id,
      messageId: message.message_id,
      parentId: message.parent_id,
      chatType: message.chat_type,
    };
    const bot = await this.#botInfo();
    const addressed =
      message.chat_type === 'p2p' || (message.mentions?.some((m) => m.id?.open_id === bot.openId) ?? false);
    if (message.message_type !== 'text') {
      const file = message.message_type === 'file' ? fileOf(message.content) : undefined;
      const ctx = await this.#context(delivery, 'message', base);
      return this.#run(ctx, async () => {
        if (!addressed) return void (ctx.outcome = 'ignored');
        if (file && isCommand(ctx))
          for (const take of this.#files) {
            const card = await take(ctx, file);
            if (card) return void (await ctx.reply(card));
          }
        await ctx.reply(hint());
      });
    }
    const text = textOf(message.content);
    const result = this.parse(text, {
      mentions: message.mentions ?? [],
      botOpenId: bot.openId,
      chatType: message.chat_type,
    });
    await this.#runParsed(delivery, { ...base, text }, result, addressed);
  }

  /**
   * A parsed message (typed or from the menu) → authorization and the command, or the right error card.
   * `addressed`: a p2p chat or a message @-mentioning the bot. In a group, a known /command runs without the
   * mention; chatter and unknown /commands (perhaps meant for another bot) get an answer only when addressed.
   */
  async #runParsed(delivery: DeliveryRef, base: Parts, result: ParseResult, addressed: boolean): Promise<Outcome> {
    const resolution = result.ok ? this.#registry.resolve(result.command) : undefined;
    const target: Target | undefined =
      resolution?.kind === 'found' ? { kind: 'command', key: commandKey(resolution.entry) } : undefined;
    const ctx = await this.#context(delivery, 'message', { ...base, ...(target ? { target } : {}) });
    await this.#run(ctx, async () => {
      if (!result.ok) {
        const { error } = result;
        if (error.kind === 'not_command' || error.kind === 'empty') {
          if (addressed) await ctx.reply(hint());
          else ctx.outcome = 'ignored';
          return;
        }
        ctx.outcome = 'invalid';
        await ctx.reply(
          errorCard({
            title: t('commands.unreadable'),
            problems: [describeParseError(error)],
            example: '/help',
          }),
        );
        return;
      }
      if (resolution?.kind === 'unknown' && !addressed) {
        ctx.outcome = 'ignored';
        return;
      }
      await this.#dispatch(ctx, resolution!, result.command);
    });
    return ctx.outcome;
  }

  async #dispatch(ctx: Context, resolution: Resolution<CommandRunner>, parsed: ParsedCommand): Promise<void> {
    if (resolution.kind !== 'found') {
      ctx.outcome = 'invalid';
      if (resolution.kind === 'needs_sub' && resolution.typed === undefined) {
        await ctx.reply(helpFor(this.#registry, [resolution.name]));
        return;
      }
      const { typed, suggestions, rest } = unresolved(resolution, parsed);
      await ctx.reply(unknownCommandCard(typed, suggestions, rest));
      return;
    }
    const { spec, handler } = resolution.entry;
    if (!isCommand(ctx)) {
      // Feishu names the sender of every user message; without one nobody could be authorized or answered.
      ctx.outcome = 'invalid';
      ctx.logger.warn('a command without a sender open_id; not run');
      return;
    }
    const problems = await handler.parsed(ctx, parsed);
    if (problems) {
      ctx.outcome = 'invalid';
      await ctx.reply(
        errorCard({
          title: t('commands.invalidArgs.title'),
          problems,
          nextStep: t('commands.invalidArgs.usage', { usage: spec.usage }),
          ...(spec.examples[0] ? { example: spec.examples[0] } : {}),
        }),
      );
    }
  }

  async #run(ctx: Context, last: () => Promise<void>): Promise<void> {
    const started = this.#now();
    await compose(this.#middleware)(ctx, last);
    this.#opts.metrics?.handlerSeconds.observe(
      { kind: ctx.kind, name: ctx.target?.key ?? ctx.eventType, outcome: ctx.outcome },
      (this.#now() - started) / 1000,
    );
  }

  async #context(delivery: DeliveryRef, kind: Context['kind'], parts: Parts): Promise<Context> {
    const bot = await this.#botInfo();
    const defined = Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined));
    return new Context({
      ...defined,
      ...(parts.target ? { target: this.#withDefaultRule(parts.target) } : {}),
      kind,
      delivery,
      gateway: this.#opts.gateway,
      store: this.#opts.store,
      config: this.#opts.config,
      logger: this.#logger,
      botOpenId: bot.openId,
      now: this.#now,
      ...(this.#opts.schedule ? { schedule: this.#opts.schedule } : {}),
    });
  }

  /** A command's (and its buttons') rule when app.config.json names none: the spec's `allow`, else everyone. */
  #withDefaultRule(target: Target): Target {
    if (target.kind !== 'command') return target;
    const allow = this.#registry.all().find((e) => commandKey(e) === target.key)?.spec.allow;
    return allow ? { ...target, fallback: allow } : target;
  }

  #botInfo(): Promise<{ openId: string; name: string }> {
    this.#bot ??= this.#opts.gateway.im.botInfo().catch((err: unknown) => {
      this.#bot = undefined; // try again on the next delivery
      throw err;
    });
    return this.#bot;
  }

  #registerBuiltins(): void {
    this.command(
      'help',
      {
        summary: t('commands.help.summary'),
        usage: '/help [command] [subcommand]',
        examples: ['/help', '/help help'],
        args: z.object({ topic: z.array(z.string()).optional().describe(msg('commands.help.topic')) }),
        rest: 'topic',
      },
      async (ctx, { topic }) => {
        await ctx.reply(helpFor(this.#registry, topic ?? []));
      },
    );

    this.event('im.chat.member.bot.added_v1', async (ctx) => {
      const bot = await this.#botInfo();
      const commands = this.#registry.all().map((e) => ({ usage: e.spec.usage, summary: e.spec.summary }));
      await ctx.send(welcomeCard({ botName: bot.name, commands, inGroup: true }));
    });

    this.event('application.bot.menu_v6', async (ctx, { event_key: key }) => {
      const text = this.#opts.config.app.menu[key];
      if (text === undefined) {
        ctx.logger.warn({ eventKey: key }, 'bot menu item has no command in app.config.json menu');
        await ctx.send(
          errorCard({
            title: t('app.menu.title'),
            problems: [t('app.menu.problem', { key })],
            nextStep: t('app.menu.nextStep', { key }),
          }),
        );
        return;
      }
      if (!ctx.sender) {
        ctx.logger.warn({ eventKey: key }, 'bot menu click without an operator open_id; nobody to run it as');
        return;
      }
      // As if the operator typed it in a p2p chat with the bot: answers go to them privately. The run gets its own
      // dedupe key so its reply uuids cannot collide with this context's.
      await this.run(
        text,
        { openId: ctx.sender.openId, ...(ctx.sender.name ? { name: ctx.sender.name } : {}) },
        { id: ctx.eventId, type: ctx.eventType, dedupeKey: `${ctx.dedupeKey}/menu`, finalAttempt: ctx.finalAttempt },
      );
    });
  }
}

function textOf(content: string): string {
  try {
    const parsed: unknown = JSON.parse(content);
    return typeof parsed === 'object' && parsed !== null && typeof (parsed as { text?: unknown }).text === 'string'
      ? (parsed as { text: string }).text
      : '';
  } catch {
    return '';
  }
}

function toResponse(result: ActionResult | undefined): CardCallbackResponse {
  return {
    ...(result?.toast ? { toast: toastResponse(result.toast) } : {}),
    ...(result?.card ? { card: { type: 'raw', data: result.card } } : {}),
  };
}

/** After a progress card, something must replace it even when the handler answered with a toast only. */
function finalCard(result: ActionResult | undefined): Card {
  if (result?.card) return result.card;
  const text = result?.toast?.text ?? t('app.done');
  return result?.toast?.type === 'error'
    ? errorCard({ title: t('app.failed.title'), problems: [text], nextStep: t('app.failed.nextStep') })
    : successCard({ title: text });
}
