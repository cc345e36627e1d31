import {
  andMoreInline,
  clip,
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

export interface BulkPlanRow {
  n: number;
  label: string;
}

export interface BulkPlanInput {
  /** "联系人 · contacts". */
  noun: Bilingual;
  create: BulkPlanRow[];
  exists: (BulkPlanRow & { existing: string })[];
  invalid: (BulkPlanRow & { problems: { column: string; reason: Bilingual }[] })[];
  /** How long the rows take at the documented limit, e.g. "约 9.6 分钟 · about 9.6 min at 20/min (mail.contact.create)". */
  time: Bilingual;
  /** 执行 Apply (confirmed) and 取消 Cancel; none once the plan is applied or cancelled. */
  actions: CardButton[];
  note?: Bilingual;
}

const line = (r: BulkPlanRow, rest = ''): string => `第 ${r.n} 行 · row ${r.n}：${escapeMd(clip(r.label, 80))}${rest}`;

/** What /bulk would do, before anything changes: counts, every invalid row with its column and reason, the time. */
export function bulkPlanCard(o: BulkPlanInput): Card {
  const total = o.invalid.length + o.exists.length + o.create.length;
  return fitting(total, (shown) => {
    const els = new Elements();
    els.markdown(
      [
        `**将创建 · Will create**：${o.create.length}`,
        `**已存在（跳过）· Already exist (skipped)**：${o.exists.length}`,
        `**无效 · Invalid**：${o.invalid.length}`,
        `**预计用时 · Time**：${escapeMd(inline(o.time))}`,
      ].join('\n'),
    );
    // Invalid rows first: they are what a person has to fix; then the existing ones, then what will be made.
    let left = shown;
    const take = <T>(list: T[]): T[] => {
      const part = list.slice(0, Math.max(0, left));
      left -= part.length;
      return part;
    };
    const invalid = take(o.invalid);
    if (invalid.length)
      els.markdown(
        [
          `**无效的行 · Invalid rows**（${o.invalid.length}）`,
          ...invalid.map((r) =>
            line(
              r,
              r.problems
                .map((p) => `\n${grey(`${escapeMd(clip(p.column, 40))} · ${escapeMd(inline(p.reason))}`)}`)
                .join(''),
            ),
          ),
        ].join('\n'),
      );
    const exists = take(o.exists);
    if (exists.length)
      els.markdown(
        [
          `**已存在 · Already exist**（${o.exists.length}）`,
          ...exists.map((r) => line(r, ` → ${grey(escapeMd(clip(r.existing, 120)))}`)),
        ].join('\n'),
      );
    const create = take(o.create);
    if (create.length)
      els.markdown([`**将创建 · Will create**（${o.create.length}）`, ...create.map((r) => line(r))].join('\n'));
    if (shown < total) els.markdown(grey(andMoreInline(total - shown)));
    if (o.note) els.markdown(twoLines(o.note));
    for (const a of o.actions) els.button(a);
    const colour = o.invalid.length ? 'orange' : 'blue';
    return envelope({ zh: `批量导入计划：${o.noun.zh}`, en: `Bulk plan: ${o.noun.en}` }, colour, els);
  });
}
