import {
  andMore,
  clip,
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

export interface BulkPlanRow {
  n: number;
  label: string;
}

export interface BulkPlanInput {
  /** What the rows make, e.g. "contacts". */
  noun: Text;
  create: BulkPlanRow[];
  exists: (BulkPlanRow & { existing: string })[];
  invalid: (BulkPlanRow & { problems: { column: string; reason: Text }[] })[];
  /** How long the rows take at the documented limit, e.g. "about 9.6 min at 20/min (mail.contact.create)". */
  time: Text;
  /** Apply (confirmed) and Cancel; none once the plan is applied or cancelled. */
  actions: CardButton[];
  note?: Text;
}

/** "Row 3: 张三", then whatever follows it (markdown). */
export const rowLine = (r: BulkPlanRow, rest: Text | string = ''): Text =>
  compose((say) => `${say(t('bulk.row', { n: r.n, label: escapeMd(clip(r.label, 80)) }))}${say(rest)}`);

/** A bold heading with the total, then the lines shown. */
const section = (heading: Text, total: number, lines: Text[]): Text =>
  compose((say) => [`**${say(heading)}**（${total}）`, ...lines.map(say)].join('\n'));

/** A reason cut to what a line shows before it goes into a message (a reason may be as long as a user's input). */
const short = (w: Text, max: number): Text => compose((say) => clip(say(w), max));

/** What /bulk would do, before anything changes: counts, every invalid row with its column and reason, the time. */
export function bulkPlanCard(o: BulkPlanInput): Card {
  const total = o.invalid.length + o.exists.length + o.create.length;
  // Invalid rows first: they are what a person has to fix; then the existing ones, then what will be made.
  const invalidLines = o.invalid.map((r) =>
    rowLine(
      r,
      compose((say) =>
        r.problems
          .map((p) => t('bulk.plan.problem', { column: clip(p.column, 40), reason: short(p.reason, 500) }))
          .map((problem) => `\n${say(greyMd(problem))}`)
          .join(''),
      ),
    ),
  );
  const existsLines = o.exists.map((r) => rowLine(r, ` → ${grey(escapeMd(clip(r.existing, 120)))}`));
  const createLines = o.create.map((r) => rowLine(r));
  const counts = compose((say) =>
    [
      t('bulk.plan.willCreate', { n: o.create.length }),
      t('bulk.plan.skipped', { n: o.exists.length }),
      t('bulk.plan.invalid', { n: o.invalid.length }),
      t('bulk.plan.time', { time: md(o.time) }),
    ]
      .map(say)
      .join('\n'),
  );
  const title = t('bulk.plan.title', { noun: short(o.noun, 100) });
  return fitting(total, (shown) => {
    const els = new Elements();
    els.markdown(counts);
    let left = shown;
    const take = (heading: Text, lines: Text[]) => {
      const part = lines.slice(0, Math.max(0, left));
      left -= part.length;
      if (part.length) els.markdown(section(heading, lines.length, part));
    };
    take(t('bulk.plan.invalidRows'), invalidLines);
    take(t('bulk.plan.existingRows'), existsLines);
    take(t('bulk.plan.createRows'), createLines);
    if (shown < total) els.markdown(greyMd(andMore(total - shown)));
    if (o.note) els.markdown(md(o.note));
    for (const a of o.actions) els.button(a);
    return envelope(title, o.invalid.length ? 'orange' : 'blue', els);
  });
}
