import { Elements, envelope, escapeMd, grey, twoLines, type Card } from './kit.js';

export interface SignInCardInput {
  /** The authorize page, with this sign-in's single-use state. */
  url: string;
  validMinutes: number;
  /** The first line of the command that will run by itself once the user has signed in. */
  resume?: string;
  /** Why sign-in is needed now (the session expired, a refresh was refused). */
  reason?: { zh: string; en: string };
}

/** Asks the user to let the bot act on their mailbox; the button opens Feishu's consent page. */
export function signInCard(o: SignInCardInput): Card {
  const els = new Elements();
  if (o.reason) els.markdown(twoLines(o.reason));
  els.markdown(
    twoLines({
      zh: '请登录并授权，机器人才能以你的身份保存草稿和发送邮件。只有你本人能完成这次授权。',
      en: 'Sign in and consent so the bot can save drafts and send mail as you. Only you can complete this sign-in.',
    }),
  );
  if (o.resume) els.markdown(`**登录后将继续执行 · Runs after you sign in**\n${escapeMd(o.resume)}`);
  els.link({ zh: '登录飞书', en: 'Sign in with Feishu' }, o.url);
  els.markdown(
    grey(`链接 ${o.validMinutes} 分钟内有效，只能使用一次 · The link works once, within ${o.validMinutes} minutes`),
  );
  return envelope({ zh: '需要登录', en: 'Sign-in needed' }, 'blue', els);
}
