import { Elements, envelope, escapeMd, grey, inline, twoLines, type Bilingual, type Card } from './kit.js';

export interface OffboardNoticeInput {
  leaver: string;
  /** Each step that did something: its label and what it did. */
  done: { label: Bilingual; detail?: string }[];
  /** Each step a person must finish: its label and what to do. */
  needs: { label: Bilingual; reason: Bilingual }[];
}

/**
 * What offboarding did for someone who left and what still needs a person, to their leader and the admin chat:
 * green when nothing is left to do by hand, amber otherwise.
 */
export function offboardNoticeCard(o: OffboardNoticeInput): Card {
  const els = new Elements();
  els.markdown(`**离职员工 · Leaver**：${escapeMd(o.leaver)}`);
  els.markdown(
    `**已完成 · Done**\n${
      o.done.length
        ? o.done.map((d) => `✓ ${twoLines(d.label)}${d.detail ? `\n${grey(escapeMd(d.detail))}` : ''}`).join('\n')
        : grey('没有 · nothing')
    }`,
  );
  els.markdown(
    o.needs.length
      ? `**需要人工处理 · Needs a person**\n${o.needs
          .map((n) => `⚠️ ${twoLines(n.label)}\n<font color='orange'>${escapeMd(inline(n.reason))}</font>`)
          .join('\n')}`
      : '✓ 没有需要人工处理的事 · Nothing needs a person',
  );
  return envelope(
    { zh: `${o.leaver} 已离职：交接情况`, en: `${o.leaver} has left: the handover` },
    o.needs.length ? 'orange' : 'green',
    els,
  );
}
