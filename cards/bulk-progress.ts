import {
  andMoreInline,
  clip,
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  inline,
  type Bilingual,
  type Card,
  type CardButton,
  type HeaderColour,
} from './kit.js';

export type BulkRowState = 'done' | 'failed' | 'left' | 'exists' | 'invalid';

export interface BulkProgressInput {
  noun: Bilingual;
  rows: { n: number; label: string; state: BulkRowState; detail?: string; reason?: Bilingual }[];
  /** Whether the run is over (nothing left): the card then shows every row as the result table. */
  finished: boolean;
  /** Retry failed rows, Undo: built by the handler's action refs. */
  actions: CardButton[];
}

const ICON: Record<BulkRowState, string> = { done: '✓', failed: '✗', left: '⚪', exists: '⏭️', invalid: '⛔' };

/** The batch's one card, updated in place: done / failed / left while it runs, then the result table. */
export function bulkProgressCard(o: BulkProgressInput): Card {
  const count = (s: BulkRowState) => o.rows.filter((r) => r.state === s).length;
  const [done, failed, left] = [count('done'), count('failed'), count('left')];
  // While running only the failures are listed (a person acts on those); at the end, every row.
  const listed = o.finished ? o.rows : o.rows.filter((r) => r.state === 'failed');
  const colour: HeaderColour = !o.finished ? 'wathet' : failed ? 'red' : 'green';
  return fitting(listed.length, (shown) => {
    const els = new Elements();
    els.markdown(
      [
        `**完成 · Done**：${done} · **失败 · Failed**：${failed} · **剩余 · Left**：${left}`,
        grey(`已存在（跳过）· already there (skipped)：${count('exists')} · 无效 · invalid：${count('invalid')}`),
      ].join('\n'),
    );
    if (listed.length)
      els.markdown(
        [
          o.finished ? '**结果 · Result**' : '**失败的行 · Failed rows**',
          ...listed.slice(0, shown).map((r) => {
            const why = r.reason ? ` · ${escapeMd(inline(r.reason))}` : '';
            const detail = r.detail ? ` → ${escapeMd(clip(r.detail, 120))}` : '';
            return `${ICON[r.state]} 第 ${r.n} 行 · row ${r.n}：${escapeMd(clip(r.label, 80))}${grey(`${detail}${why}`)}`;
          }),
          ...(shown < listed.length ? [grey(andMoreInline(listed.length - shown))] : []),
        ].join('\n'),
      );
    for (const a of o.actions) els.button(a);
    const title = o.finished
      ? { zh: `批量导入完成：${o.noun.zh}`, en: `Bulk import finished: ${o.noun.en}` }
      : { zh: `正在批量导入：${o.noun.zh}`, en: `Bulk import running: ${o.noun.en}` };
    return envelope(title, colour, els);
  });
}
