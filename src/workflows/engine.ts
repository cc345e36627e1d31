/**
 * Durable workflow runs: a run is an ordered list of steps whose states live in the Store (keyspace `workflow`), so
 * a run survives a crash and resumes at its first unfinished step. One process drives a run at a time: driving takes
 * an atomic claim with a lease (renewed while working); a driver that died leaves a lapsed lease, and the next drive
 * (at start-up, a redelivered trigger, Retry) takes over, telling the step that its earlier attempt may have reached
 * Feishu (`resumed`), so the step looks before it creates.
 *
 *   workflows.define('onboard', { execute, onChange });
 *   await workflows.start({ id, workflow: 'onboard', subject, input, steps });  // false: the run exists already
 *   await workflows.drive(id);
 *
 * Steps say what they need (`needs`): a step whose need failed is `blocked`, independent steps go on. A transient
 * failure (error kind `transient`) is retried with backoff, then the step is `failed` with its reason; a step may
 * answer `waiting` (a person must sign in): `resumeWaiting(openId)` continues it, or `attention`: it did what it could
 * and names what a person must finish by hand (it counts as finished; Retry runs it again once they have).
 * Runs are found through sorted indexes in the Store (atomic adds, so instances starting runs at once lose none):
 * recent runs by start time, and runs by whom one of their steps waited for.
 */
import { z } from 'zod';
import { backoffMs } from '../backoff.js';

import type { Config } from '../config.js';
import type { FeishuPorts } from '../feishu/ports.js';
import { silentLogger, type Logger } from '../log.js';
import { keyspace, sortedIndex } from '../store/keyspace.js';
import type { HandlerStore } from '../context.js';
import { withClaim } from '../effects/claim.js';
import { listOf, t, textSchema, type Text } from '../i18n.js';

const DAY = 86_400_000;
/** How long runs are kept (and listed by /onboard status). */
export const RUN_TTL_MS = 30 * DAY;
const RECENT_RUNS = 200;
const LEASE_MS = 5_000;

export const STEP_STATUSES = [
  'pending',
  'running',
  'done',
  'failed',
  'waiting',
  /** Done as far as the bot could; `reason` says what a person must do by hand. */
  'attention',
  'blocked',
  'skipped',
  'not_applicable',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

const stepState = z.object({
  id: z.string(),
  label: textSchema,
  needs: z.array(z.string()).default([]),
  status: z.enum(STEP_STATUSES),
  attempts: z.number().int().min(0),
  /** What was made: names and ids as they are (a string), or in the bot's words (a Text). */
  detail: z.union([z.string(), textSchema]).optional(),
  reason: textSchema.optional(),
  /** Whom a waiting step waits for (an open_id). */
  waitingFor: z.string().optional(),
  /** What a done step produced (ids), for later steps and for the card. */
  result: z.record(z.string(), z.string()).optional(),
});
export type StepState = z.infer<typeof stepState>;

const runRecord = z.object({
  id: z.string(),
  workflow: z.string(),
  /** Who the run is about (the hire's open_id). */
  subject: z.string(),
  subjectName: z.string(),
  trigger: z.string(),
  /** Who started it (a person's /onboard, or the automation's runAs): who may undo it. */
  startedBy: z.string().optional(),
  input: z.record(z.string(), z.unknown()),
  steps: z.array(stepState),
  /** Owned by the workflow's onChange (e.g. the progress card's message id). */
  meta: z.record(z.string(), z.string()).default({}),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Run = z.infer<typeof runRecord>;

const runs = keyspace('workflow', runRecord, RUN_TTL_MS);
/** Run ids by start time, under 'all'. */
const recent = sortedIndex('workflow-runs', { ttlMs: RUN_TTL_MS, keep: RECENT_RUNS });
/**
 * Run ids by the open_id a step waited for, added before the wait is saved and never removed (only trimmed and
 * expired): the runs themselves say which still wait.
 */
const waiting = sortedIndex('workflow-waiting', { ttlMs: RUN_TTL_MS, keep: RECENT_RUNS });
/** Before the indexes: recent run ids as one JSON list, rewritten read-modify-write. Moved into them once. */
const legacyRecent = keyspace('workflow-recent', z.array(z.string()), RUN_TTL_MS);

export type StepOutcome =
  | { status: 'done'; detail?: string | Text; result?: Record<string, string> }
  | { status: 'waiting'; waitingFor: string; reason: Text }
  | { status: 'attention'; detail?: string | Text; result?: Record<string, string>; reason: Text }
  | { status: 'not_applicable'; reason: Text };

/** A failure with a kind (FeishuError has one): `transient` is retried, the rest fail the step with `explain()`. */
interface KindedError {
  kind: string;
  explain?: () => { problem: Text };
}

/** What steps act with: the same ports a handler's context carries. */
export interface WorkflowEnv {
  gateway: FeishuPorts;
  store: HandlerStore;
  config: Config;
  logger: Logger;
}

export interface WorkflowDefinition {
  /** Performs one step. `resumed`: an earlier attempt of it may have reached Feishu (look before creating). */
  execute(env: WorkflowEnv, run: Run, step: StepState, resumed: boolean): Promise<StepOutcome>;
  /** After every state change: show progress. May return meta to keep on the run. */
  onChange?(env: WorkflowEnv, run: Run): Promise<Record<string, string> | void>;
}

export interface WorkflowsOptions {
  store: HandlerStore;
  gateway: FeishuPorts;
  config: Config;
  logger?: Logger;
  now?: () => number;
  /** Tries per step for transient failures (first included). */
  maxAttempts?: number;
  backoffBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const FINISHED: ReadonlySet<StepStatus> = new Set(['done', 'attention', 'skipped', 'not_applicable']);
const SATISFIED = FINISHED;
/** Steps that have not run, or wait for a person: what skipOpen skips. */
const OPEN: ReadonlySet<StepStatus> = new Set(['pending', 'waiting', 'blocked']);

export const isFinished = (run: Run): boolean => run.steps.every((s) => FINISHED.has(s.status));
/** Steps a drive would still act on. */
const actionable = (run: Run): StepState[] => run.steps.filter((s) => s.status === 'pending' || s.status === 'running');

export class Workflows {
  readonly #o: WorkflowsOptions;
  readonly #defs = new Map<string, WorkflowDefinition>();
  readonly #log: Logger;
  readonly #env: WorkflowEnv;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #migration: Promise<void> | undefined;
  #closed = false;

  constructor(o: WorkflowsOptions) {
    this.#o = o;
    this.#log = o.logger ?? silentLogger;
    this.#env = { gateway: o.gateway, store: o.store, config: o.config, logger: this.#log };
    this.#now = o.now ?? Date.now;
    this.#sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  define(name: string, def: WorkflowDefinition): void {
    if (this.#defs.has(name)) throw new Error(`workflow "${name}" is defined twice`);
    this.#defs.set(name, def);
  }

  get(id: string): Promise<Run | undefined> {
    return runs.get(this.#o.store, id);
  }

  /** Creates the run unless one with this id exists (atomic): false means it was started before. */
  async start(
    init: Omit<Run, 'createdAt' | 'updatedAt' | 'meta' | 'steps'> & { steps: Omit<StepState, 'attempts'>[] },
  ): Promise<boolean> {
    const now = this.#now();
    const run: Run = {
      ...init,
      steps: init.steps.map((s) => ({ ...s, attempts: 0 })),
      meta: {},
      createdAt: now,
      updatedAt: now,
    };
    // Indexed first: a crash in between leaves an id without a run (skipped when listed), never a run nobody finds.
    // Only a start racing another for the same id moves the existing run's entry, to about its own start time.
    await recent.add(this.#o.store, 'all', run.id, now);
    return runs.setIfAbsent(this.#o.store, run.id, run);
  }

  /** Most recent first. */
  async list(limit = 20): Promise<Run[]> {
    await this.#migrated();
    return this.#load(await recent.list(this.#o.store, 'all', limit));
  }

  /**
   * Runs the run's actionable steps in order, unless another live driver holds it ('busy'). Resolves with the run
   * as it stands after this drive.
   */
  async drive(id: string): Promise<{ state: 'driven' | 'busy' | 'missing'; run?: Run }> {
    const held = await withClaim(this.#o.store, `workflow-run:${id}`, this.#runClaim(id), async () => {
      let run = await this.get(id);
      if (!run) return { state: 'missing' as const };
      const def = this.#defs.get(run.workflow);
      if (!def) throw new Error(`run ${id} belongs to workflow "${run.workflow}", which is not defined`);
      run = await this.#save(def, run);
      for (;;) {
        const step = actionable(run).find((s) => this.#ready(run!, s) !== 'wait');
        if (!step) break;
        if (this.#ready(run, step) === 'blocked') {
          const failed = step.needs.filter(
            (n) => !SATISFIED.has(run!.steps.find((s) => s.id === n)?.status ?? 'failed'),
          );
          run = await this.#save(
            def,
            this.#with(run, step.id, {
              status: 'blocked',
              reason: t('workflow.needsFirst', { steps: listOf(failed) }),
            }),
          );
          continue;
        }
        run = await this.#runStep(def, run, step);
      }
      return { state: 'driven' as const, run };
    });
    // Runs are never completed in the claim store (the claim is a lock only): "done" cannot come back.
    return held.state === 'ran' ? held.value : { state: 'busy' };
  }

  /** A run's claim is a lock only: the run record says what is done, so the claim is given back after each drive. */
  #runClaim(id: string, waitMs = 0) {
    return {
      ttlMs: RUN_TTL_MS,
      leaseMs: LEASE_MS,
      waitMs,
      then: 'release' as const,
      sleep: this.#sleep,
      onRenewFailed: (err: unknown) => this.#log.warn({ err, id }, 'could not renew a run claim'),
    };
  }

  /** Drives a run, and again after a lease when another driver (perhaps a dead one) holds it. */
  async driveEventually(id: string, tries = 6): Promise<Run | undefined> {
    for (let i = 0; i < tries && !this.#closed; i++) {
      const r = await this.drive(id);
      if (r.state !== 'busy') return r.run;
      await this.#sleep(LEASE_MS / 2);
    }
    return this.get(id);
  }

  /** Failed, blocked and attention steps become pending again; the other finished steps stay finished. */
  async retry(id: string): Promise<Run | undefined> {
    return this.#reopen(id, (s) => s.status === 'failed' || s.status === 'blocked' || s.status === 'attention');
  }

  async skip(id: string, stepId: string): Promise<Run | undefined> {
    if (!(await this.get(id))) return undefined;
    await this.#markSkipped(id, (s) => s.id === stepId && !FINISHED.has(s.status), t('workflow.state.skipped'));
    return this.#reopen(id, (s) => s.status === 'blocked');
  }

  /**
   * Every step that has not run (pending, blocked) or waits becomes skipped with `reason`, and the run is not driven:
   * it stops where it stands, as when the person it is for has left. A step a driver is running finishes first (the
   * run's claim). Resolves with the ids of the steps it skipped.
   */
  async skipOpen(id: string, reason: Text): Promise<string[]> {
    return this.#markSkipped(id, (s) => OPEN.has(s.status), reason);
  }

  /** Under the run's claim, the steps `which` picks become skipped; resolves with their ids. */
  async #markSkipped(id: string, which: (s: StepState) => boolean, reason: Text): Promise<string[]> {
    let skipped: string[] = [];
    await this.#locked(id, async () => {
      const run = await this.get(id);
      const def = run && this.#defs.get(run.workflow);
      const picked = run?.steps.filter(which).map((s) => s.id) ?? [];
      if (!run || !def || !picked.length) return false;
      await this.#save(
        def,
        picked.reduce((r, stepId) => this.#with(r, stepId, { status: 'skipped', reason }), run),
      );
      skipped = picked;
      return true;
    });
    return skipped;
  }

  /**
   * The hook for sign-in: steps waiting for `openId` run again. Returns the ids of the runs it continued.
   */
  async resumeWaiting(openId: string): Promise<string[]> {
    await this.#migrated();
    const waitsFor = (s: StepState) => s.status === 'waiting' && s.waitingFor === openId;
    const found = (await this.#load(await waiting.list(this.#o.store, openId, RECENT_RUNS))).filter((r) =>
      r.steps.some(waitsFor),
    );
    for (const r of found) await this.#reopen(r.id, waitsFor);
    return found.map((r) => r.id);
  }

  /** At start-up: every recent run with unfinished work is driven (runs a crash interrupted finish here). */
  async resumeAll(): Promise<void> {
    const open = (await this.list(RECENT_RUNS)).filter((r) => actionable(r).length > 0);
    await Promise.all(
      open.map((r) =>
        this.driveEventually(r.id).catch((err: unknown) =>
          this.#log.error({ err, run: r.id }, 'could not resume a run'),
        ),
      ),
    );
  }

  /** Stops waiting for busy runs (shutdown); a drive under way finishes its step. */
  close(): void {
    this.#closed = true;
  }

  /** Under the run's claim, so a driver still at work cannot overwrite the change (or have it overwrite its steps). */
  async #reopen(id: string, which: (s: StepState) => boolean): Promise<Run | undefined> {
    const changed = await this.#locked(id, async () => {
      const run = await this.get(id);
      const def = run && this.#defs.get(run.workflow);
      if (!run || !def) return false;
      const steps = run.steps.map((s): StepState =>
        which(s) ? { id: s.id, label: s.label, needs: s.needs, status: 'pending', attempts: 0 } : s,
      );
      await this.#save(def, { ...run, steps });
      return true;
    });
    return changed ? this.driveEventually(id) : this.get(id);
  }

  /** Runs `fn` holding the run's claim, waiting a few leases for a live driver; false when it never got it. */
  async #locked(id: string, fn: () => Promise<boolean>): Promise<boolean> {
    if (this.#closed) return false;
    const held = await withClaim(this.#o.store, `workflow-run:${id}`, this.#runClaim(id, 3 * LEASE_MS), fn);
    return held.state === 'ran' && held.value;
  }

  #ready(run: Run, step: StepState): 'go' | 'blocked' | 'wait' {
    const needs = step.needs.map((n) => run.steps.find((s) => s.id === n)?.status ?? 'failed');
    if (needs.every((s) => SATISFIED.has(s))) return 'go';
    return needs.some((s) => s === 'failed' || s === 'blocked') ? 'blocked' : 'wait';
  }

  async #runStep(def: WorkflowDefinition, start: Run, step: StepState): Promise<Run> {
    const max = this.#o.maxAttempts ?? 4;
    let run = start;
    // `running` already: the driver that set it died mid-call, so its effect may exist.
    let resumed = step.status === 'running';
    for (let attempt = 1; ; attempt++) {
      // Not shown: a card update per start would double the calls, and the outcome follows at once.
      run = await this.#save(
        def,
        this.#with(run, step.id, {
          status: 'running',
          attempts: (run.steps.find((s) => s.id === step.id)?.attempts ?? 0) + 1,
        }),
        false,
      );
      try {
        const current = run.steps.find((s) => s.id === step.id)!;
        const outcome = await def.execute(this.#env, run, current, resumed);
        if (outcome.status === 'waiting') await waiting.add(this.#o.store, outcome.waitingFor, run.id, this.#now());
        const patch: Partial<StepState> =
          outcome.status === 'done'
            ? { status: 'done', detail: outcome.detail, result: outcome.result, reason: undefined }
            : outcome.status === 'attention'
              ? { status: 'attention', detail: outcome.detail, result: outcome.result, reason: outcome.reason }
              : outcome.status === 'waiting'
                ? { status: 'waiting', waitingFor: outcome.waitingFor, reason: outcome.reason }
                : { status: 'not_applicable', reason: outcome.reason };
        return await this.#save(def, this.#with(run, step.id, patch));
      } catch (err) {
        const kinded = err as Partial<KindedError>;
        const transient = kinded.kind === 'transient';
        if (transient && attempt < max) {
          this.#log.warn({ err, run: run.id, step: step.id, attempt }, 'step failed for now; retrying');
          await this.#sleep(backoffMs(attempt, { baseMs: this.#o.backoffBaseMs ?? 500 }));
          // A transient failure may have been performed (a lost answer): the next attempt looks first.
          resumed = true;
          continue;
        }
        const reason = typeof kinded.explain === 'function' ? kinded.explain().problem : undefined;
        // What cannot explain itself shows as an internal error: this line is where an admin finds out what it was.
        if (!reason) this.#log.error({ err, run: run.id, step: step.id }, 'step failed with an unexpected error');
        return this.#save(
          def,
          this.#with(run, step.id, {
            status: 'failed',
            reason: reason ?? t('workflow.internalError'),
          }),
        );
      }
    }
  }

  #with(run: Run, stepId: string, patch: Partial<StepState>): Run {
    return {
      ...run,
      steps: run.steps.map((s) => {
        if (s.id !== stepId) return s;
        const merged: StepState = { ...s, ...patch };
        // Fields patched to undefined are dropped, so the record stays valid JSON without them.
        return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as StepState;
      }),
    };
  }

  /** Persists first, then shows: what the card says is always already durable. */
  async #save(def: WorkflowDefinition, run: Run, show = true): Promise<Run> {
    let saved: Run = { ...run, updatedAt: this.#now() };
    await runs.set(this.#o.store, saved.id, saved);
    if (!show) return saved;
    try {
      const meta = await def.onChange?.(this.#env, saved);
      if (meta && Object.entries(meta).some(([k, v]) => saved.meta[k] !== v)) {
        saved = { ...saved, meta: { ...saved.meta, ...meta } };
        await runs.set(this.#o.store, saved.id, saved);
      }
    } catch (err) {
      // Progress display is best effort: the run's state is already stored.
      this.#log.warn({ err, run: run.id }, 'could not show workflow progress');
    }
    return saved;
  }

  /** The runs of `ids` that still exist, in that order. */
  async #load(ids: string[]): Promise<Run[]> {
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((r): r is Run => r !== undefined);
  }

  /** Once per process, before the indexes are read: the legacy list's runs (and their waits) go into the indexes. */
  #migrated(): Promise<void> {
    this.#migration ??= this.#migrateLegacyList().catch((err: unknown) => {
      this.#migration = undefined;
      throw err;
    });
    return this.#migration;
  }

  async #migrateLegacyList(): Promise<void> {
    const store = this.#o.store;
    const ids = await legacyRecent.get(store, 'all');
    if (!ids) return;
    for (const run of await this.#load(ids)) {
      await recent.add(store, 'all', run.id, run.createdAt);
      for (const s of run.steps)
        if (s.status === 'waiting' && s.waitingFor) await waiting.add(store, s.waitingFor, run.id, run.updatedAt);
    }
    // Deleted last: a crash before this migrates again, and adding an entry again changes nothing.
    await legacyRecent.delete(store, 'all');
    this.#log.info({ runs: ids.length }, "moved the recent workflow runs into the store's indexes");
  }
}
