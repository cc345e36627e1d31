/**
 * Error codes with their HTTP status and message. DOC_CODES are the 66 rows of the five API pages'
 * error tables (the contract: fault injection by code must reproduce exactly these); PLATFORM_CODES are
 * the codes Feishu's other pages list ("通用错误码" and the other endpoints' pages). A code may appear on several
 * pages with different messages (e.g. 1236006), so lookups can name the page.
 */

export type DocPage =
  'im-chat-create' | 'mail-mailgroup-create' | 'mail-contact-create' | 'mail-message-send' | 'mail-draft-send';

/** Where a code's row comes from: one of the five API pages, or the other pages ("platform"). */
export type CodePage = DocPage | 'platform';

export interface CodeInfo {
  code: number;
  httpStatus: number;
  msg: string;
  page: CodePage;
}

type Row = [CodePage, number, number, string];

/** The error tables of the five API pages, row for row (page, code, HTTP status, description). */
const DOC_ROWS: Row[] = [
  ['im-chat-create', 232001, 400, 'Your request contains an invalid request parameter.'],
  ['im-chat-create', 232004, 400, 'Such an app does NOT exist.'],
  ['im-chat-create', 232019, 400, 'The request has been rate limited.'],
  ['im-chat-create', 232020, 400, 'Name can NOT be less than two characters for public chats.'],
  ['im-chat-create', 232021, 400, 'Bot can NOT be found.'],
  ['im-chat-create', 232022, 400, 'User has already resigned.'],
  ['im-chat-create', 232023, 400, 'Chat information review failed while updating the chat.'],
  ['im-chat-create', 232025, 400, 'Bot ability is not activated.'],
  ['im-chat-create', 232030, 400, 'Your request specifies a user_id which is invalid.'],
  [
    'im-chat-create',
    232032,
    400,
    'The operator who will create the chat and the designated chat owner must be in the same tenant.',
  ],
  [
    'im-chat-create',
    232033,
    400,
    'The operator or invited bots does NOT have the authority to manage external chats without the scope.',
  ],
  ['im-chat-create', 232034, 400, 'The app is unavailable or inactivated by the tenant.'],
  [
    'im-chat-create',
    232037,
    400,
    'The operator or invited bots does NOT have the authority to manage chat labels without the scope.',
  ],
  ['im-chat-create', 232042, 400, "Public group chat's name should not be empty."],
  ['im-chat-create', 232043, 400, 'Your request contains unavailable ids.'],
  ['im-chat-create', 232057, 400, "The operator tenant doesn't have the permission to use restricted mode."],
  ['im-chat-create', 232068, 400, 'The group is being created, please wait a moment.'],
  ['im-chat-create', 232069, 400, 'current chat type unsupported to set public.'],
  [
    'im-chat-create',
    232091,
    400,
    'Due to the security control requirements of this tenant, this tenant does not allow public group.',
  ],
  [
    'im-chat-create',
    232095,
    400,
    'The operator does NOT have the authority to manage ocic type tag without the scope.',
  ],
  ['im-chat-create', 232078, 400, "The operator tenant doesn't have the permission to use hide_member_count_setting."],
  ['im-chat-create', 232079, 400, 'Chat type not supported by hide_member_count_setting.'],
  ['mail-mailgroup-create', 1234019, 400, "mail address's domain not found"],
  ['mail-mailgroup-create', 1234006, 409, 'email address has been used'],
  ['mail-mailgroup-create', 1234008, 400, 'request parameter error'],
  ['mail-mailgroup-create', 1234030, 400, 'mailing group count is over max limit'],
  ['mail-mailgroup-create', 1234033, 409, 'email address has been used by another member as login account'],
  ['mail-contact-create', 1230001, 400, '参数错误'],
  ['mail-contact-create', 1230003, 500, '内部错误'],
  ['mail-contact-create', 1230002, 403, '无权限'],
  ['mail-message-send', 1234013, 404, 'user mailbox not found or user mailbox not active'],
  ['mail-message-send', 1234017, 403, 'permission deny'],
  ['mail-message-send', 1234008, 400, 'request parameter error'],
  ['mail-message-send', 1236001, 400, 'raw size over limit'],
  ['mail-message-send', 1236006, 429, 'too many request'],
  ['mail-message-send', 1236002, 400, 'invalid mime format'],
  ['mail-message-send', 1236003, 400, 'the number of recipients exceeds the limit'],
  ['mail-message-send', 1236004, 400, 'the number of attachments exceeds the limit'],
  ['mail-message-send', 1236005, 409, 'send mail repeatedly'],
  ['mail-message-send', 1236007, 429, 'the daily number of emails sent by the user exceeds the limit'],
  [
    'mail-message-send',
    1236008,
    429,
    'the number of external recipients the user sends messages to each day exceeds the limit',
  ],
  [
    'mail-message-send',
    1236009,
    429,
    'the number of external recipients the tenant sends messages to each day exceeds the limit',
  ],
  ['mail-message-send', 1236010, 429, 'mail quota limit'],
  ['mail-message-send', 1236012, 429, 'reach send mail restriction'],
  ['mail-message-send', 1236013, 429, 'tenant storage limit'],
  ['mail-message-send', 1236014, 400, 'content risk'],
  ['mail-message-send', 1236017, 400, 'sender check fail'],
  ['mail-message-send', 1236018, 400, 'receiver check fail'],
  ['mail-message-send', 1236019, 500, 'internal server error'],
  ['mail-draft-send', 1234008, 400, 'request parameter error'],
  ['mail-draft-send', 1236003, 400, 'the number of recipients exceeds the limit'],
  ['mail-draft-send', 1236004, 400, 'the number of attachments exceeds the limit'],
  ['mail-draft-send', 1236014, 400, 'content risk'],
  ['mail-draft-send', 1236017, 400, 'sender check fail'],
  ['mail-draft-send', 1236018, 400, 'receiver check fail'],
  ['mail-draft-send', 1234017, 403, 'permission deny'],
  ['mail-draft-send', 1234050, 404, 'draft not found'],
  ['mail-draft-send', 1234013, 404, 'user mailbox not found or user mailbox not active'],
  ['mail-draft-send', 1236005, 409, 'send mail repeatedly'],
  ['mail-draft-send', 1236006, 429, 'Concurrent write conflict. Please retry later'],
  ['mail-draft-send', 1236007, 429, 'the daily number of emails sent by the user exceeds the limit'],
  [
    'mail-draft-send',
    1236008,
    429,
    'the number of external recipients the user sends messages to each day exceeds the limit',
  ],
  [
    'mail-draft-send',
    1236009,
    429,
    'the number of external recipients the tenant sends messages to each day exceeds the limit',
  ],
  ['mail-draft-send', 1236010, 429, 'mail quota limit'],
  ['mail-draft-send', 1236013, 429, 'tenant storage limit'],
  ['mail-draft-send', 1236019, 500, 'internal server error'],
];

/** Codes from Feishu's other pages ("通用错误码", then as noted): status 400 unless the page says otherwise. */
const PLATFORM_ROWS: Row[] = [
  ['platform', 99991400, 429, 'request trigger frequency limit'],
  ['platform', 99991661, 400, 'Missing access token for authorization. Please make a request with token attached.'],
  ['platform', 99991663, 400, 'Invalid access token for authorization. Please make a request with token attached.'],
  ['platform', 99991668, 400, 'Invalid access token for authorization. Please make a request with token attached.'],
  ['platform', 99991671, 400, 'Invalid token format, token must start with "t-" or "u-".'],
  ['platform', 99991677, 400, 'user access token expired'],
  // "通用错误码": 99991679, the user has not granted the scope; the exact msg text is not in the pages.
  [
    'platform',
    99991679,
    400,
    'Unauthorized. The user has not granted the scope this API needs; ask the user to authorize again.',
  ],
  ['platform', 99992402, 400, 'field validation failed'],
  ['platform', 99991201, 404, 'path not found'],
  ['platform', 10003, 400, 'invalid param'],
  ['platform', 10014, 400, 'app secret invalid'],
  ['platform', 10015, 400, 'app_id or app_secret is wrong'],
  // messages ("发送消息")
  ['platform', 230001, 400, 'Your request contains an invalid request parameter.'],
  ['platform', 230002, 400, 'The bot can not be outside the group.'],
  ['platform', 230006, 400, 'Bot ability is not activated.'],
  ['platform', 230011, 400, 'The message is recalled.'],
  ['platform', 230013, 400, 'Bot has NO availability to this user.'],
  ['platform', 230020, 400, 'This operation triggers the frequency limit.'],
  ['platform', 230025, 400, 'The length of the message content reaches its limit.'],
  ['platform', 230029, 400, 'User has resigned.'],
  ['platform', 230034, 400, 'The receive_id is invalid.'],
  ['platform', 230038, 400, 'Cross tenant p2p chat operate forbid.'],
  ['platform', 230099, 400, 'Failed to create card content.'],
  ['platform', 232009, 400, 'Your request specifies a chat which has already been dissolved.'],
  // card delayed update ("延时更新消息卡片")
  ['platform', 300020, 400, 'card token format invalid'],
  ['platform', 300030, 400, 'card token expired'],
  ['platform', 300040, 400, 'card token used up'],
  ['platform', 200310, 400, 'card was sent by another app'],
  ['platform', 300090, 400, 'open_ids is required for a per-user card'],
  ['platform', 100000, 400, 'card content exceeds the size limit'],
  // chat members ("将用户或机器人拉入群聊")
  ['platform', 232006, 400, 'Your request specifies a chat_id which is invalid.'],
  ['platform', 232011, 400, 'Operator can NOT be out of the chat.'],
  ['platform', 232013, 400, 'The number of members in the chat reaches its limit.'],
  ['platform', 232027, 400, 'No valid members to add.'],
  // dissolve a chat ("解散群")
  ['platform', 232008, 400, 'Your request specifies a chat whose type is NOT supported currently.'],
  ['platform', 232010, 400, 'Operator and chat can NOT be in different tenants.'],
  [
    'platform',
    232017,
    400,
    'No Permission: If the operator is NOT owner or creator with the scope, the operator can NOT complete the request.',
  ],
  // remove chat members ("将用户或机器人移出群聊")
  [
    'platform',
    232014,
    400,
    'The token used in the request does NOT have the permissions necessary to complete the request.',
  ],
  ['platform', 232076, 400, "Can't kick chat owner."],
  // update a chat ("更新群信息")
  [
    'platform',
    232002,
    400,
    'No Permission: Only chat owner or admin can edit chat information in the current situation.',
  ],
  ['platform', 232012, 400, 'New chat owner can NOT be out of the chat.'],
  ['platform', 232016, 400, 'Non-chat-owner or Non-chat-admin can only edit certain parts.'],
  ['platform', 232031, 400, 'The chat and the new designated chat owner must be in the same tenant.'],
  // recall a message ("撤回消息")
  ['platform', 230009, 400, 'Message can only be recalled within one days.'],
  ['platform', 230026, 400, 'No permission to recall this message.'],
  // read a message and its files ("获取指定消息的内容", "获取消息中的资源文件")
  ['platform', 230110, 400, 'Action unavailable as the message has been deleted.'],
  ['platform', 234001, 400, 'Invalid request param.'],
  ['platform', 234003, 400, 'File not in message.'],
  ['platform', 234004, 400, 'App not in chat.'],
  ['platform', 234037, 400, 'Downloaded file size exceeds limit.'],
  ['platform', 234043, 400, 'Unsupported message type.'],
  // mail group and member delete ("删除邮件组", "删除邮件组成员"); 1234013 is also the send pages' mailbox code
  ['platform', 1234013, 404, 'mail group not found'],
  ['platform', 1234014, 404, 'mail group member not found'],
  // contact ("获取单个用户信息")
  ['platform', 41050, 400, 'no user authority error'],
  // approvals ("创建审批实例", "获取单个审批实例详情", "撤回审批实例"; UNVERIFIED beyond these names)
  ['platform', 1390001, 400, 'param is invalid'],
  ['platform', 1390002, 400, 'approval code not found'],
  ['platform', 1390003, 400, 'instance code not found'],
  // OAuth token ("获取 user_access_token"); these bodies use error/error_description instead of msg
  ['platform', 20001, 400, 'The request is missing a required parameter.'],
  ['platform', 20002, 400, 'The client secret is invalid.'],
  ['platform', 20003, 400, 'The authorization code is not found.'],
  ['platform', 20004, 400, 'The authorization code has expired.'],
  ['platform', 20008, 400, 'The user does not exist.'],
  ['platform', 20010, 400, 'The user does not have permission to use this app.'],
  ['platform', 20024, 400, 'The client_id does not match the authorization code.'],
  ['platform', 20026, 400, 'The refresh token is invalid.'],
  ['platform', 20036, 400, 'The grant_type is not supported.'],
  ['platform', 20037, 400, 'The refresh token has expired.'],
  ['platform', 20049, 400, 'PKCE verification failed.'],
  ['platform', 20050, 500, 'An unexpected server error occurred. Please retry your request.'],
  ['platform', 20063, 400, 'The request is malformed.'],
  ['platform', 20065, 400, 'The authorization code has already been used.'],
  ['platform', 20067, 400, 'The scope list is invalid.'],
  ['platform', 20071, 400, 'The redirect_uri does not match.'],
  ['platform', 20073, 400, 'The refresh token has already been used.'],
];

const toInfo = ([page, code, httpStatus, msg]: Row): CodeInfo => ({ page, code, httpStatus, msg });

export const DOC_CODES: readonly CodeInfo[] = DOC_ROWS.map(toInfo);
export const PLATFORM_CODES: readonly CodeInfo[] = PLATFORM_ROWS.map(toInfo);

/** The code's documented status and message; `page` picks that page's row when a code is on several. */
export function codeInfo(code: number, page?: CodePage): CodeInfo | undefined {
  const all = [...DOC_CODES, ...PLATFORM_CODES];
  return (page && all.find((c) => c.code === code && c.page === page)) || all.find((c) => c.code === code);
}
