import { Elements, envelope, escapeMd, fitting, grey, listBlock, twoLines, type Bilingual, type Card } from './kit.js';

export interface HelpCommand {
  usage: string;
  summary: Bilingual;
  examples: string[];
}

export interface HelpCardInput {
  commands: HelpCommand[];
  /** The command family listed, e.g. "group" for `/help group`: titles the card and its list. */
  family?: string;
  /** One command explained in full, e.g. for `/help group create`. */
  focus?: { usage: string; summary: Bilingual; details: Bilingual[]; examples: string[] };
}

const examples = (list: string[]): string[] => list.map((e) => grey(`例 · e.g. ${escapeMd(e)}`));

/** One entry of a command list: bold usage, then the bilingual summary. Shared with the welcome card. */
export const commandLine = (usage: string, summary: Bilingual): string =>
  `**${escapeMd(usage)}**\n${twoLines(summary)}`;

export function helpCard(o: HelpCardInput): Card {
  const entries = o.commands.map((c) => [commandLine(c.usage, c.summary), ...examples(c.examples)].join('\n'));
  const focus = o.focus;
  const title = focus
    ? { zh: `帮助：${focus.usage.split(/\s+/)[0]}`, en: `Help: ${focus.usage.split(/\s+/)[0]}` }
    : o.family
      ? { zh: `帮助：/${o.family}`, en: `Help: /${o.family}` }
      : { zh: '使用帮助', en: 'Help' };
  const listLabel = o.family
    ? { zh: `/${o.family} 的子命令`, en: `/${o.family} subcommands` }
    : { zh: '全部命令', en: 'All commands' };
  return fitting(entries.length, (shown) => {
    const els = new Elements();
    if (focus) {
      els.markdown([commandLine(focus.usage, focus.summary), ...focus.details.map(twoLines)].join('\n\n'));
      if (focus.examples.length) els.markdown(['**示例 · Examples**', ...focus.examples.map(escapeMd)].join('\n'));
      if (entries.length) els.divider();
    }
    if (entries.length) els.markdown(listBlock(listLabel, entries, shown));
    return envelope(title, 'indigo', els);
  });
}
