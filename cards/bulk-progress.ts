import { rowLine } from './bulk-plan.js';
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
  type HeaderColour,
  type Text,
} from './kit.js';

export type BulkRowState = 'done' | 'failed' | 'left' | 'exists' | 'invalid';

export interface BulkProgressInput {
  noun: Text;
  /** `detail`: what the row made or found (a name, an id), or a Text of ours. */
  rows: { n: number; label: string; state: BulkRowState; detail?: string | Text; reason?: Text }[];
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
  const lines = listed.map((r) => {
    const detail = r.detail;
    const reason = r.reason ? md(r.reason) : undefined;
    const row = rowLine(r);
    return compose((say) => {
      const made = detail ? ` → ${escapeMd(clip(say(detail), 120))}` : '';
      return `${ICON[r.state]} ${say(row)}${grey(`${made}${reason ? ` · ${say(reason)}` : ''}`)}`;
    });
  });
  return fitting(listed.length, (shown) => {
    const els = new Elements();
    els.markdown(
      compose((say) =>
        [
          say(t('bulk.progress.counts', { done, failed, left })),
          say(greyMd(t('bulk.progress.passed', { exists: count('exists'), invalid: count('invalid') }))),
        ].join('\n'),
      ),
    );
    if (listed.length) {
      const heading = t(o.finished ? 'bulk.progress.result' : 'bulk.progress.failedRows');
      const rest = listed.length - shown;
      els.markdown(
        compose((say) =>
          [
            `**${say(heading)}**`,
            ...lines.slice(0, shown).map(say),
            ...(rest > 0 ? [say(greyMd(andMore(rest)))] : []),
          ].join('\n'),
        ),
      );
    }
    for (const a of o.actions) els.button(a);
    const noun = o.noun;
    const title = o.finished ? t('bulk.progress.finished', { noun }) : t('bulk.progress.running', { noun });
    return envelope(title, colour, els);
  });
}
