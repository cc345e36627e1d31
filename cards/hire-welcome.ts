import { Elements, envelope, same, type Card } from './kit.js';

/**
 * The welcome card a new hire gets; title and body come from the workflow's templates, already filled in, and stay
 * as the admin wrote them in every language. The title is plain text; the body is card Markdown, the template's own,
 * with the filled-in values escaped (`escapeMd`).
 */
export function hireWelcomeCard(o: { title: string; body: string }): Card {
  const els = new Elements();
  els.markdown(o.body);
  return envelope(same(o.title), 'green', els);
}
