/**
 * A stand-in for the Feishu ports in app-core and handler tests: records every card the app posts and answers like
 * the Open API would. Families a test does not hand in refuse every call, so an unexpected call fails the test.
 * Not a product path: the gateway tests run the real client and API modules against the emulator.
 */
import type { Card } from '../../cards/index.js';
import type {
  ApprovalsPort,
  ChatsPort,
  DirectoryPort,
  FeishuPorts,
  ImPort,
  MailboxPort,
  MailgroupsPort,
  Recipient,
} from '../../src/feishu/ports.js';

export type RecordedCall =
  | { method: 'replyCard'; messageId: string; card: Card; uuid?: string; chatId?: string }
  | { method: 'sendCard'; to: Recipient; card: Card; uuid?: string }
  | { method: 'patchCard'; messageId: string; card: Card }
  | { method: 'updateCardByToken'; token: string; card: Card };

const unexpected = (name: string) => async (): Promise<never> => {
  throw new Error(`${name} was called, but this test did not expect it`);
};

const refusing = {
  chats: (): ChatsPort => ({
    create: unexpected('chats.create'),
    addMembers: unexpected('chats.addMembers'),
    get: unexpected('chats.get'),
    members: unexpected('chats.members'),
    list: unexpected('chats.list'),
    removeMembers: unexpected('chats.removeMembers'),
    dissolve: unexpected('chats.dissolve'),
    transferOwner: unexpected('chats.transferOwner'),
  }),
  mailgroups: (): MailgroupsPort => ({
    create: unexpected('mailgroups.create'),
    get: unexpected('mailgroups.get'),
    list: unexpected('mailgroups.list'),
    addMembers: unexpected('mailgroups.addMembers'),
    members: unexpected('mailgroups.members'),
    removeMembers: unexpected('mailgroups.removeMembers'),
    delete: unexpected('mailgroups.delete'),
  }),
  mailbox: (): MailboxPort => ({
    createContact: unexpected('mailbox.createContact'),
    listContacts: unexpected('mailbox.listContacts'),
    deleteContact: unexpected('mailbox.deleteContact'),
    createDraft: unexpected('mailbox.createDraft'),
    updateDraft: unexpected('mailbox.updateDraft'),
    getDraft: unexpected('mailbox.getDraft'),
    deleteDraft: unexpected('mailbox.deleteDraft'),
    sendDraft: unexpected('mailbox.sendDraft'),
    sendMail: unexpected('mailbox.sendMail'),
  }),
  approvals: (): ApprovalsPort => ({
    subscribe: unexpected('approvals.subscribe'),
    createInstance: unexpected('approvals.createInstance'),
    getInstance: unexpected('approvals.getInstance'),
    cancelInstance: unexpected('approvals.cancelInstance'),
  }),
  directory: (): DirectoryPort => ({
    getUser: unexpected('directory.getUser'),
    openIdsByEmail: unexpected('directory.openIdsByEmail'),
  }),
};

export class RecordingGateway implements FeishuPorts {
  readonly calls: RecordedCall[] = [];
  /** Message ids the app recalled (im.recall), in order. */
  readonly recalled: string[] = [];
  /** Make updateCardByToken fail, as an expired or used-up token does. */
  failTokenUpdates = false;
  readonly im: ImPort;
  readonly chats: ChatsPort;
  readonly mailgroups: MailgroupsPort;
  readonly mailbox: MailboxPort;
  readonly directory: DirectoryPort;
  readonly approvals: ApprovalsPort;
  #next = 1;

  constructor(
    others: Partial<Omit<FeishuPorts, 'im'>> = {},
    readonly bot = { openId: 'ou_bot0000000000000000000000000', name: '运维助手 Ops Bot' },
  ) {
    const posted = () => ({ messageId: `om_sent${this.#next++}` });
    this.im = {
      replyCard: async (messageId, card, opts = {}) => {
        this.calls.push({ method: 'replyCard', messageId, card, ...opts });
        return posted();
      },
      sendCard: async (to, card, opts = {}) => {
        this.calls.push({ method: 'sendCard', to, card, ...opts });
        return posted();
      },
      replyText: unexpected('im.replyText'),
      sendText: unexpected('im.sendText'),
      patchCard: async (messageId, card) => {
        this.calls.push({ method: 'patchCard', messageId, card });
      },
      updateCardByToken: async (token, card) => {
        if (this.failTokenUpdates) throw new Error('300040 token used up');
        this.calls.push({ method: 'updateCardByToken', token, card });
      },
      botInfo: async () => this.bot,
      recall: async (messageId) => {
        this.recalled.push(messageId);
      },
      getMessage: unexpected('im.getMessage'),
      downloadFile: unexpected('im.downloadFile'),
    };
    this.chats = others.chats ?? refusing.chats();
    this.mailgroups = others.mailgroups ?? refusing.mailgroups();
    this.mailbox = others.mailbox ?? refusing.mailbox();
    this.directory = others.directory ?? refusing.directory();
    this.approvals = others.approvals ?? refusing.approvals();
  }

  /** The text a reader would see on the n-th posted card (JSON, for substring checks). */
  cardText(n = -1): string {
    const call = this.calls.at(n);
    return call ? JSON.stringify(call.card) : '';
  }
}
