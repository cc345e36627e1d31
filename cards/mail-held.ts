import { Elements, envelope, grey, type Card, type CardButton } from './kit.js';
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
  els.markdown(mailLines(o, [[{ zh: '发送时间', en: 'Sends at' }, o.sendsAt]]));
  els.button(o.undo);
  els.markdown(grey('在此之前点“撤销”，邮件就不会发出 · Click Undo before then and the mail does not go out'));
  return envelope({ zh: `将在 ${o.seconds} 秒后发送`, en: `Sending in ${o.seconds} s` }, 'wathet', els);
}
