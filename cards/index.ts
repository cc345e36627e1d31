export { cardBytes, escapeMd, MAX_CARD_BYTES, type Card, type CardButton } from './kit.js';
export { successCard, type SuccessCardInput } from './success.js';
export { errorCard, feishuErrorCard, type ErrorCardInput, type ExplainedError } from './error.js';
export { progressCard, type ProgressCardInput, type StepState } from './progress.js';
export { helpCard, type HelpCardInput, type HelpCommand } from './help.js';
export { welcomeCard, type WelcomeCardInput } from './welcome.js';
export { formCard, type FormCardInput, type FormField } from './form.js';
export {
  workflowProgressCard,
  type WorkflowKind,
  type WorkflowProgressInput,
  type WorkflowStepState,
} from './workflow-progress.js';
export { workflowPlanCard, type WorkflowPlanInput } from './workflow-plan.js';
export { workflowRunsCard, type WorkflowRunsInput } from './workflow-runs.js';
export { hireWelcomeCard } from './hire-welcome.js';
export { offboardNoticeCard, type OffboardNoticeInput } from './offboard-notice.js';
export { signInNeededCard } from './sign-in-needed.js';
export { signInCard, type SignInCardInput } from './sign-in.js';
export { signedInCard, type SignedInCardInput } from './signed-in.js';
export { draftPreviewCard, formatSize, type DraftPreviewInput } from './draft-preview.js';
export { draftEditCard, type DraftEditInput } from './draft-edit.js';
export { mailSentCard, type MailSentInput } from './mail-sent.js';
export { undoOfferCard, undoResultCard, type UndoOfferInput, type UndoResultInput } from './undo.js';
export { auditCard, MAX_AUDIT_ROWS, type AuditCardInput, type AuditRow } from './audit.js';
export { mailHeldCard, type MailHeldInput } from './mail-held.js';
export { whoamiCard, type WhoamiCardInput } from './whoami.js';
export { bulkPlanCard, type BulkPlanInput, type BulkPlanRow } from './bulk-plan.js';
export { bulkProgressCard, type BulkProgressInput, type BulkRowState } from './bulk-progress.js';
export {
  approvalDecidedCard,
  approvalWaitingCard,
  approverCard,
  type ApprovalDecision,
  type ApprovalRequestView,
  type ApprovalStatus,
} from './approval-request.js';
export {
  APPROVAL_STATUS_TEXT,
  approvalListCard,
  type ApprovalListInput,
  type ApprovalListItem,
} from './approval-list.js';
