import { compose, Elements, envelope, escapeMd, fitting, grey, listBlock, md, t, type Card, type Text } from './kit.js';

export interface ErrorCardInput {
  title: Text;
  problems: Text[];
  code?: number;
  nextStep?: Text;
  /** A command or value to copy, shown verbatim in a code block. */
  example?: string;
  /** What the code block is, when not an example (a configuration line: where it goes). */
  exampleLabel?: Text;
  /** An id the user can quote to an admin (e.g. the Feishu log id). */
  reference?: string;
}

const MAX_PROBLEMS = 20;

export function errorCard(o: ErrorCardInput): Card {
  const problems = o.problems.map(md);
  return fitting(
    problems.length,
    (shown) => {
      const els = new Elements();
      // With one problem a heading is noise; with several it tells the user how many to fix.
      const [only] = problems;
      if (only && problems.length === 1) els.markdown(only);
      else els.markdown(listBlock(t('card.problems'), problems, shown));
      if (o.code !== undefined) els.markdown(t('card.code', { code: o.code }));
      const next = o.nextStep;
      if (next) els.markdown(compose((say) => `**${say(t('card.nextStep'))}**\n${say(md(next))}`));
      const example = o.example;
      if (example) {
        const label = md(o.exampleLabel ?? t('card.example'));
        // A code block shows text literally; only a fence inside it could end the block early.
        els.markdown(compose((say) => `**${say(label)}**\n\`\`\`\n${example.replaceAll('```', "'''")}\n\`\`\``));
      }
      const reference = o.reference;
      if (reference) els.markdown(compose((say) => grey(`${say(t('card.reference'))}：${escapeMd(reference)}`)));
      return envelope(o.title, 'red', els);
    },
    MAX_PROBLEMS,
  );
}

/** What the card needs from a failed Open API call (structurally a FeishuError from src/feishu/errors.ts). */
export interface ExplainedError {
  code: number;
  logId?: string;
  explain(): { problem: Text; nextStep: Text };
}

/** The card for a failed Open API call: the error table's plain explanation, the code, and the log id to quote. */
export function feishuErrorCard(title: Text, error: ExplainedError, example?: string): Card {
  const { problem, nextStep } = error.explain();
  return errorCard({ title, problems: [problem], code: error.code, nextStep, example, reference: error.logId });
}
