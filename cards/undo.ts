import {
  andMoreInline,
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  inline,
  twoLines,
  type Bilingual,
  type Card,
  type CardButton,
} from './kit.js';

export interface UndoResultInput {
  /** What the change did, e.g. 创建群聊“项目群” · Created the chat "项目群". */
  title: Bilingual;
  /** What was taken back. */
  undone: Bilingual[];
  /** What is left, each with why. */
  left: { label: Bilingual; problem: Bilingual }[];
  /** Offered while something is left and the window is open. */
  retry?: CardButton;
}

/**
 * What an Undo did, replacing the button that asked for it: green when everything is taken back, amber with what is
 * left and why (and Retry) otherwise. Never claims more than the record says happened.
 */
export function undoResultCard(o: UndoResultInput): Card {
  const lines = [
    ...o.undone.map((u) => `✅ ${escapeMd(inline(u))}`),
    ...o.left.map((l) => `⚠️ ${escapeMd(inline(l.label))}\n${grey(escapeMd(inline(l.problem)))}`),
  ];
  const partial = o.left.length > 0;
  return fitting(lines.length, (shown) => {
    const els = new Elements();
    els.markdown(twoLines(o.title));
    const rest = lines.length - shown;
    els.markdown([...lines.slice(0, shown), ...(rest > 0 ? [grey(andMoreInline(rest))] : [])].join('\n'));
    if (partial)
      els.markdown(
        twoLines({
          zh: '未撤销的部分仍然存在：按原因处理后点“重试撤销”，或在飞书中手动删除。',
          en: 'What is left still exists: deal with the reason and click Retry undo, or remove it in Feishu by hand.',
        }),
      );
    if (o.retry) els.button(o.retry);
    return envelope(
      partial ? { zh: '部分已撤销', en: 'Partly undone' } : { zh: '已撤销', en: 'Undone' },
      partial ? 'orange' : 'green',
      els,
    );
  });
}

export interface UndoOfferInput {
  heading: Bilingual;
  title: Bilingual;
  /** When it was done, as the reader's clock shows it. */
  when: string;
  /** What Undo would take back. */
  effects: Bilingual[];
  undo?: CardButton;
  /** Why there is nothing to click (the window passed, it was undone already). */
  note?: Bilingual;
}

/** /undo's confirm card, and a change the window closed on: what it did and what Undo would take back. */
export function undoOfferCard(o: UndoOfferInput): Card {
  const effects = o.effects.map((e) => `- ${escapeMd(inline(e))}`);
  return fitting(effects.length, (shown) => {
    const els = new Elements();
    els.markdown(`${twoLines(o.title)}\n${grey(escapeMd(o.when))}`);
    const rest = effects.length - shown;
    els.markdown(
      [`**撤销将会 · Undo will**`, ...effects.slice(0, shown), ...(rest > 0 ? [grey(andMoreInline(rest))] : [])].join(
        '\n',
      ),
    );
    if (o.undo) els.button(o.undo);
    if (o.note) els.markdown(grey(escapeMd(inline(o.note))));
    return envelope(o.heading, o.undo ? 'blue' : 'wathet', els);
  });
}
