import {
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

export interface AuditRow {
  when: string;
  who: string;
  action: string;
  target: string;
  result: 'ok' | 'error' | 'refused';
  detail?: string;
  /** What became of the change since (undone, partly undone). */
  state?: Bilingual;
  undo?: CardButton;
}

export interface AuditCardInput {
  /** The filters, as the reader typed them. */
  scope: Bilingual;
  rows: AuditRow[];
  /** How many more matched than the card shows. */
  more: number;
}

/** Rows a card shows: each may carry a button, and a dozen buttons with their confirm dialogs is what 30 KB holds. */
export const MAX_AUDIT_ROWS = 12;

const RESULT: Record<AuditRow['result'], string> = { ok: '✅', error: '❌', refused: '⛔' };

/** /audit: who did what, when, with what outcome, newest first, with Undo where it still applies. */
export function auditCard(o: AuditCardInput): Card {
  return fitting(
    o.rows.length,
    (shown) => {
      const els = new Elements();
      els.markdown(twoLines(o.scope));
      if (o.rows.length === 0) els.markdown(twoLines({ zh: '没有符合条件的记录。', en: 'Nothing matches.' }));
      for (const r of o.rows.slice(0, shown)) {
        const detail = [r.detail, r.state && inline(r.state)].filter(Boolean).join(' · ');
        const meta = `${r.when} · ${r.who}${detail ? ` · ${detail}` : ''}`;
        const head = `${RESULT[r.result]} **${escapeMd(clip(r.action))}** ${escapeMd(clip(r.target))}`;
        els.markdown(`${head}\n${grey(escapeMd(clip(meta)))}`);
        if (r.undo) els.button(r.undo);
      }
      const more = o.more + o.rows.length - shown;
      if (more > 0)
        els.markdown(grey(`还有 ${more} 条，用 since= 或 kind= 缩小范围 · ${more} more: narrow with since= or kind=`));
      return envelope({ zh: '操作记录', en: 'Audit trail' }, 'indigo', els);
    },
    MAX_AUDIT_ROWS,
  );
}
