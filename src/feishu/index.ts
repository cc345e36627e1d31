/** Assembles the real ports over one client: the only place that names the API classes. */
import { ApprovalApi } from './api/approval.js';
import { ChatsApi } from './api/chats.js';
import { ContactApi } from './api/contact.js';
import { ImApi } from './api/im.js';
import { MailboxApi } from './api/mailbox.js';
import { MailgroupsApi } from './api/mailgroups.js';
import { FeishuClient, type ClientOptions } from './client/client.js';
import { cachedDirectory } from './directory-cache.js';
import type { FeishuPorts } from './ports.js';

export type { ClientOptions } from './client/client.js';
export type { UserTokenProvider } from './client/tokens.js';

/** A client and its ports, from the app credentials and tuning. */
export function createFeishu(o: ClientOptions): FeishuPorts {
  const client = new FeishuClient(o);
  return {
    im: new ImApi(client),
    chats: new ChatsApi(client),
    mailgroups: new MailgroupsApi(client),
    mailbox: new MailboxApi(client),
    directory: cachedDirectory(new ContactApi(client)),
    approvals: new ApprovalApi(client),
  };
}
