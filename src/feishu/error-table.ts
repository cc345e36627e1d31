/**
 * The table that explains each documented code to a chat user, and the kind of each failure.
 * Sources: Feishu's pages "创建群", "创建邮件组", "创建邮箱联系人", "发送邮件", "发送草稿", "通用错误码" (platform
 * codes), OAuth ("获取 user_access_token"), messages ("发送消息"), card update ("更新已发送的消息卡片", "延时更新消息卡片"),
 * chat members ("将用户或机器人拉入群聊"), mail groups ("创建邮件组成员") and contact ("获取单个用户信息").
 * The wording says what to do in plain terms; a card may add a command only when its handler knows it exists.
 * It lives in the catalog as `errors.feishu.<name>.problem` and `.nextStep` (a shared name, or `code<code>`).
 */
import type enUs from '../../locales/en_us.json';
import { t, type Text } from '../i18n.js';

/**
 * What kind of failure a code is, so callers decide the next step without knowing codes:
 * transient: try again later (rate limits, 5xx, no answer); invalid: the request is wrong and must change;
 * not_found / conflict: the target is missing, or already exists or was already done; permission: the app or the user
 * is not allowed (scopes, availability, install, credentials): someone with rights must change that; quota: a
 * count or size limit, not lifted by waiting a moment; needs_sign_in: the user must authorise the bot (again);
 * internal: the bot sent something Feishu cannot take, a bot bug; unknown: a code the table does not list.
 */
export const ERROR_KINDS = [
  'transient',
  'invalid',
  'not_found',
  'conflict',
  'permission',
  'quota',
  'needs_sign_in',
  'internal',
  'unknown',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ErrorInfo {
  kind: ErrorKind;
  /** Whether calling again unchanged may succeed: exactly the transient kind. */
  retryable: boolean;
  problem: Text;
  nextStep: Text;
  /** What happened, for a card with no title of its own (the error boundary's), when the code says it plainly. */
  title?: Text;
}

/** Not a Feishu code: the request never got an answer (connection refused or reset, timeout). */
export const NETWORK_ERROR = -1;
/** Not a Feishu code: the answer was not a Feishu response body. */
export const MALFORMED_RESPONSE = -2;
/** Not a Feishu code: a call as a user who has no stored authorisation (the token provider has none). */
export const NOT_SIGNED_IN = -3;

type Explained = Exclude<keyof (typeof enUs)['errors']['feishu'], 'unknownCode'>;

const info = (kind: Exclude<ErrorKind, 'unknown'>, name: Explained): ErrorInfo => ({
  kind,
  retryable: kind === 'transient',
  problem: t(`errors.feishu.${name}.problem`),
  nextStep: t(`errors.feishu.${name}.nextStep`),
});

// Shared wording for codes that mean the same thing to a user.
const badParam = info('invalid', 'badParam');
const rateLimited = info('transient', 'rateLimited');
const serverError = info('transient', 'serverError');
const botDisabled = info('permission', 'botDisabled');
const appNotInstalled = info('permission', 'appNotInstalled');
const noMailPermission = info('permission', 'noMailPermission');
const mailboxNotFound = info('not_found', 'mailboxNotFound');
const tooManyRecipients = info('invalid', 'tooManyRecipients');
const tooManyAttachments = info('invalid', 'tooManyAttachments');
const alreadySent = info('conflict', 'alreadySent');
const concurrentSend = info('transient', 'concurrentSend');
const userDailyLimit = info('quota', 'userDailyLimit');
const userExternalLimit = info('quota', 'userExternalLimit');
const tenantExternalLimit = info('quota', 'tenantExternalLimit');
const mailThrottled = info('transient', 'mailThrottled');
const storageFull = info('quota', 'storageFull');
const contentRisk = info('invalid', 'contentRisk');
const senderCheck = info('invalid', 'senderCheck');
const receiverCheck = info('invalid', 'receiverCheck');
const tokenInvalid = info('permission', 'tokenInvalid');
const userTokenInvalid = info('needs_sign_in', 'userTokenInvalid');
const appCredentials = info('permission', 'appCredentials');
const loginCodeBad = info('needs_sign_in', 'loginCodeBad');
const refreshBad = info('needs_sign_in', 'refreshBad');
const oauthConfig = info('permission', 'oauthConfig');
const cardInvalid = info('internal', 'cardInvalid');
const cardTokenBad = info('conflict', 'cardTokenBad');
const chatGone = info('not_found', 'chatGone');
const notVisible = info('permission', 'notVisible');
const invalidIds = info('invalid', 'invalidIds');

export const ERROR_TABLE: Readonly<Record<number, ErrorInfo>> = {
  // Client-side outcomes.
  [NETWORK_ERROR]: info('transient', 'network'),
  [MALFORMED_RESPONSE]: info('internal', 'malformedResponse'),
  [NOT_SIGNED_IN]: info('needs_sign_in', 'notSignedIn'),

  // Platform ("通用错误码", "自建应用获取 tenant_access_token").
  99991400: rateLimited,
  99991401: info('permission', 'code99991401'),
  99991403: info('quota', 'code99991403'),
  99991201: info('internal', 'code99991201'),
  99991301: info('internal', 'code99991301'),
  99991661: tokenInvalid,
  99991663: tokenInvalid,
  99991664: appCredentials,
  99991665: appCredentials,
  99991668: userTokenInvalid,
  99991669: refreshBad,
  99991671: info('needs_sign_in', 'code99991671'),
  99991672: info('permission', 'code99991672'),
  99991673: appNotInstalled,
  99991677: userTokenInvalid,
  99991679: info('needs_sign_in', 'code99991679'),
  99992351: invalidIds,
  99992360: invalidIds,
  99992361: info('invalid', 'code99992361'),
  99992402: badParam,
  10003: badParam,
  10014: appCredentials,
  10015: appCredentials,

  // OAuth ("获取 user_access_token", "刷新 user_access_token").
  20001: oauthConfig,
  20002: oauthConfig,
  20003: loginCodeBad,
  20004: loginCodeBad,
  20008: info('not_found', 'code20008'),
  20009: appNotInstalled,
  20010: info('permission', 'code20010'),
  20024: oauthConfig,
  20026: refreshBad,
  20027: oauthConfig,
  20036: oauthConfig,
  20037: refreshBad,
  20049: loginCodeBad,
  20050: serverError,
  20063: oauthConfig,
  20064: refreshBad,
  20065: loginCodeBad,
  20067: oauthConfig,
  20068: oauthConfig,
  20071: oauthConfig,
  20072: serverError,
  20073: refreshBad,
  20074: oauthConfig,

  // Chat create ("创建群") and chat members ("将用户或机器人拉入群聊").
  232001: badParam,
  232004: appCredentials,
  232006: info('invalid', 'code232006'),
  232009: chatGone,
  232002: info('permission', 'code232002'),
  232008: info('invalid', 'code232008'),
  232012: info('invalid', 'code232012'),
  232014: info('permission', 'code232014'),
  232016: info('permission', 'code232016'),
  232031: info('invalid', 'code232031'),
  232076: info('invalid', 'code232076'),
  230110: info('not_found', 'code230110'),
  234001: info('invalid', 'code234001'),
  234003: info('invalid', 'code234003'),
  234004: info('permission', 'code234004'),
  234037: info('quota', 'code234037'),
  234043: info('invalid', 'code234043'),
  230009: info('invalid', 'code230009'),
  230026: info('permission', 'code230026'),
  232010: info('permission', 'code232010'),
  232011: info('permission', 'code232011'),
  232013: info('quota', 'code232013'),
  232017: info('permission', 'code232017'),
  232019: rateLimited,
  232020: info('invalid', 'code232020'),
  232021: info('not_found', 'code232021'),
  232022: info('invalid', 'code232022'),
  232023: info('invalid', 'code232023'),
  232024: notVisible,
  232025: botDisabled,
  232027: info('invalid', 'code232027'),
  232028: info('invalid', 'code232028'),
  232030: invalidIds,
  232032: info('invalid', 'code232032'),
  232033: info('permission', 'code232033'),
  232034: appNotInstalled,
  232037: info('permission', 'code232037'),
  232042: info('invalid', 'code232042'),
  232043: invalidIds,
  232057: info('permission', 'code232057'),
  232068: info('transient', 'code232068'),
  232069: info('invalid', 'code232069'),
  232078: info('permission', 'code232078'),
  232079: info('invalid', 'code232079'),
  232091: info('permission', 'code232091'),
  232095: info('permission', 'code232095'),

  // Messages and cards ("发送消息", "更新已发送的消息卡片", "延时更新消息卡片").
  230001: badParam,
  230002: info('permission', 'code230002'),
  230006: botDisabled,
  230011: info('not_found', 'code230011'),
  230013: info('permission', 'code230013'),
  230018: info('permission', 'code230018'),
  230020: rateLimited,
  230022: info('invalid', 'code230022'),
  230025: info('invalid', 'code230025'),
  230027: info('permission', 'code230027'),
  230028: info('invalid', 'code230028'),
  230029: info('not_found', 'code230029'),
  230034: info('invalid', 'code230034'),
  230035: info('permission', 'code230035'),
  230038: info('permission', 'code230038'),
  230053: info('permission', 'code230053'),
  230099: cardInvalid,
  200621: cardInvalid,
  200861: cardInvalid,
  11310: cardInvalid,
  19036: info('internal', 'code19036'),
  11232: rateLimited,
  11233: rateLimited,
  11247: rateLimited,
  300020: cardTokenBad,
  300030: cardTokenBad,
  300040: cardTokenBad,
  200310: info('permission', 'code200310'),
  300090: cardInvalid,
  100000: info('internal', 'code100000'),

  // Contact ("获取单个用户信息").
  40001: info('not_found', 'code40001'),
  41050: {
    ...info('permission', 'code41050'),
    title: t('errors.feishu.code41050.title'),
  },

  // Mail contacts ("创建邮箱联系人").
  1230001: badParam,
  1230002: noMailPermission,
  1230003: serverError,

  // Mail groups ("创建邮件组", "创建邮件组成员").
  1234006: info('conflict', 'code1234006'),
  1234008: badParam,
  1234013: mailboxNotFound,
  1390001: info('invalid', 'code1390001'),
  1390002: info('invalid', 'code1390002'),
  1390003: info('invalid', 'code1390003'),
  1234014: info('invalid', 'code1234014'),
  1234017: noMailPermission,
  1234019: info('invalid', 'code1234019'),
  1234030: info('quota', 'code1234030'),
  1234033: info('conflict', 'code1234033'),
  1234050: info('not_found', 'code1234050'),

  // Mail send and draft send ("发送邮件", "发送草稿").
  1236001: info('invalid', 'code1236001'),
  1236002: info('internal', 'code1236002'),
  1236003: tooManyRecipients,
  1236004: tooManyAttachments,
  1236005: alreadySent,
  1236006: concurrentSend,
  1236007: userDailyLimit,
  1236008: userExternalLimit,
  1236009: tenantExternalLimit,
  1236010: mailThrottled,
  1236012: info('quota', 'code1236012'),
  1236013: storageFull,
  1236014: contentRisk,
  1236017: senderCheck,
  1236018: receiverCheck,
  1236019: serverError,
};

export function explainCode(code: number, logId?: string): { problem: Text; nextStep: Text; title?: Text } {
  const known = ERROR_TABLE[code];
  if (known)
    return { problem: known.problem, nextStep: known.nextStep, ...(known.title ? { title: known.title } : {}) };
  return {
    problem: logId
      ? t('errors.feishu.unknownCode.problemWithReference', { code, reference: logId })
      : t('errors.feishu.unknownCode.problem', { code }),
    nextStep: t('errors.feishu.unknownCode.nextStep'),
  };
}
