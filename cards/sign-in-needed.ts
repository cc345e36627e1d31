import { Elements, envelope, md, t, type Card, type Text } from './kit.js';

/** Sent to a person whose mailbox a step must act in: it waits until they sign in. */
export function signInNeededCard(o: { why: Text }): Card {
  const els = new Elements();
  els.markdown(md(o.why));
  els.markdown(md(t('login.workflowWaits')));
  return envelope(t('login.pleaseSignIn'), 'wathet', els);
}
