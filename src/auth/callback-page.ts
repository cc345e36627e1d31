/** The small page the browser shows after `GET /oauth/callback`: bilingual (zh first), no script, nothing secret. */
import type { CallbackOutcome } from './oauth.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function callbackPage(outcome: CallbackOutcome): { status: number; html: string } {
  const [status, zh, en] = outcome.ok
    ? [200, `已登录为 ${outcome.user.name}，请回到飞书。`, `Signed in as ${outcome.user.name}. Go back to Feishu.`]
    : [outcome.httpStatus, outcome.zh, outcome.en];
  const html = [
    '<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${outcome.ok ? '登录成功 Signed in' : '登录未完成 Sign-in not completed'}</title></head>`,
    `<body><p>${escapeHtml(zh)}</p><p lang="en">${escapeHtml(en)}</p></body></html>`,
  ].join('');
  return { status, html };
}
