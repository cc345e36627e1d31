import { Elements, envelope, escapeMd, type Card } from './kit.js';

/** The welcome card a new hire gets; title and body come from the workflow's templates, already filled in. */
export function hireWelcomeCard(o: { title: string; body: string }): Card {
  const els = new Elements();
  els.markdown(escapeMd(o.body));
  return envelope({ zh: o.title, en: o.title }, 'green', els);
}
