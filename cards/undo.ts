import {
  andMore,
  compose,
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  greyMd,
  md,
  t,
  type Card,
  type CardButton,
  type Text,
} from './kit.js';

export interface UndoResultInput {
  /** What the change did, e.g. Created the chat "项目群". */
  title: Text;
  /** What was taken back. */
  undone: Text[];
  /** What is left, each with why. */
  left: { label: Text; problem: Text }[];
  /** Offered while something is left and the window is open. */
  retry?: CardButton;
}

/** Lines of markdown, the first `shown`, then "and N more" when some were left out. */
const shownLines = (lines: readonly Text[], shown: number): Text => {
  const rest = lines.length - shown;
  return compose((say) =>
    [...lines.slice(0, shown).map(say), ...(rest > 0 ? [grey(say(andMore(rest)))] : [])].join('\n'),
  );
};

/**
 * What an Undo did, replacing the button that asked for it: green when everything is taken back, amber with what is
 * left and why (and Retry) otherwise. Never claims more than the record says happened.
 */
export function undoResultCard(o: UndoResultInput): Card {
  const lines = [
    ...o.undone.map((u) => compose((say) => `✅ ${say(md(u))}`)),
    ...o.left.map((l) => compose((say) => `⚠️ ${say(md(l.label))}\n${say(greyMd(l.problem))}`)),
  ];
  const partial = o.left.length > 0;
  return fitting(lines.length, (shown) => {
    const els = new Elements();
    els.markdown(md(o.title));
    els.markdown(shownLines(lines, shown));
    if (partial) els.markdown(md(t('undo.result.leftNote')));
    if (o.retry) els.button(o.retry);
    return envelope(partial ? t('undo.result.partly') : t('undo.undone'), partial ? 'orange' : 'green', els);
  });
}

export interface UndoOfferInput {
  heading: Text;
  title: Text;
  /** When it was done, as the reader's clock shows it, and by whom. */
  when: string;
  /** What Undo would take back. */
  effects: Text[];
  undo?: CardButton;
  /** Why there is nothing to click (the window passed, it was undone already). */
  note?: Text;
}

/** /undo's confirm card, and a change the window closed on: what it did and what Undo would take back. */
export function undoOfferCard(o: UndoOfferInput): Card {
  const effects = o.effects.map((e) => compose((say) => `- ${say(md(e))}`));
  return fitting(effects.length, (shown) => {
    const els = new Elements();
    els.markdown(compose((say) => `${say(md(o.title))}\n${grey(escapeMd(o.when))}`));
    els.markdown(compose((say) => `**${say(md(t('undo.offer.willUndo')))}**\n${say(shownLines(effects, shown))}`));
    if (o.undo) els.button(o.undo);
    if (o.note) els.markdown(greyMd(o.note));
    return envelope(o.heading, o.undo ? 'blue' : 'wathet', els);
  });
}
