import {
  fieldLines,
  compose,
  Elements,
  envelope,
  escapeMd,
  fitting,
  greyMd,
  listBlock,
  md,
  type Card,
  type CardButton,
  type Text,
} from './kit.js';

export interface SuccessCardInput {
  title: Text;
  summary?: Text;
  /** A label in each language and a value: shown as it is (a name, an id), or a Text of ours in each language. */
  fields?: { label: Text; value: string | Text }[];
  /** Items as they are (names, addresses), or Texts (a name with why it was left out). */
  list?: { label: Text; items: (string | Text)[] };
  actions?: CardButton[];
  note?: Text;
  /** 'partial': some of what was asked for did not happen (amber header); the list says what and why. */
  tone?: 'done' | 'partial' | 'info';
}

/** Longest list a reader scans; beyond it "and N more" reads better than a wall of lines. */
const MAX_LIST_LINES = 100;

export function successCard(o: SuccessCardInput): Card {
  const lines = (o.list?.items ?? []).map((item) => compose((say) => `- ${escapeMd(say(item))}`));
  return fitting(
    lines.length,
    (shown) => {
      const els = new Elements();
      if (o.summary) els.markdown(md(o.summary));
      if (o.fields?.length) els.markdown(fieldLines(o.fields.map((f) => [f.label, f.value])));
      if (o.list) els.markdown(listBlock(o.list.label, lines, shown));
      for (const action of o.actions ?? []) els.button(action);
      if (o.note) els.markdown(greyMd(o.note));
      return envelope(o.title, o.tone === 'partial' ? 'orange' : o.tone === 'info' ? 'blue' : 'green', els);
    },
    MAX_LIST_LINES,
  );
}
