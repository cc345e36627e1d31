import { fieldLines, Elements, envelope, greyMd, t, type Card, type Text } from './kit.js';

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
  const fields: [Text, string | undefined][] = [
    [t('login.account'), o.name],
    [t('login.mailbox'), o.mailbox],
    [t('login.validUntil'), o.until],
  ];
  els.markdown(fieldLines(fields));
  els.markdown(greyMd(t('login.logoutHint')));
  return envelope(t(o.justSignedIn ? 'login.signedIn' : 'login.alreadySignedIn'), 'green', els);
}
