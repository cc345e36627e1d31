import {
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

export interface AuditRow {
  when: string;
  who: string;
  action: string;
  target: string;
  result: 'ok' | 'error' | 'refused';
  detail?: string;
  /** What became of the change since (undone, partly undone). */
  state?: Text;
  undo?: CardButton;
}

export interface AuditCardInput {
  /** The filters, as the reader typed them. */
  scope: Text;
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
      els.markdown(md(o.scope));
      if (o.rows.length === 0) els.markdown(md(t('audit.none')));
      for (const r of o.rows.slice(0, shown)) {
        const state = r.state;
        const head = `${RESULT[r.result]} **${escapeMd(clip(r.action))}** ${escapeMd(clip(r.target))}`;
        const meta = compose((say) => [r.when, r.who, r.detail, state && say(state)].filter(Boolean).join(' · '));
        els.markdown(compose((say) => `${head}\n${grey(escapeMd(clip(say(meta))))}`));
        if (r.undo) els.button(r.undo);
      }
      const more = o.more + o.rows.length - shown;
      if (more > 0) els.markdown(greyMd(t('audit.more', { count: more })));
      return envelope(t('audit.title'), 'indigo', els);
    },
    MAX_AUDIT_ROWS,
  );
}
