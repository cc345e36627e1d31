import {
  compose,
  Elements,
  envelope,
  escapeMd,
  fitting,
  greyMd,
  joinTexts,
  listBlock,
  md,
  t,
  type Card,
  type Text,
} from './kit.js';

export interface HelpCommand {
  usage: string;
  summary: Text;
  examples: string[];
}

export interface HelpCardInput {
  commands: HelpCommand[];
  /** The command family listed, e.g. "group" for `/help group`: titles the card and its list. */
  family?: string;
  /** One command explained in full, e.g. for `/help group create`. */
  focus?: { usage: string; summary: Text; details: Text[]; examples: string[] };
}

const example = (e: string): Text => greyMd(t('commands.help.example', { example: e }));

/** One entry of a command list: bold usage, then the summary. Shared with the welcome card. */
export const commandLine = (usage: string, summary: Text): Text =>
  compose((say) => `**${escapeMd(usage)}**\n${say(md(summary))}`);

export function helpCard(o: HelpCardInput): Card {
  const entries = o.commands.map((c) => joinTexts([commandLine(c.usage, c.summary), ...c.examples.map(example)], '\n'));
  const focus = o.focus;
  const title = focus
    ? t('commands.help.titleFor', { command: focus.usage.split(/\s+/)[0] ?? '' })
    : o.family
      ? t('commands.help.titleFor', { command: `/${o.family}` })
      : t('commands.help.title');
  const listLabel = o.family ? t('commands.help.subcommands', { command: `/${o.family}` }) : t('commands.help.all');
  return fitting(entries.length, (shown) => {
    const els = new Elements();
    if (focus) {
      els.markdown(joinTexts([commandLine(focus.usage, focus.summary), ...focus.details.map(md)], '\n\n'));
      if (focus.examples.length) {
        const examples = focus.examples.map(escapeMd);
        els.markdown(compose((say) => [`**${say(md(t('commands.help.examples')))}**`, ...examples].join('\n')));
      }
      if (entries.length) els.divider();
    }
    if (entries.length) els.markdown(listBlock(listLabel, entries, shown));
    return envelope(title, 'indigo', els);
  });
}
