/**
 * Helpers shared by the mail route files: body/query parsing that names the bad field in `msg`, mapping
 * rule failures to documented codes, and resolving `:user_mailbox_id` for the caller.
 */
import type { z } from 'zod';
import type { CodePage } from './codes.js';
import type { ApiError, Caller, Kit } from './kit.js';
import { describeIssues, RuleError } from './mail-rules.js';
import type { Mailgroup, MailState } from './mail-state.js';
import type { SeedUser } from './state.js';

/** The documented code with the reason appended to its message, so clients see which field is wrong. */
export function fail(kit: Kit, code: number, page: CodePage, detail: string): ApiError {
  const documented = kit.error(code, { page });
  return kit.error(code, { page, msg: `${documented.message}: ${detail}`, detail });
}

export function parseWith<S extends z.ZodType>(
  kit: Kit,
  schema: S,
  input: unknown,
  code: number,
  page: CodePage,
): z.output<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw fail(kit, code, page, describeIssues(r.error));
  return r.data;
}

/** A mail group by id or address, else 404 / 1234013 "mail group not found" (the mail group pages). */
export function requireMailgroup(kit: Kit, mail: MailState, id: string): Mailgroup {
  const group = mail.mailgroup(id);
  if (!group) throw fail(kit, 1234013, 'platform', `no mail group ${id}: pass its mailgroup_id or its email address`);
  return group;
}

/** Runs a pure rule; a RuleError becomes its own code (or `fallback`) on `page`. */
export function rule<T>(kit: Kit, page: CodePage, fallback: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RuleError) throw fail(kit, e.code ?? fallback, page, e.message);
    throw e;
  }
}

type MailboxProblem = 'me_needs_user' | 'not_found' | 'inactive' | 'forbidden';
type MailboxResolution =
  { ok: true; address: string; user: SeedUser } | { ok: false; problem: MailboxProblem; detail: string };

/**
 * `me` (user token only) or an address of an active user of the tenant. A user token may only reach its own
 * mailbox; a tenant token may reach mailboxes inside the app's data scope (seeded rule: not the invisible user).
 */
function resolveMailbox(kit: Kit, caller: Caller, id: string): MailboxResolution {
  const { state } = kit;
  if (id === 'me') {
    if (caller.kind !== 'user')
      return {
        ok: false,
        problem: 'me_needs_user',
        detail: 'user_mailbox_id "me" needs a user_access_token: pass the mailbox address',
      };
    return { ok: true, address: caller.mailbox.toLowerCase(), user: caller.user };
  }
  const user = state.userByMailbox(id);
  if (!user || user.tenant_key !== state.app.tenantKey) {
    return {
      ok: false,
      problem: 'not_found',
      detail: `no mailbox ${id} in this tenant (mail domain ${state.app.mailDomain})`,
    };
  }
  if (user.resigned)
    return { ok: false, problem: 'inactive', detail: `mailbox ${id} belongs to a resigned user and is not active` };
  if (caller.kind === 'user' && caller.openId !== user.open_id) {
    return {
      ok: false,
      problem: 'forbidden',
      detail: `a user token can only use its own mailbox (${caller.mailbox}) or "me"`,
    };
  }
  if (caller.kind === 'app' && user.invisible) {
    return { ok: false, problem: 'forbidden', detail: `mailbox ${id} is outside the app's data scope` };
  }
  return { ok: true, address: user.enterprise_email.toLowerCase(), user };
}

/** Resolves a mailbox or throws the endpoint's code for each problem. */
export function requireMailbox(
  kit: Kit,
  caller: Caller,
  id: string,
  page: CodePage,
  codes: Record<MailboxProblem, number>,
): { address: string; user: SeedUser } {
  const r = resolveMailbox(kit, caller, id);
  if (!r.ok) throw fail(kit, codes[r.problem], page, r.detail);
  return r;
}

/** The serial-lock key of a send: the mailbox address, so `me` and the explicit address share one lock. */
export function mailboxKey(caller: Caller, id: string): string | undefined {
  if (caller.kind !== 'user') return undefined;
  return id === 'me' ? caller.mailbox.toLowerCase() : id.toLowerCase();
}
