/**
 * The small page the browser shows after `GET /oauth/callback`: no script, nothing secret. A page is not a card and
 * carries one language only: the reader's, from the browser's Accept-Language (else the default language).
 * It looks like the sandbox console and the bot's cards (their palette and type, a header coloured by outcome), with
 * its style inline: production serves no console assets.
 */
import { pick, pickLocale, t, type Locale } from '../i18n.js';
import type { CallbackOutcome } from './oauth.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Han characters take the Japanese forms on a Japanese page: the CJK font stack follows `<html lang>`.
const STYLE = `
body{margin:0;background:#f5f6f7;color:#1f2329;font:14px/1.6 'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif}
:lang(ja) body{font-family:'Noto Sans CJK JP','Hiragino Sans','Yu Gothic',system-ui,sans-serif}
main{max-width:480px;margin:64px auto;background:#fff;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.08);overflow:hidden}
h1{margin:0;padding:12px 20px;font-size:16px;color:#fff}
.ok h1{background:#2ea121}.failed h1{background:#f54a45}
p{margin:16px 20px}`;

/** A catalog locale as a BCP 47 tag for `lang`: zh_cn → zh-CN. */
const langTag = (locale: Locale) => locale.replace(/_(\w+)$/, (_, region: string) => `-${region.toUpperCase()}`);

/** `acceptLanguage`: the request's Accept-Language header, if it sent one. */
export function callbackPage(outcome: CallbackOutcome, acceptLanguage?: string): { status: number; html: string } {
  const locale = pickLocale(acceptLanguage);
  const status = outcome.ok ? 200 : outcome.httpStatus;
  const title = pick(t(outcome.ok ? 'login.signedIn' : 'login.notCompleted'), locale);
  const text = pick(outcome.ok ? t('login.signedInAs', { name: outcome.user.name }) : outcome.problem, locale);
  const html = [
    `<!doctype html><html lang="${langTag(locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">`,
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>`,
    `<body><main class="${outcome.ok ? 'ok' : 'failed'}"><h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(text)}</p></main></body></html>`,
  ].join('');
  return { status, html };
}
