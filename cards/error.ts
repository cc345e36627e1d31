import {
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  inline,
  listBlock,
  twoLines,
  type Bilingual,
  type Card,
} from './kit.js';

export interface ErrorCardInput {
  title: Bilingual;
  problems: Bilingual[];
  code?: number;
  nextStep?: Bilingual;
  /** A command or value to copy, shown verbatim in a code block. */
  example?: string;
  /** What the code block is, when not an example (a configuration line: where it goes). */
  exampleLabel?: Bilingual;
  /** An id the user can quote to an admin (e.g. the Feishu log id). */
  reference?: string;
}

const MAX_PROBLEMS = 20;

export function errorCard(o: ErrorCardInput): Card {
  const problems = o.problems.map(twoLines);
  return fitting(
    problems.length,
    (shown) => {
      const els = new Elements();
      // With one problem a heading is noise; with several it tells the user how many to fix.
      if (problems.length === 1) els.markdown(problems[0] ?? '');
      else els.markdown(listBlock({ zh: '问题', en: 'Problems' }, problems, shown));
      if (o.code !== undefined) els.markdown(`错误码 · Code：**${o.code}**`);
      if (o.nextStep) els.markdown(`**下一步 · Next step**\n${twoLines(o.nextStep)}`);
      if (o.example) {
        // A code block shows text literally; only a fence inside it could end the block early.
        const label = o.exampleLabel ? escapeMd(inline(o.exampleLabel)) : '示例 · Example';
        els.markdown(`**${label}**\n\`\`\`\n${o.example.replaceAll('```', "'''")}\n\`\`\``);
      }
      if (o.reference) els.markdown(grey(`参考编号 · Reference：${escapeMd(o.reference)}`));
      return envelope(o.title, 'red', els);
    },
    MAX_PROBLEMS,
  );
}

/** What the card needs from a failed Open API call (structurally a FeishuError from src/feishu/errors.ts). */
export interface ExplainedError {
  code: number;
  logId?: string;
  explain(): { problem: Bilingual; nextStep: Bilingual };
}

/** The card for a failed Open API call: the error table's plain explanation, the code, and the log id to quote. */
export function feishuErrorCard(title: Bilingual, error: ExplainedError, example?: string): Card {
  const { problem, nextStep } = error.explain();
  return errorCard({ title, problems: [problem], code: error.code, nextStep, example, reference: error.logId });
}
