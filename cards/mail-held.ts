import { Elements, envelope, greyMd, t, type Card, type CardButton } from './kit.js';
import { mailLines } from './mail-sent.js';

export interface MailHeldInput {
  from: string;
  recipients: string[];
  subject: string;
  seconds: number;
  /** When it goes out, as the reader's clock shows it. */
  sendsAt: string;
  undo: CardButton;
}

/** A mail held for its undo window: what will go out, when, and Undo; replaced by the sent card when it goes. */
export function mailHeldCard(o: MailHeldInput): Card {
  const els = new Elements();
  els.markdown(mailLines(o, [[t('mail.field.sendsAt'), o.sendsAt]]));
  els.button(o.undo);
  els.markdown(greyMd(t('mail.heldNote')));
  return envelope(t('mail.heldTitle', { seconds: o.seconds }), 'wathet', els);
}
