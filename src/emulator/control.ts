/**
 * The control API under /_emulator/: call log, state, reset, fault injection, time scale and rate-limit
 * overrides. Not Open API traffic, so it bypasses the kit's token checks, faults and call log.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { FEISHU_CARD_LOCALES } from '../protocol/card-locales.js';
import { codeInfo } from './codes.js';
import type { Kit } from './kit.js';

const faultSchema = z
  .object({
    pathPrefix: z.string().startsWith('/open-apis/', 'must start with /open-apis/').optional(),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).optional(),
    code: z
      .number()
      .int()
      .refine((c) => codeInfo(c) !== undefined, 'must be a code listed in src/emulator/codes.ts')
      .optional(),
    page: z
      .enum(['im-chat-create', 'mail-mailgroup-create', 'mail-contact-create', 'mail-message-send', 'mail-draft-send'])
      .optional(),
    errorRate: z.number().min(0).max(1).optional(),
    count: z.number().int().positive().optional(),
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    drop: z.boolean().optional(),
    latencyAfterMs: z.number().int().min(0).max(60_000).optional(),
    dropAfter: z.boolean().optional(),
  })
  .strict()
  .refine(
    (f) =>
      f.code !== undefined ||
      f.latencyMs !== undefined ||
      f.drop === true ||
      f.latencyAfterMs !== undefined ||
      f.dropAfter === true,
    'set at least one of code, latencyMs, drop, latencyAfterMs, dropAfter',
  )
  .refine(
    (f) => (f.latencyAfterMs === undefined && f.dropAfter !== true) || (f.code === undefined && f.drop !== true),
    'code and drop answer before the call runs, so latencyAfterMs and dropAfter would never apply: give them in a separate fault',
  );

const timeSchema = z
  .object({ scale: z.number().positive().optional(), advanceSeconds: z.number().min(0).optional() })
  .strict()
  .refine((t) => t.scale !== undefined || t.advanceSeconds !== undefined, 'set scale, advanceSeconds or both');

const limitSchema = z
  .object({
    route: z
      .string()
      .regex(/^(GET|POST|PUT|PATCH|DELETE) \/open-apis\//, 'must look like "POST /open-apis/im/v1/chats"'),
    perSecond: z.number().int().positive().optional(),
    perMinute: z.number().int().positive().optional(),
    perKeyPerSecond: z.number().int().positive().optional(),
    perKeyPerMinute: z.number().int().positive().optional(),
  })
  .strict();

const clientLanguageSchema = z
  .object({
    /** open_id or email. */
    user: z.string().min(1),
    language: z.enum(FEISHU_CARD_LOCALES),
  })
  .strict();

const callsQuery = z.object({
  path: z.string().optional(),
  since: z.coerce.number().int().min(0).optional(),
});

function badRequest(res: Response, error: z.ZodError | string): void {
  const message =
    typeof error === 'string'
      ? error
      : error.issues
          .map((i) => {
            const fix = i.code === 'unrecognized_keys' ? ' (remove it or correct its spelling)' : '';
            return `${i.path.join('.') || '(body)'}: ${i.message}${fix}`;
          })
          .join('; ');
  res.status(400).json({ error: message });
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The control API acts as any user, so no web page may drive it: a request that changes state is refused when the
 * browser says another site sent it (Origin, Sec-Fetch-Site: 403), and unless any body it has is JSON (415), which a
 * cross-site form cannot send and a cross-site script cannot send without a CORS preflight, which is never granted.
 * Tools (curl, the tests, the console's proxy) send neither header and pass. Used on the emulator's own port and by
 * the console's proxy on the bot's port.
 */
export function controlGuard(req: Request, res: Response, next: NextFunction): void {
  if (READS.has(req.method)) return next();
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  const own = `${req.protocol}://${req.get('host') ?? ''}`;
  if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && origin !== own)) {
    res.status(403).json({
      error: `the control API takes requests from its own page (${own}) and from tools, not from ${origin ?? `a ${site} page`}`,
    });
    return;
  }
  const type = req.get('content-type');
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (type === undefined ? hasBody : type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
    res
      .status(415)
      .json({ error: `send the body as JSON with content-type: application/json (got ${type ?? 'none'})` });
    return;
  }
  next();
}

export function controlRoutes(kit: Kit): express.Router {
  const r = express.Router();
  const { state } = kit;

  /** `since` is a call's `seq`: only later calls are returned. `path` is a path prefix. */
  r.get('/_emulator/calls', (req, res) => {
    const q = callsQuery.safeParse(req.query);
    if (!q.success) return badRequest(res, q.error);
    const { path, since } = q.data;
    res.json({
      calls: kit.calls.filter((c) => (!path || c.path.startsWith(path)) && (since === undefined || c.seq > since)),
    });
  });

  r.get('/_emulator/state', (_req, res) => {
    res.json({ ...state.snapshot(), faults: kit.faults, limits: limitsView(kit) });
  });

  r.post('/_emulator/reset', (_req, res) => {
    state.reset();
    kit.reset();
    res.json({ ok: true });
  });

  r.post('/_emulator/faults', (req, res) => {
    const f = faultSchema.safeParse(req.body ?? {});
    if (!f.success) return badRequest(res, f.error);
    kit.faults.push(f.data);
    res.json({ faults: kit.faults });
  });

  r.delete('/_emulator/faults', (_req, res) => {
    kit.faults = [];
    res.json({ faults: [] });
  });

  r.post('/_emulator/time', (req, res) => {
    const t = timeSchema.safeParse(req.body ?? {});
    if (!t.success) return badRequest(res, t.error);
    if (t.data.scale !== undefined) state.clock.setScale(t.data.scale);
    if (t.data.advanceSeconds !== undefined) state.clock.advance(t.data.advanceSeconds);
    res.json({ now: state.clock.now(), scale: state.clock.scale });
  });

  r.get('/_emulator/limits', (_req, res) => {
    res.json({ limits: limitsView(kit) });
  });

  r.post('/_emulator/limits', (req, res) => {
    const l = limitSchema.safeParse(req.body ?? {});
    if (!l.success) return badRequest(res, l.error);
    const { route, ...override } = l.data;
    if (!kit.routeTable.has(route)) {
      return badRequest(res, `unknown route "${route}": GET /_emulator/limits lists the declared routes`);
    }
    kit.limitOverrides.set(route, { ...kit.limitOverrides.get(route), ...override });
    res.json({ limits: limitsView(kit) });
  });

  r.delete('/_emulator/limits', (_req, res) => {
    kit.limitOverrides.clear();
    res.json({ limits: limitsView(kit) });
  });

  /** A user switches their Feishu client's language: the cards they read show that language's texts. */
  r.post('/_emulator/client-language', (req, res) => {
    const input = clientLanguageSchema.safeParse(req.body ?? {});
    if (!input.success) return badRequest(res, input.error);
    const user = state.userByOpenId(input.data.user) ?? state.userByEmail(input.data.user);
    if (!user) return badRequest(res, `no user ${input.data.user}: GET /_emulator/state lists the directory`);
    state.setClientLanguage(user.open_id, input.data.language);
    res.json({ user: user.open_id, language: state.clientLanguage(user.open_id) });
  });

  /** Issues a c-… card token for a message, as a card callback would (for manual runs; tests may use state). */
  r.post('/_emulator/card-token', (req, res) => {
    const id = z
      .object({ message_id: z.string().startsWith('om_', 'must be a message id such as om_1a2b3c') })
      .safeParse(req.body ?? {});
    if (!id.success) return badRequest(res, id.error);
    if (!state.messages.has(id.data.message_id)) {
      return badRequest(
        res,
        `no message ${id.data.message_id}: GET /_emulator/state lists the messages the bot has sent`,
      );
    }
    res.json({ token: state.issueCardToken(id.data.message_id) });
  });

  return r;
}

function limitsView(kit: Kit): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [route, limits] of kit.routeTable) {
    out[route] = {
      perSecond: limits?.perSecond,
      perMinute: limits?.perMinute,
      perKeyPerSecond: limits?.perKey?.perSecond,
      perKeyPerMinute: limits?.perKey?.perMinute,
      ...kit.limitOverrides.get(route),
    };
  }
  return out;
}
