/**
 * Tenant access tokens are self-verifying (HMAC of app id + expiry under the app secret) rather than
 * stored: the SDK caches tenant tokens in a process-global cache keyed by appId, so a test that starts a
 * fresh emulator with the same credentials presents a token the new instance never issued. Any token the
 * app could have obtained from an emulator with the same secret is accepted until it expires.
 */
import { createHmac } from 'node:crypto';

export const TENANT_TOKEN_TTL_S = 7200;
/** Feishu "自建应用获取 tenant_access_token": with ≥ 30 min left the same token is returned again. */
export const TENANT_TOKEN_REUSE_MIN_S = 30 * 60;

function mac(appId: string, appSecret: string, expiresAtS: number): string {
  return createHmac('sha256', appSecret).update(`${appId}.${expiresAtS}`).digest('hex').slice(0, 32);
}

export function makeTenantToken(appId: string, appSecret: string, expiresAtS: number): string {
  return `t-${expiresAtS.toString(16).padStart(10, '0')}${mac(appId, appSecret, expiresAtS)}`;
}

export type TenantTokenCheck =
  { ok: true; expiresAtS: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export function checkTenantToken(token: string, appId: string, appSecret: string, nowMs: number): TenantTokenCheck {
  const m = /^t-([0-9a-f]{10})([0-9a-f]{32})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const expiresAtS = parseInt(m[1] as string, 16);
  if (mac(appId, appSecret, expiresAtS) !== m[2]) return { ok: false, reason: 'forged' };
  if (expiresAtS * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, expiresAtS };
}
