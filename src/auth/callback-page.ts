/**
 * The small page the browser shows after `GET /oauth/callback`: bilingual (zh first), no script, nothing secret.
 * It looks like the sandbox console and the bot's cards (their palette and type, a header coloured by outcome), with
 * its style inline: production serves no console assets.
 */
import type { CallbackOutcome } from './oauth.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body{margin:0;background:#f5f6f7;color:#1f2329;font:14px/1.6 'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif}
main{max-width:480px;margin:64px auto;background:#fff;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.08);overflow:hidden}
h1{margin:0;padding:12px 20px;font-size:16px;color:#fff}
.ok h1{background:#2ea121}.failed h1{background:#f54a45}
p{margin:16px 20px}p[lang=en]{color:#8f959e;margin-top:-12px}`;

export function callbackPage(outcome: CallbackOutcome): { status: number; html: string } {
  const [status, zh, en] = outcome.ok
    ? [200, `已登录为 ${outcome.user.name}，请回到飞书。`, `Signed in as ${outcome.user.name}. Go back to Feishu.`]
    : [outcome.httpStatus, outcome.zh, outcome.en];
  const title = outcome.ok ? '登录成功 · Signed in' : '登录未完成 · Sign-in not completed';
  const html = [
    '<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${title}</title><style>${STYLE}</style></head>`,
    `<body><main class="${outcome.ok ? 'ok' : 'failed'}"><h1>${title}</h1>`,
    `<p>${escapeHtml(zh)}</p><p lang="en">${escapeHtml(en)}</p></main></body></html>`,
  ].join('');
  return { status, html };
}
