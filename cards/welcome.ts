import { commandLine } from './help.js';
import { Elements, envelope, fitting, listBlock, md, t, type Card, type Text } from './kit.js';

export interface WelcomeCardInput {
  botName: string;
  commands: { usage: string; summary: Text }[];
  /** Posted in a group chat, where the bot hears only messages that @mention it. */
  inGroup?: boolean;
}

export function welcomeCard(o: WelcomeCardInput): Card {
  const entries = o.commands.map((c) => commandLine(c.usage, c.summary));
  return fitting(entries.length, (shown) => {
    const els = new Elements();
    els.markdown(md(t('app.welcome.intro')));
    if (entries.length) els.markdown(listBlock(t('app.welcome.commands'), entries, shown));
    els.markdown(md(t(o.inGroup ? 'app.welcome.inGroup' : 'app.welcome.direct')));
    return envelope(t('app.welcome.title', { name: o.botName }), 'indigo', els);
  });
}
