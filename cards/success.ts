import {
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  inline,
  listBlock,
  twoLines,
  type Bilingual,
  type Card,
  type CardButton,
} from './kit.js';

export interface SuccessCardInput {
  title: Bilingual;
  summary?: Bilingual;
  fields?: { label: Bilingual; value: string }[];
  list?: { label: Bilingual; items: string[] };
  actions?: CardButton[];
  note?: Bilingual;
  /** 'partial': some of what was asked for did not happen (amber header); the list says what and why. */
  tone?: 'done' | 'partial' | 'info';
}

/** Longest list a reader scans; beyond it "and N more" reads better than a wall of lines. */
const MAX_LIST_LINES = 100;

export function successCard(o: SuccessCardInput): Card {
  const lines = (o.list?.items ?? []).map((item) => `- ${escapeMd(item)}`);
  return fitting(
    lines.length,
    (shown) => {
      const els = new Elements();
      if (o.summary) els.markdown(twoLines(o.summary));
      if (o.fields?.length) {
        els.markdown(o.fields.map((f) => `**${escapeMd(inline(f.label))}**：${escapeMd(f.value)}`).join('\n'));
      }
      if (o.list) els.markdown(listBlock(o.list.label, lines, shown));
      for (const action of o.actions ?? []) els.button(action);
      if (o.note) els.markdown(grey(escapeMd(inline(o.note))));
      return envelope(o.title, o.tone === 'partial' ? 'orange' : o.tone === 'info' ? 'blue' : 'green', els);
    },
    MAX_LIST_LINES,
  );
}
