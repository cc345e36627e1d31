import { field, compose, Elements, envelope, escapeMd, grey, greyMd, md, t, type Card, type Text } from './kit.js';
import { detailMd } from './workflow-progress.js';

export interface OffboardNoticeInput {
  leaver: string;
  /** Each step that did something: its label and what it did (names as they are, or in the bot's words). */
  done: { label: Text; detail?: string | Text }[];
  /** Each step a person must finish: its label and what to do. */
  needs: { label: Text; reason: Text }[];
}

/**
 * What offboarding did for someone who left and what still needs a person, to their leader and the admin chat:
 * green when nothing is left to do by hand, amber otherwise.
 */
export function offboardNoticeCard(o: OffboardNoticeInput): Card {
  const els = new Elements();
  els.markdown(field(t('offboard.subject'), escapeMd(o.leaver)));
  els.markdown(
    compose((say) =>
      [
        `**${say(t('offboard.notice.done'))}**`,
        ...(o.done.length
          ? o.done.map((d) => `✓ ${say(md(d.label))}${d.detail ? `\n${grey(say(detailMd(d.detail)))}` : ''}`)
          : [say(greyMd(t('offboard.notice.nothing')))]),
      ].join('\n'),
    ),
  );
  els.markdown(
    o.needs.length
      ? compose((say) =>
          [
            `**${say(t('offboard.notice.needs'))}**`,
            ...o.needs.map((n) => `⚠️ ${say(md(n.label))}\n<font color='orange'>${say(md(n.reason))}</font>`),
          ].join('\n'),
        )
      : compose((say) => `✓ ${say(md(t('offboard.notice.nothingNeeded')))}`),
  );
  return envelope(t('offboard.notice.title', { name: o.leaver }), o.needs.length ? 'orange' : 'green', els);
}
