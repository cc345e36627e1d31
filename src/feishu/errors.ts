/**
 * One error type for every Open API failure, its kind, and the named outcomes handlers branch on.
 * The codes and their explanations are in error-table.ts.
 */
import type { Text } from '../i18n.js';
import { ERROR_TABLE, explainCode, NETWORK_ERROR, type ErrorKind } from './error-table.js';

export {
  ERROR_KINDS,
  ERROR_TABLE,
  explainCode,
  MALFORMED_RESPONSE,
  NETWORK_ERROR,
  NOT_SIGNED_IN,
  type ErrorInfo,
  type ErrorKind,
} from './error-table.js';

/** The tenant token is missing, invalid or expired: the client drops its cached token and tries once more. */
export const TENANT_TOKEN_CODES: ReadonlySet<number> = new Set([99991661, 99991663]);
/** The user token is missing, invalid or expired: the client asks the user token provider for a new one, once. */
export const USER_TOKEN_CODES: ReadonlySet<number> = new Set([99991661, 99991668, 99991677]);

/**
 * Whether Feishu may have performed a call that failed this way: no answer at all (timeout, dropped connection)
 * or a 5xx, which Feishu can send after the work is done. A 429 (rate limit, 1236006 concurrency) or any 2xx/4xx
 * business code is a definite "not done". Creates without an idempotency key must look before trying again.
 */
export function mayHaveBeenPerformed(e: FeishuError): boolean {
  return e.code === NETWORK_ERROR || (e.httpStatus ?? 0) >= 500;
}

export interface FeishuErrorInit {
  code: number;
  msg: string;
  endpoint: string;
  httpStatus?: number;
  logId?: string;
  /** Seconds Feishu asked us to wait (`x-ogw-ratelimit-reset`). */
  retryAfterSeconds?: number;
}

export class FeishuError extends Error {
  override name = 'FeishuError';
  readonly code: number;
  readonly msg: string;
  readonly endpoint: string;
  readonly httpStatus: number | undefined;
  readonly logId: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly kind: ErrorKind;
  readonly retryable: boolean;

  constructor(init: FeishuErrorInit) {
    super(
      `${init.endpoint}: Feishu error ${init.code}${init.httpStatus ? ` (HTTP ${init.httpStatus})` : ''}: ${init.msg}${init.logId ? ` [log_id ${init.logId}]` : ''}`,
    );
    this.code = init.code;
    this.msg = init.msg;
    this.endpoint = init.endpoint;
    this.httpStatus = init.httpStatus;
    this.logId = init.logId;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.kind = kindOf(init.code, init.httpStatus ?? 0);
    this.retryable = this.kind === 'transient';
  }

  explain(): { problem: Text; nextStep: Text; title?: Text } {
    return explainCode(this.code, this.logId);
  }
}

/** A 5xx is always worth another try, whatever its code; an unknown code is judged by its HTTP status. */
function kindOf(code: number, status: number): ErrorKind {
  if (status >= 500) return 'transient';
  const known = ERROR_TABLE[code]?.kind;
  if (known) return known;
  if (status === 429) return 'transient';
  if (status === 404) return 'not_found';
  if (status === 403) return 'permission';
  return 'unknown';
}

/**
 * The user must sign in (again). Raised before a call by the token vault when it holds no usable sign-in (its
 * NeedsSignIn, which says why), or by a call Feishu refused for the user's authorisation (a FeishuError): handlers and
 * workflow steps branch on `needsSignIn`, never on either class.
 */
export interface SignInNeeded extends Error {
  readonly kind: 'needs_sign_in';
}

export const needsSignIn = (err: unknown): err is SignInNeeded =>
  err instanceof Error && (err as { kind?: unknown }).kind === 'needs_sign_in';

// Outcomes that handlers branch on, named here so that no handler compares a raw code.
const hasCode = (err: unknown, ...codes: number[]): err is FeishuError =>
  err instanceof FeishuError && codes.includes(err.code);

/** Mail group create: the address is taken, by a group, a mailbox or someone's login (1234006, 1234033). */
export const isAddressTaken = (err: unknown): err is FeishuError => hasCode(err, 1234006, 1234033);
/** Mail group create: the address's domain is not one of the organisation's mail domains (1234019). */
export const isUnknownMailDomain = (err: unknown): err is FeishuError => hasCode(err, 1234019);
/** User lookup: the user does not exist, or is outside the app's contact data scope (40001, 41050). */
export const isUserOutOfReach = (err: unknown): err is FeishuError => hasCode(err, 40001, 41050);
/**
 * Content review refused the text itself: a chat name or description (232023), a message (230022, 230028), a mail
 * (1236014). Sending the same again fails the same way.
 */
export const isContentRefused = (err: unknown): err is FeishuError => hasCode(err, 232023, 230022, 230028, 1236014);
/** Mail send: this draft or dedupe_key was sent already (1236005): after our own attempt, it went out. */
export const isAlreadySent = (err: unknown): err is FeishuError => hasCode(err, 1236005);
/** Draft calls: the draft does not exist (1234050): deleted, or consumed by a send. */
export const isDraftGone = (err: unknown): err is FeishuError => hasCode(err, 1234050);

/**
 * An inverse met an object that is no longer there: a dissolved or unknown chat (232009, 232006), a mail group not
 * found (1234013), a recalled message (230011), or anything Feishu answers with HTTP 404. Taking something back
 * that is already gone is done, not failed.
 */
export const isAlreadyGone = (err: unknown): err is FeishuError =>
  hasCode(err, 232009, 232006, 1234013, 230011) || (err instanceof FeishuError && err.httpStatus === 404);

/** Chat member removal: the list names the owner, whom Feishu never removes (232076); nobody in it was removed. */
export const isOwnerInRemoval = (err: unknown): err is FeishuError => hasCode(err, 232076);
/** Mail-group member removal: an id is not (or no longer) a member (1234014); nothing in that call was removed. */
export const isMemberGone = (err: unknown): err is FeishuError => hasCode(err, 1234014);
/** Mail contact calls: Feishu's "parameter error" (1230001), which it also answers for a contact id it does not hold. */
export const isContactParamError = (err: unknown): err is FeishuError => hasCode(err, 1230001);

/** What an audit record says of a failure: the Feishu code, or the error's name when it is not a Feishu failure. */
export const errorCodeOf = (err: unknown): string =>
  err instanceof FeishuError ? String(err.code) : err instanceof Error ? err.name : 'unknown';
