/**
 * The table that explains each documented code to a chat user, and the kind of each failure.
 * Sources: Feishu's pages "创建群", "创建邮件组", "创建邮箱联系人", "发送邮件", "发送草稿", "通用错误码" (platform
 * codes), OAuth ("获取 user_access_token"), messages ("发送消息"), card update ("更新已发送的消息卡片", "延时更新消息卡片"),
 * chat members ("将用户或机器人拉入群聊"), mail groups ("创建邮件组成员") and contact ("获取单个用户信息").
 * The wording says what to do in plain terms; a card may add a command only when its handler knows it exists.
 */
import type { Bilingual } from '../card.js';

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
  problem: Bilingual;
  nextStep: Bilingual;
  /** What happened, for a card with no title of its own (the error boundary's), when the code says it plainly. */
  title?: Bilingual;
}

/** Not a Feishu code: the request never got an answer (connection refused or reset, timeout). */
export const NETWORK_ERROR = -1;
/** Not a Feishu code: the answer was not a Feishu response body. */
export const MALFORMED_RESPONSE = -2;
/** Not a Feishu code: a call as a user who has no stored authorisation (the token provider has none). */
export const NOT_SIGNED_IN = -3;

const info = (
  kind: Exclude<ErrorKind, 'unknown'>,
  problemZh: string,
  problemEn: string,
  nextZh: string,
  nextEn: string,
): ErrorInfo => ({
  kind,
  retryable: kind === 'transient',
  problem: { zh: problemZh, en: problemEn },
  nextStep: { zh: nextZh, en: nextEn },
});

// Shared wording for codes that mean the same thing to a user.
const badParam = info(
  'invalid',
  '请求里有参数不正确。',
  'Something in the request is not valid.',
  '检查命令里的名称、地址和成员是否填写正确后再试。',
  'Check the names, addresses and members in your command, then try again.',
);
const rateLimited = info(
  'transient',
  '请求太频繁，飞书暂时限流了。',
  'Too many requests: Feishu is throttling us for a moment.',
  '稍等片刻，机器人会自动重试；如果仍失败，请过一分钟再试。',
  'Wait a moment; the bot retries by itself. If it still fails, try again in a minute.',
);
const serverError = info(
  'transient',
  '飞书服务内部出错。',
  'Feishu had an internal error.',
  '请稍后重试；若一直失败，把参考编号发给管理员。',
  'Try again shortly; if it keeps failing, send the reference to an admin.',
);
const botDisabled = info(
  'permission',
  '这个应用还没有开启机器人能力。',
  'The app does not have the bot capability turned on.',
  '请管理员在开发者后台为应用添加“机器人”能力并发布。',
  'Ask an admin to add the Bot capability to the app in the developer console and publish it.',
);
const appNotInstalled = info(
  'permission',
  '应用在本企业未安装或已停用。',
  'The app is not installed or has been disabled in this organisation.',
  '请管理员在管理后台安装并启用这个应用。',
  'Ask an admin to install and enable the app in the admin console.',
);
const noMailPermission = info(
  'permission',
  '没有权限访问这个邮箱。',
  'No permission to use this mailbox.',
  '先授权机器人访问你的邮箱，或请管理员为应用开通邮箱权限和数据范围。',
  'Authorise the bot to use your mailbox, or ask an admin to grant the app mail permissions and data scope.',
);
const mailboxNotFound = info(
  'not_found',
  '找不到这个邮箱或邮件组，或它没有启用。',
  'That mailbox or mail group does not exist or is not active.',
  '检查地址是否拼写正确，并确认邮箱已启用。',
  'Check the spelling of the address and that the mailbox is active.',
);
const tooManyRecipients = info(
  'invalid',
  '收件人太多，超过了上限（500 个）。',
  'Too many recipients: the limit is 500.',
  '减少收件人，或分几封邮件发送。',
  'Remove some recipients or split the mail into several messages.',
);
const tooManyAttachments = info(
  'invalid',
  '附件太多，超过了上限。',
  'Too many attachments.',
  '减少附件数量后再发送。',
  'Remove some attachments and send again.',
);
const alreadySent = info(
  'conflict',
  '这封邮件已经发送过了。',
  'This mail has already been sent.',
  '无需再次发送；如需再发，请新建一封草稿。',
  'No need to send it again; to send another, create a new draft.',
);
const concurrentSend = info(
  'transient',
  '同一邮箱有另一个发送请求正在进行。',
  'Another send from the same mailbox is in progress.',
  '机器人会自动排队重试；稍后再试即可。',
  'The bot queues and retries by itself; try again shortly if needed.',
);
const userDailyLimit = info(
  'quota',
  '该用户今天的发信数量已达上限。',
  "This user has reached today's sending limit.",
  '明天再发，或请管理员提高发信额度。',
  'Send tomorrow, or ask an admin to raise the sending quota.',
);
const userExternalLimit = info(
  'quota',
  '该用户今天发给外部收件人的数量已达上限。',
  "This user has reached today's limit of external recipients.",
  '明天再发，或请管理员提高额度。',
  'Send tomorrow, or ask an admin to raise the quota.',
);
const tenantExternalLimit = info(
  'quota',
  '企业今天发给外部收件人的数量已达上限。',
  "The organisation has reached today's limit of external recipients.",
  '明天再发，或请管理员提高额度。',
  'Send tomorrow, or ask an admin to raise the quota.',
);
const mailThrottled = info(
  'transient',
  '发信请求被系统限流。',
  'Sending was throttled by the mail system.',
  '机器人会自动稍后重试。',
  'The bot retries by itself in a moment.',
);
const storageFull = info(
  'quota',
  '企业邮箱存储空间已满，无法再发送邮件。',
  "The organisation's mail storage is full.",
  '请管理员清理空间或扩容后再发送。',
  'Ask an admin to free up or add storage, then send again.',
);
const contentRisk = info(
  'invalid',
  '邮件内容被识别为有风险，未能发送。',
  'The mail content was flagged as risky and was not sent.',
  '检查正文和附件是否含敏感内容，修改后再发送。',
  'Check the text and attachments for sensitive content, edit, then send again.',
);
const senderCheck = info(
  'invalid',
  '发件人检查未通过。',
  'The sender check failed.',
  '确认发件邮箱正常可用，必要时联系管理员。',
  'Make sure the sending mailbox is active; ask an admin if needed.',
);
const receiverCheck = info(
  'invalid',
  '收件人检查未通过。',
  'The recipient check failed.',
  '检查收件人地址是否正确、可以接收邮件。',
  'Check that the recipient addresses are correct and can receive mail.',
);
const tokenInvalid = info(
  'permission',
  '机器人的访问凭证失效了。',
  "The bot's access token is no longer valid.",
  '机器人会自动刷新凭证；若仍失败，请联系管理员检查应用凭证。',
  'The bot refreshes it by itself; if this persists, ask an admin to check the app credentials.',
);
const userTokenInvalid = info(
  'needs_sign_in',
  '你的授权已失效。',
  'Your authorisation is no longer valid.',
  '重新授权机器人访问你的账号后再试。',
  'Authorise the bot for your account again, then retry.',
);
const appCredentials = info(
  'permission',
  '应用凭证（App ID 或 App Secret）不正确或应用不可用。',
  'The app credentials (App ID or App Secret) are wrong or the app is unavailable.',
  '请管理员检查机器人配置中的 FEISHU_APP_ID 和 FEISHU_APP_SECRET。',
  "Ask an admin to check FEISHU_APP_ID and FEISHU_APP_SECRET in the bot's configuration.",
);
const loginCodeBad = info(
  'needs_sign_in',
  '登录授权码无效或已过期。',
  'The login code is invalid or has expired.',
  '重新开始授权，并在 5 分钟内完成。',
  'Start the authorisation again and finish it within 5 minutes.',
);
const refreshBad = info(
  'needs_sign_in',
  '登录状态已过期或已失效。',
  'Your saved login has expired or was revoked.',
  '重新授权机器人访问你的账号。',
  'Authorise the bot for your account again.',
);
const oauthConfig = info(
  'permission',
  '应用的登录配置有误。',
  "The app's login settings are wrong.",
  '请管理员检查应用的重定向地址、权限范围和密钥配置。',
  "Ask an admin to check the app's redirect URL, scopes and secret.",
);
const cardInvalid = info(
  'internal',
  '卡片内容不符合飞书格式。',
  'The card content is not valid for Feishu.',
  '这是机器人的问题，请把参考编号发给管理员。',
  'This is a bot problem; send the reference to an admin.',
);
const cardTokenBad = info(
  'conflict',
  '这张卡片已不能再更新（按钮已过期或已用过）。',
  'This card can no longer be updated (the button expired or was already used).',
  '重新运行命令，获取新的卡片。',
  'Run the command again to get a new card.',
);
const chatGone = info(
  'not_found',
  '这个群已解散。',
  'This group chat has been dissolved.',
  '在其他群或私聊里重新运行命令。',
  'Run the command again in another chat or a direct message.',
);
const notVisible = info(
  'permission',
  '有成员不在应用的可见范围内，或无法协作。',
  "Some members are outside the app's visibility or cannot collaborate.",
  '请管理员调整应用可用范围，或去掉这些成员。',
  "Ask an admin to widen the app's availability, or remove those members.",
);
const invalidIds = info(
  'invalid',
  '有用户或机器人 ID 无效。',
  'Some user or bot IDs are not valid.',
  '检查成员是否填写正确（@成员或邮箱），去掉无效的再试。',
  'Check the members (mention them or use their email) and remove invalid ones.',
);

export const ERROR_TABLE: Readonly<Record<number, ErrorInfo>> = {
  // Client-side outcomes.
  [NETWORK_ERROR]: info(
    'transient',
    '连接飞书失败或超时。',
    'Could not reach Feishu, or it took too long.',
    '稍后重试；如果一直失败，请管理员检查网络。',
    'Try again later; if it keeps failing, ask an admin to check the network.',
  ),
  [MALFORMED_RESPONSE]: info(
    'internal',
    '飞书返回了无法识别的响应。',
    'Feishu returned a response the bot could not read.',
    '稍后重试；若一直失败，把参考编号发给管理员。',
    'Try again later; if it persists, send the reference to an admin.',
  ),
  [NOT_SIGNED_IN]: info(
    'needs_sign_in',
    '你还没有授权机器人以你的身份操作。',
    'You have not authorised the bot to act as you.',
    '先授权机器人访问你的账号，然后再试。',
    'Authorise the bot for your account first, then try again.',
  ),

  // Platform ("通用错误码", "自建应用获取 tenant_access_token").
  99991400: rateLimited,
  99991401: info(
    'permission',
    '服务器的 IP 不在应用的白名单中。',
    "The server's IP address is not on the app's allowlist.",
    '请管理员在开发者后台把机器人服务器 IP 加入白名单。',
    "Ask an admin to add the bot server's IP to the allowlist in the developer console.",
  ),
  99991403: info(
    'quota',
    '应用本月的接口调用额度已用完。',
    "The app has used up this month's API quota.",
    '请管理员提升额度，或下个月再试。',
    'Ask an admin to raise the quota, or try again next month.',
  ),
  99991201: info(
    'internal',
    '请求的接口地址不存在。',
    'The requested API path does not exist.',
    '这是机器人的问题，请把参考编号发给管理员。',
    'This is a bot problem; send the reference to an admin.',
  ),
  99991301: info(
    'internal',
    '请求方法不正确。',
    'The request used the wrong HTTP method.',
    '这是机器人的问题，请把参考编号发给管理员。',
    'This is a bot problem; send the reference to an admin.',
  ),
  99991661: tokenInvalid,
  99991663: tokenInvalid,
  99991664: appCredentials,
  99991665: appCredentials,
  99991668: userTokenInvalid,
  99991669: refreshBad,
  99991671: info(
    'needs_sign_in',
    '访问凭证格式不正确。',
    'The access token has the wrong format.',
    '重新授权机器人访问你的账号；若是机器人自己的凭证，请联系管理员。',
    "Authorise the bot for your account again; if it is the bot's own token, contact an admin.",
  ),
  99991672: info(
    'permission',
    '应用缺少调用该接口所需的权限。',
    'The app lacks the permission (scope) this action needs.',
    '请管理员在开发者后台为应用开通相应权限并发布新版本。',
    'Ask an admin to grant the scope in the developer console and publish a new version.',
  ),
  99991673: appNotInstalled,
  99991677: userTokenInvalid,
  99991679: info(
    'needs_sign_in',
    '你还没有授权机器人执行这个操作。',
    'You have not authorised the bot for this action.',
    '重新授权并同意所需权限后再试。',
    'Authorise the bot again, accept the requested permissions, then try again.',
  ),
  99992351: invalidIds,
  99992360: invalidIds,
  99992361: info(
    'invalid',
    '用户 ID 属于其他应用，不能在这里使用。',
    'A user ID belongs to another app and cannot be used here.',
    '改用 @成员 或邮箱指定用户。',
    'Mention the user or use their email instead.',
  ),
  99992402: badParam,
  10003: badParam,
  10014: appCredentials,
  10015: appCredentials,

  // OAuth ("获取 user_access_token", "刷新 user_access_token").
  20001: oauthConfig,
  20002: oauthConfig,
  20003: loginCodeBad,
  20004: loginCodeBad,
  20008: info(
    'not_found',
    '找不到这个用户。',
    'This user does not exist.',
    '确认你使用的是本企业的飞书账号。',
    'Make sure you sign in with an account of this organisation.',
  ),
  20009: appNotInstalled,
  20010: info(
    'permission',
    '你不在这个应用的可用范围内。',
    "You are not in this app's availability range.",
    '请管理员把你加入应用的可用范围。',
    "Ask an admin to add you to the app's availability.",
  ),
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
  232006: info(
    'invalid',
    '群 ID 无效。',
    'The chat ID is not valid.',
    '在目标群里运行命令，或检查群 ID。',
    'Run the command in the target chat, or check the chat ID.',
  ),
  232009: chatGone,
  232002: info(
    'permission',
    '只有群主可以转让这个群。',
    'Only the chat owner can hand this chat over.',
    '请群主转让，或先让机器人成为群主。',
    'Ask the owner to hand it over, or make the bot the owner first.',
  ),
  232008: info(
    'invalid',
    '这是单聊，不能解散或移出成员。',
    'This is a one-to-one chat: it cannot be dissolved and has no members to remove.',
    '检查群 ID。',
    'Check the chat ID.',
  ),
  232012: info(
    'invalid',
    '新群主必须已经是群成员。',
    'The new owner must already be a member of the chat.',
    '先把新群主加入群，再转让。',
    'Add the new owner to the chat first, then hand it over.',
  ),
  232014: info(
    'permission',
    '机器人不是群主或群管理员，不能移出成员。',
    'The bot is neither the owner nor a manager of this chat, so it cannot remove members.',
    '请群主把机器人设为群管理员，或由群主手动移出。',
    'Ask the owner to make the bot a manager, or to remove them by hand.',
  ),
  232016: info(
    'permission',
    '机器人不是这个群的群主，不能转让。',
    'The bot does not own this chat, so it cannot hand it over.',
    '请群主在飞书中转让。',
    'Ask the owner to hand it over in Feishu.',
  ),
  232031: info(
    'invalid',
    '新群主属于另一个企业。',
    'The new owner belongs to another organisation.',
    '选择本企业的成员作为群主。',
    'Choose a member of this organisation as the owner.',
  ),
  232076: info(
    'invalid',
    '群主不能被移出群。',
    'The chat owner cannot be removed from the chat.',
    '先转让群主，再移出。',
    'Hand the chat over to someone else first, then remove them.',
  ),
  230110: info(
    'not_found',
    '这条消息已被删除。',
    'This message has been deleted.',
    '重新发送文件。',
    'Send the file again.',
  ),
  234001: info(
    'invalid',
    '读取消息中的文件时参数有误。',
    'The request for the file in the message was invalid.',
    '重新发送文件；仍然失败请联系管理员。',
    'Send the file again; if it still fails, ask an admin.',
  ),
  234003: info(
    'invalid',
    '这个文件不属于这条消息。',
    'This file does not belong to that message.',
    '回复文件消息本身，或重新发送文件。',
    'Reply to the file message itself, or send the file again.',
  ),
  234004: info(
    'permission',
    '机器人不在这个文件所在的群里。',
    'The bot is not in the chat the file was sent in.',
    '把机器人加入群，或直接把文件发给机器人。',
    'Add the bot to the chat, or send the file to the bot directly.',
  ),
  234037: info(
    'quota',
    '文件超过 100 MB，飞书不允许下载。',
    'The file is over 100 MB, which Feishu does not let apps download.',
    '把表格拆成几个小文件。',
    'Split the table into smaller files.',
  ),
  234043: info(
    'invalid',
    '不能读取这类消息中的文件（合并转发或卡片）。',
    'Files cannot be read from this kind of message (a merged forward or a card).',
    '直接把文件发给机器人。',
    'Send the file to the bot directly.',
  ),
  230009: info(
    'invalid',
    '消息已超过可撤回的时间。',
    'The message is past the time it could be recalled.',
    '请在飞书中手动删除或说明。',
    'Delete it or follow up in Feishu by hand.',
  ),
  230026: info(
    'permission',
    '没有权限撤回这条消息。',
    'No permission to recall this message.',
    '只能撤回机器人自己发的消息，或由群主、群管理员撤回。',
    "Only the bot's own messages can be recalled, or the chat's owner or managers can recall it.",
  ),
  232010: info(
    'permission',
    '不能跨企业操作这个群。',
    'This chat belongs to another organisation.',
    '只能操作本企业的群。',
    'Only chats of this organisation can be managed.',
  ),
  232011: info(
    'permission',
    '操作者不在这个群里。',
    'The operator is not a member of this chat.',
    '先把机器人加入群，再运行命令。',
    'Add the bot to the chat first, then run the command.',
  ),
  232013: info(
    'quota',
    '群成员数量已达上限。',
    'The chat has reached its member limit.',
    '减少要添加的成员，或新建一个群。',
    'Add fewer members, or create another chat.',
  ),
  232017: info(
    'permission',
    '没有权限管理这个群。',
    'No permission to manage this chat.',
    '请群主或群管理员把机器人设为管理员。',
    'Ask the owner or an admin of the chat to make the bot an admin.',
  ),
  232019: rateLimited,
  232020: info(
    'invalid',
    '公开群的名称至少要 2 个字。',
    'A public chat name needs at least 2 characters.',
    '换一个更长的群名。',
    'Choose a longer name.',
  ),
  232021: info(
    'not_found',
    '找不到要加入的机器人。',
    'A bot to add could not be found.',
    '检查机器人 ID，或先安装该机器人。',
    'Check the bot ID, or install that bot first.',
  ),
  232022: info(
    'invalid',
    '有被邀请的用户已离职。',
    'An invited user has left the organisation.',
    '去掉已离职的成员后再试。',
    'Remove members who have left, then try again.',
  ),
  232023: info(
    'invalid',
    '群名称或群描述未通过审核。',
    'The chat name or description failed content review.',
    '修改名称或描述，去掉敏感内容。',
    'Change the name or description and remove sensitive words.',
  ),
  232024: notVisible,
  232025: botDisabled,
  232027: info(
    'invalid',
    '没有可以添加的有效成员。',
    'There are no valid members to add.',
    '检查成员列表是否正确。',
    'Check the member list.',
  ),
  232028: info(
    'invalid',
    '不能把外部成员加入内部群。',
    'External members cannot join an internal chat.',
    '去掉外部成员，或使用外部群。',
    'Remove external members, or use an external chat.',
  ),
  232030: invalidIds,
  232032: info(
    'invalid',
    '指定的群主必须和机器人属于同一企业。',
    'The chosen owner must belong to the same organisation as the bot.',
    '换一个本企业的成员作为群主。',
    'Pick an owner from this organisation.',
  ),
  232033: info(
    'permission',
    '不支持创建外部群。',
    'External chats cannot be created by this app.',
    '去掉外部成员；如需外部群，请管理员开通外部群能力。',
    'Remove external members; for external chats, ask an admin to enable the capability.',
  ),
  232034: appNotInstalled,
  232037: info(
    'permission',
    '没有权限管理群标签。',
    'No permission to manage chat labels.',
    '去掉标签设置，或请管理员开通权限。',
    'Drop the label settings, or ask an admin for the permission.',
  ),
  232042: info(
    'invalid',
    '公开群必须有名称。',
    'A public chat needs a name.',
    '在命令里写上群名称。',
    'Give the chat a name in your command.',
  ),
  232043: invalidIds,
  232057: info(
    'permission',
    '本企业无权使用保密模式。',
    'This organisation cannot use restricted mode.',
    '去掉保密模式设置，或联系企业管理员。',
    'Drop the restricted-mode setting, or contact your admin.',
  ),
  232068: info(
    'transient',
    '群正在创建中。',
    'The chat is still being created.',
    '稍等几秒，机器人会自动重试。',
    'Wait a few seconds; the bot retries by itself.',
  ),
  232069: info(
    'invalid',
    '外部群不能设为公开群。',
    'An external chat cannot be public.',
    '改为私有群，或去掉外部成员。',
    'Make it private, or remove the external members.',
  ),
  232078: info(
    'permission',
    '本企业无权隐藏群成员数量。',
    'This organisation cannot hide the member count.',
    '去掉该设置后再试。',
    'Drop that setting and try again.',
  ),
  232079: info(
    'invalid',
    '这种群类型不支持隐藏成员数量。',
    'This chat type cannot hide the member count.',
    '去掉该设置后再试。',
    'Drop that setting and try again.',
  ),
  232091: info(
    'permission',
    '企业管理员不允许创建公开群。',
    'Your admin does not allow public chats.',
    '改为创建私有群。',
    'Create a private chat instead.',
  ),
  232095: info(
    'permission',
    '没有权限操作这种类型的群。',
    'No permission to manage this type of chat.',
    '联系管理员开通权限。',
    'Ask an admin for the permission.',
  ),

  // Messages and cards ("发送消息", "更新已发送的消息卡片", "延时更新消息卡片").
  230001: badParam,
  230002: info(
    'permission',
    '机器人不在这个群里。',
    'The bot is not in this chat.',
    '先把机器人加入群。',
    'Add the bot to the chat first.',
  ),
  230006: botDisabled,
  230011: info(
    'not_found',
    '这条消息已被撤回。',
    'This message has been recalled.',
    '重新运行命令。',
    'Run the command again.',
  ),
  230013: info(
    'permission',
    '对方不在机器人的可用范围内。',
    "The recipient is outside the bot's availability.",
    '请管理员调整应用可用范围。',
    "Ask an admin to widen the app's availability.",
  ),
  230018: info(
    'permission',
    '群设置不允许机器人发消息。',
    'The chat settings do not allow the bot to post.',
    '请群管理员修改群设置。',
    'Ask a chat admin to change the settings.',
  ),
  230020: rateLimited,
  230022: info(
    'invalid',
    '消息含有敏感内容，未能发送。',
    'The message contains sensitive content and was not sent.',
    '修改内容后再试。',
    'Edit the content and try again.',
  ),
  230025: info(
    'invalid',
    '消息太长。',
    'The message is too long.',
    '缩短内容后再试。',
    'Shorten the content and try again.',
  ),
  230027: info(
    'permission',
    '没有权限发送这条消息。',
    'No permission to send this message.',
    '请管理员检查机器人的权限。',
    "Ask an admin to check the bot's permissions.",
  ),
  230028: info(
    'invalid',
    '消息被数据防泄漏策略拦截。',
    'The message was blocked by data-loss-prevention rules.',
    '去掉敏感信息后再试。',
    'Remove sensitive information and try again.',
  ),
  230029: info(
    'not_found',
    '对方已离职。',
    'The recipient has left the organisation.',
    '换一个收件人。',
    'Choose another recipient.',
  ),
  230034: info(
    'invalid',
    '收件人 ID 无效。',
    'The recipient ID is not valid.',
    '检查收件人是否正确。',
    'Check the recipient.',
  ),
  230035: info(
    'permission',
    '没有发送消息的权限。',
    'No permission to send messages here.',
    '请管理员检查权限设置。',
    'Ask an admin to check the permission settings.',
  ),
  230038: info(
    'permission',
    '不能给其他企业的用户发私聊消息。',
    'Cannot message a user of another organisation directly.',
    '在共同的外部群里沟通。',
    'Talk in a shared external chat instead.',
  ),
  230053: info(
    'permission',
    '对方已屏蔽机器人。',
    'The recipient has blocked the bot.',
    '请对方在聊天设置里取消屏蔽。',
    'Ask them to unblock the bot in the chat settings.',
  ),
  230099: cardInvalid,
  200621: cardInvalid,
  200861: cardInvalid,
  11310: cardInvalid,
  19036: info(
    'internal',
    '卡片超过 30 KB。',
    'The card is larger than 30 KB.',
    '这是机器人的问题，请把参考编号发给管理员。',
    'This is a bot problem; send the reference to an admin.',
  ),
  11232: rateLimited,
  11233: rateLimited,
  11247: rateLimited,
  300020: cardTokenBad,
  300030: cardTokenBad,
  300040: cardTokenBad,
  200310: info(
    'permission',
    '这张卡片由其他应用发送，不能更新。',
    'This card was sent by another app and cannot be updated.',
    '重新运行命令。',
    'Run the command again.',
  ),
  300090: cardInvalid,
  100000: info(
    'internal',
    '卡片转换后超过 100 KB。',
    'The card is larger than 100 KB after conversion.',
    '这是机器人的问题，请把参考编号发给管理员。',
    'This is a bot problem; send the reference to an admin.',
  ),

  // Contact ("获取单个用户信息").
  40001: info(
    'not_found',
    '找不到这个用户。',
    'This user could not be found.',
    '检查 @的成员或邮箱是否正确。',
    'Check the mentioned member or email address.',
  ),
  41050: {
    ...info(
      'permission',
      '这个用户不在应用的通讯录权限范围内。',
      "This user is outside the app's contact data scope.",
      '请管理员扩大应用的通讯录数据范围。',
      "Ask an admin to widen the app's contact data scope.",
    ),
    title: { zh: '用户不在应用的通讯录范围内', en: "User outside the app's contact scope" },
  },

  // Mail contacts ("创建邮箱联系人").
  1230001: badParam,
  1230002: noMailPermission,
  1230003: serverError,

  // Mail groups ("创建邮件组", "创建邮件组成员").
  1234006: info(
    'conflict',
    '该邮箱地址已被占用。',
    'This address is already in use.',
    '换一个地址，例如 team-2@你的域名。',
    'Pick another address, e.g. team-2@your-domain.',
  ),
  1234008: badParam,
  1234013: mailboxNotFound,
  1390001: info(
    'invalid',
    '审批请求的参数无效。',
    'The approval request has an invalid parameter.',
    '检查 app.config.json 的 approvals.approvalCode 和表单控件（approvals.formControl）是否与飞书后台的审批定义一致。',
    'Check that approvals.approvalCode and approvals.formControl in app.config.json match the approval definition in Feishu.',
  ),
  1390002: info(
    'invalid',
    '找不到这个审批定义。',
    'There is no such approval definition.',
    '在飞书审批后台复制审批定义的 code，填到 app.config.json 的 approvals.approvalCode。',
    'Copy the definition code from the Feishu approval admin into approvals.approvalCode in app.config.json.',
  ),
  1390003: info(
    'invalid',
    '找不到这个审批实例（可能已被删除）。',
    'There is no such approval instance (it may have been deleted).',
    '查看这个请求的状态，必要时重新发送命令。',
    'Check the state of the request, and send the command again if needed.',
  ),
  1234014: info(
    'invalid',
    '邮件组里没有这个成员（可能已被移出）。',
    'The mail group has no such member (it may have been removed already).',
    '刷新成员列表后再试。',
    'Refresh the member list, then try again.',
  ),
  1234017: noMailPermission,
  1234019: info(
    'invalid',
    '邮箱地址的域名不存在。',
    'The domain of the address does not exist.',
    '使用企业邮箱的域名，例如 name@你的企业域名。',
    "Use your organisation's mail domain, e.g. name@your-domain.",
  ),
  1234030: info(
    'quota',
    '邮件组数量或成员数量已达上限。',
    'The limit on mail groups or on their members has been reached.',
    '删除不用的邮件组或成员，或请管理员提高上限。',
    'Remove unused groups or members, or ask an admin to raise the limit.',
  ),
  1234033: info(
    'conflict',
    '该地址已被他人用作登录邮箱。',
    'Someone already uses this address to sign in.',
    '换一个地址。',
    'Pick another address.',
  ),
  1234050: info(
    'not_found',
    '找不到这封草稿。',
    'The draft does not exist.',
    '重新创建这封草稿。',
    'Create the draft again.',
  ),

  // Mail send and draft send ("发送邮件", "发送草稿").
  1236001: info(
    'invalid',
    '邮件太大，超过了大小限制。',
    'The mail is larger than allowed.',
    '压缩或去掉部分附件后再发送。',
    'Shrink or remove some attachments and send again.',
  ),
  1236002: info(
    'internal',
    '邮件格式不正确。',
    'The mail is not valid MIME.',
    '这是机器人的问题，请把参考编号发给管理员。',
    'This is a bot problem; send the reference to an admin.',
  ),
  1236003: tooManyRecipients,
  1236004: tooManyAttachments,
  1236005: alreadySent,
  1236006: concurrentSend,
  1236007: userDailyLimit,
  1236008: userExternalLimit,
  1236009: tenantExternalLimit,
  1236010: mailThrottled,
  1236012: info(
    'quota',
    '该用户的发信量达到了限制。',
    'This user has hit a sending restriction.',
    '稍后再发，或联系管理员。',
    'Send later, or contact an admin.',
  ),
  1236013: storageFull,
  1236014: contentRisk,
  1236017: senderCheck,
  1236018: receiverCheck,
  1236019: serverError,
};

export function explainCode(
  code: number,
  logId?: string,
): { problem: Bilingual; nextStep: Bilingual; title?: Bilingual } {
  const known = ERROR_TABLE[code];
  if (known)
    return { problem: known.problem, nextStep: known.nextStep, ...(known.title ? { title: known.title } : {}) };
  const ref = logId ? `（参考编号 ${logId}）` : '';
  const refEn = logId ? ` (reference ${logId})` : '';
  return {
    problem: { zh: `飞书返回了错误码 ${code}${ref}。`, en: `Feishu returned error code ${code}${refEn}.` },
    nextStep: {
      zh: '稍后重试；若仍失败，把错误码和参考编号发给管理员。',
      en: 'Try again later; if it still fails, send the code and reference to an admin.',
    },
  };
}
