import { Elements, envelope, escapeMd, grey, inline, type Bilingual, type Card } from './kit.js';

export interface SignedInCardInput {
  name: string;
  mailbox?: string;
  /** When the sign-in ends, already formatted (UTC). */
  until: string;
  /** Set when this card confirms a sign-in that just happened. */
  justSignedIn?: boolean;
}

/** Who the bot acts as for this user, and until when. */
export function signedInCard(o: SignedInCardInput): Card {
  const els = new Elements();
  const fields: [Bilingual, string][] = [
    [{ zh: '账号', en: 'Account' }, o.name],
    ...(o.mailbox ? [[{ zh: '邮箱', en: 'Mailbox' }, o.mailbox] satisfies [Bilingual, string]] : []),
    [{ zh: '有效期至', en: 'Valid until' }, o.until],
  ];
  els.markdown(fields.map(([label, value]) => `**${escapeMd(inline(label))}**：${escapeMd(value)}`).join('\n'));
  els.markdown(grey('发送 /logout 可随时退出 · Send /logout to sign out at any time'));
  const title = o.justSignedIn ? { zh: '登录成功', en: 'Signed in' } : { zh: '已登录', en: 'Already signed in' };
  return envelope(title, 'green', els);
}
