export { cardBytes, escapeMd, inline, MAX_CARD_BYTES, type Bilingual, type Card, type CardButton } from './kit.js';
export { successCard, type SuccessCardInput } from './success.js';
export { errorCard, feishuErrorCard, type ErrorCardInput, type ExplainedError } from './error.js';
export { progressCard, type ProgressCardInput, type StepState } from './progress.js';
export { helpCard, type HelpCardInput, type HelpCommand } from './help.js';
export { welcomeCard, type WelcomeCardInput } from './welcome.js';
export { formCard, type FormCardInput, type FormField } from './form.js';
