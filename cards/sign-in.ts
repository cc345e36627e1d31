import { compose, Elements, envelope, escapeMd, greyMd, md, t, type Card, type Text } from './kit.js';

export interface SignInCardInput {
  /** The authorize page, with this sign-in's single-use state. */
  url: string;
  validMinutes: number;
  /** The first line of the command that will run by itself once the user has signed in. */
  resume?: string;
  /** Why sign-in is needed now (the session expired, a refresh was refused). */
  reason?: Text;
}

/** Asks the user to let the bot act on their mailbox; the button opens Feishu's consent page. */
export function signInCard(o: SignInCardInput): Card {
  const els = new Elements();
  if (o.reason) els.markdown(md(o.reason));
  els.markdown(md(t('login.why')));
  const resume = o.resume;
  if (resume) els.markdown(compose((say) => `**${say(md(t('login.resumes')))}**\n${escapeMd(resume)}`));
  els.link(t('login.button'), o.url);
  els.markdown(greyMd(t('login.linkValid', { minutes: o.validMinutes })));
  return envelope(t('login.needed'), 'blue', els);
}
