import { Elements, envelope, escapeMd, grey, twoLines, type Bilingual, type Card } from './kit.js';

/** Sent to a person whose mailbox a step must act in: it waits until they sign in. */
export function signInNeededCard(o: { why: Bilingual }): Card {
  const els = new Elements();
  els.markdown(twoLines(o.why));
  els.markdown(
    `${escapeMd('发送 /login 授权机器人以你的身份写草稿；授权后流程会自动继续。')}\n${grey(escapeMd('Send /login to let the bot write drafts as you; the workflow continues by itself once you have signed in.'))}`,
  );
  return envelope({ zh: '需要你登录', en: 'Please sign in' }, 'wathet', els);
}
