import { commandLine } from './help.js';
import { Elements, envelope, fitting, listBlock, twoLines, type Bilingual, type Card } from './kit.js';

export interface WelcomeCardInput {
  botName: string;
  commands: { usage: string; summary: Bilingual }[];
  /** Posted in a group chat, where the bot hears only messages that @mention it. */
  inGroup?: boolean;
}

export function welcomeCard(o: WelcomeCardInput): Card {
  const entries = o.commands.map((c) => commandLine(c.usage, c.summary));
  return fitting(entries.length, (shown) => {
    const els = new Elements();
    els.markdown(
      twoLines({
        zh: '我可以帮你管理工作区：下面是我现在能做的事。',
        en: 'I run workspace operations for you: here is what I can do now.',
      }),
    );
    if (entries.length) els.markdown(listBlock({ zh: '常用命令', en: 'Commands' }, entries, shown));
    els.markdown(
      twoLines(
        o.inGroup
          ? {
              zh: '在群里请先 @我 再写命令，例如 @我 /help 查看每个命令的详细用法。',
              en: 'In a group, @mention me before the command, e.g. @me /help for the details of each command.',
            }
          : { zh: '发送 /help 查看每个命令的详细用法。', en: 'Send /help for the details of each command.' },
      ),
    );
    return envelope({ zh: `你好，我是${o.botName}`, en: `Hi, I'm ${o.botName}` }, 'indigo', els);
  });
}
