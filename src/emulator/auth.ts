/**
 * Tokens and identity: the tenant token (Feishu "自建应用获取 tenant_access_token"), the OAuth 2.0 authorize page
 * and token endpoint ("获取授权码", "获取 user_access_token"), user_info and bot info.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { topLevel, type Kit } from './kit.js';
import { TENANT_TOKEN_REUSE_MIN_S, TENANT_TOKEN_TTL_S, makeTenantToken } from './tokens.js';
import { REFRESH_TOKEN_TTL_S, USER_TOKEN_TTL_S, type AuthCode } from './state.js';

const AUTH_CODE_TTL_MS = 5 * 60_000;
/** After a refresh the old access token keeps working for 1 minute (Feishu "刷新 user_access_token"). */
const REFRESH_GRACE_MS = 60_000;
/** Token endpoint: 1000/min, 50/s ("获取 user_access_token"). */
const OAUTH_LIMITS = { perSecond: 50, perMinute: 1000 };

const tenantTokenBody = z.object({ app_id: z.string().min(1), app_secret: z.string().min(1) });

const authorizeQuery = z.object({
  client_id: z.string().min(1, 'client_id is required'),
  redirect_uri: z.url('redirect_uri must be an absolute URL'),
  state: z.string().optional(),
  scope: z.string().optional(),
  response_type: z.literal('code').optional(),
  code_challenge: z.string().optional(),
  code_challenge_method: z.enum(['S256', 'plain']).optional(),
  /** Emulator extension: who consents (open_id or email); the first seeded user by default. */
  emulator_user: z.string().optional(),
  /** Emulator extension: "1" makes the user deny consent. */
  emulator_deny: z.string().optional(),
});

const tokenBody = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  code: z.string().optional(),
  redirect_uri: z.string().optional(),
  code_verifier: z.string().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
});

/** OAuth token errors use the RFC 6749 body shape {code, error, error_description}. */
const OAUTH_ERROR_NAMES: Record<number, string> = {
  20001: 'invalid_request',
  20002: 'invalid_client',
  20003: 'invalid_grant',
  20004: 'invalid_grant',
  20008: 'invalid_grant',
  20010: 'invalid_grant',
  20024: 'invalid_grant',
  20026: 'invalid_grant',
  20036: 'unsupported_grant_type',
  20037: 'invalid_grant',
  20049: 'invalid_grant',
  20063: 'invalid_request',
  20065: 'invalid_grant',
  20067: 'invalid_scope',
  20071: 'invalid_grant',
  20073: 'invalid_grant',
};

export function authRoutes(kit: Kit) {
  const r = kit.routes();
  const { state } = kit;
  let lastTenantToken: { token: string; expiresAtS: number } | undefined;
  state.registerSection('tenantToken', {
    reset: () => (lastTenantToken = undefined),
    snapshot: () => (lastTenantToken ? { expiresAt: lastTenantToken.expiresAtS * 1000 } : null),
  });

  const oauthError = (code: number, detail?: string) => {
    const base = kit.error(code);
    return kit.error(code, {
      body: {
        code,
        error: OAUTH_ERROR_NAMES[code] ?? 'server_error',
        error_description: detail ? `${base.message} ${detail}` : base.message,
      },
    });
  };

  r.add({
    method: 'post',
    path: '/open-apis/auth/v3/tenant_access_token/internal',
    token: 'none',
    body: tenantTokenBody,
    invalidCode: 10003,
    handler: ({ body }) => {
      if (body.app_id !== state.app.appId) throw kit.error(10003, { detail: `unknown app_id ${body.app_id}` });
      if (body.app_secret !== state.app.appSecret) throw kit.error(10014);
      const nowS = Math.floor(state.now() / 1000);
      // Same token while ≥ 30 min remain; a new one (both valid) after that.
      if (!lastTenantToken || lastTenantToken.expiresAtS - nowS < TENANT_TOKEN_REUSE_MIN_S) {
        const expiresAtS = nowS + TENANT_TOKEN_TTL_S;
        lastTenantToken = { token: makeTenantToken(state.app.appId, state.app.appSecret, expiresAtS), expiresAtS };
      }
      return topLevel({
        code: 0,
        msg: 'ok',
        tenant_access_token: lastTenantToken.token,
        expire: lastTenantToken.expiresAtS - nowS,
      });
    },
  });

  r.add({
    method: 'get',
    path: '/open-apis/authen/v1/authorize',
    token: 'none',
    handler: ({ req, res }) => {
      const q = authorizeQuery.safeParse(req.query);
      if (!q.success) {
        res
          .status(400)
          .type('text/plain')
          .send(
            `invalid authorize request: ${q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        return;
      }
      const { client_id, redirect_uri, emulator_user, emulator_deny } = q.data;
      if (client_id !== state.app.appId) {
        res.status(400).type('text/plain').send(`unknown client_id ${client_id}: use ${state.app.appId}`);
        return;
      }
      // Feishu consents as whoever is signed in to Feishu in this browser: the emulator reads that person from the
      // query, else from the browser's `emulator_user` cookie (the console sets it to the person picked in "I am").
      const who = emulator_user ?? browserUser(req.headers.cookie);
      const user = who ? (state.userByOpenId(who) ?? state.userByEmail(who)) : state.users[0];
      if (!user) {
        res.status(400).type('text/plain').send(`emulator_user ${who} is not a seeded user (open_id or email)`);
        return;
      }
      const target = new URL(redirect_uri);
      if (q.data.state !== undefined) target.searchParams.set('state', q.data.state);
      if (emulator_deny === '1') {
        target.searchParams.set('error', 'access_denied');
        res.redirect(302, target.toString());
        return;
      }
      const grant: AuthCode = {
        code: randomBytes(48).toString('base64url'),
        clientId: client_id,
        redirectUri: redirect_uri,
        openId: user.open_id,
        scope: q.data.scope ?? '',
        codeChallenge: q.data.code_challenge,
        codeChallengeMethod: q.data.code_challenge_method,
        expiresAt: state.now() + AUTH_CODE_TTL_MS,
        used: false,
      };
      state.authCodes.set(grant.code, grant);
      target.searchParams.set('code', grant.code);
      res.redirect(302, target.toString());
    },
  });

  r.add({
    method: 'post',
    path: '/open-apis/authen/v2/oauth/token',
    token: 'none',
    limits: OAUTH_LIMITS,
    body: tokenBody,
    handler: ({ body }) => {
      const { grant_type, client_id, client_secret } = body;
      if (!grant_type || !client_id || !client_secret)
        throw oauthError(20001, 'grant_type, client_id and client_secret are required.');
      if (client_id !== state.app.appId || client_secret !== state.app.appSecret) throw oauthError(20002);
      if (grant_type === 'authorization_code') return exchangeCode(body);
      if (grant_type === 'refresh_token') return refresh(body);
      throw oauthError(20036, 'Use authorization_code or refresh_token.');
    },
  });

  function exchangeCode(body: z.output<typeof tokenBody>) {
    if (!body.code) throw oauthError(20001, 'code is required.');
    const grant = state.authCodes.get(body.code);
    if (!grant) throw oauthError(20003);
    if (grant.used) throw oauthError(20065);
    if (grant.expiresAt <= state.now()) throw oauthError(20004);
    if (grant.clientId !== body.client_id) throw oauthError(20024);
    if (body.redirect_uri !== undefined && body.redirect_uri !== grant.redirectUri) throw oauthError(20071);
    if (grant.codeChallenge !== undefined && !pkceMatches(grant, body.code_verifier)) throw oauthError(20049);
    grant.used = true;
    return tokenResponse(grant.openId, narrowScope(grant.scope, body.scope));
  }

  function refresh(body: z.output<typeof tokenBody>) {
    if (!body.refresh_token) throw oauthError(20001, 'refresh_token is required.');
    const old = state.refreshTokens.get(body.refresh_token);
    if (!old) throw oauthError(20026);
    if (old.used) throw oauthError(20073);
    if (old.expiresAt <= state.now()) throw oauthError(20037);
    old.used = true;
    const oldAccess = state.userTokens.get(old.accessToken);
    if (oldAccess) oldAccess.expiresAt = Math.min(oldAccess.expiresAt, state.now() + REFRESH_GRACE_MS);
    return tokenResponse(old.openId, narrowScope(old.scope, body.scope));
  }

  function narrowScope(granted: string, asked: string | undefined): string {
    if (asked === undefined) return granted;
    const have = new Set(granted.split(' ').filter(Boolean));
    const extra = asked.split(' ').filter((s) => s && !have.has(s));
    if (extra.length)
      throw oauthError(20067, `scope may only narrow the granted set; not granted: ${extra.join(' ')}.`);
    return asked;
  }

  function tokenResponse(openId: string, scope: string) {
    const user = state.userByOpenId(openId);
    if (!user) throw oauthError(20008);
    if (!state.isReachable(user)) throw oauthError(20010);
    const { access, refresh } = state.issueUserTokens(openId, scope);
    return topLevel({
      code: 0,
      access_token: access.token,
      expires_in: USER_TOKEN_TTL_S,
      ...(refresh ? { refresh_token: refresh.token, refresh_token_expires_in: REFRESH_TOKEN_TTL_S } : {}),
      scope,
      token_type: 'Bearer',
    });
  }

  r.add({
    method: 'get',
    path: '/open-apis/authen/v1/user_info',
    token: 'user',
    handler: ({ caller }) => {
      if (caller.kind !== 'user') throw kit.error(99991668);
      const u = caller.user;
      return {
        name: u.name,
        en_name: u.en_name,
        avatar_url: avatarUrl(u.open_id),
        open_id: u.open_id,
        union_id: u.union_id,
        email: u.email,
        enterprise_email: u.enterprise_email,
        user_id: u.user_id,
        mobile: u.mobile,
        tenant_key: u.tenant_key,
        employee_no: u.employee_no,
      };
    },
  });

  r.add({
    method: 'get',
    path: '/open-apis/bot/v3/info',
    token: 'tenant',
    handler: () =>
      topLevel({
        code: 0,
        msg: 'ok',
        bot: {
          activate_status: 2,
          app_name: state.app.appName,
          avatar_url: avatarUrl(state.app.botOpenId),
          ip_white_list: [],
          open_id: state.app.botOpenId,
        },
      }),
  });

  return r.router;
}

function pkceMatches(grant: AuthCode, verifier: string | undefined): boolean {
  if (!verifier) return false;
  const expected =
    grant.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  return expected === grant.codeChallenge;
}

export function avatarUrl(id: string): string {
  return `https://s1-imfile.feishucdn.com/static-resource/v1/${id}~?image_size=72x72`;
}

/** The `emulator_user` cookie: cookies are per host, not per port, so the console's page can set it for the emulator. */
function browserUser(header: string | undefined): string | undefined {
  const found = header
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith('emulator_user='));
  return found ? decodeURIComponent(found.slice('emulator_user='.length)) : undefined;
}
