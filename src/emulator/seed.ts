/**
 * The seeded tenant directory: users, departments, the bot and the mail domain. Ids are derived from a
 * hash of the user's key so they are stable across runs (tests and the CLI print the same ids).
 */
import { createHash } from 'node:crypto';

export const DEFAULT_APP_ID = 'cli_a1b2c3d4e5f60718';
export const DEFAULT_APP_SECRET = 'sandbox-secret';
export const MAIL_DOMAIN = 'feishu-ops.example';
export const TENANT_KEY = '736588c9260f175e';
export const OTHER_TENANT_KEY = '2ed263bf32cf1651';
export const APP_NAME = '运维助手 Ops Bot';

export interface SeedUser {
  open_id: string;
  union_id: string;
  user_id: string;
  name: string;
  en_name: string;
  email: string;
  enterprise_email: string;
  mobile: string;
  department_ids: string[];
  leader_user_id: string;
  job_title: string;
  employee_no: string;
  tenant_key: string;
  resigned: boolean;
  /** Outside the app's contact/availability scope (contact get → 41050, messages → 230013). */
  invisible: boolean;
}

function hex(seed: string, len: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

export function openIdFor(key: string): string {
  return `ou_${hex(`open:${key}`, 32)}`;
}

interface UserSpec {
  key: string;
  name: string;
  en: string;
  dept: string;
  leader?: string;
  title: string;
  resigned?: boolean;
  invisible?: boolean;
  otherTenant?: boolean;
}

export const DEPARTMENTS = {
  ops: `od-${hex('dept:ops', 32)}`,
  eng: `od-${hex('dept:eng', 32)}`,
  hr: `od-${hex('dept:hr', 32)}`,
} as const;

const SPECS: UserSpec[] = [
  { key: 'zhangwei', name: '张伟', en: 'Zhang Wei', dept: DEPARTMENTS.ops, title: '运维主管 Ops Lead' },
  {
    key: 'lina',
    name: '李娜',
    en: 'Li Na',
    dept: DEPARTMENTS.ops,
    leader: 'zhangwei',
    title: '运维工程师 Ops Engineer',
  },
  { key: 'wangfang', name: '王芳', en: 'Wang Fang', dept: DEPARTMENTS.eng, title: '研发经理 Engineering Manager' },
  {
    key: 'liuyang',
    name: '刘洋',
    en: 'Liu Yang',
    dept: DEPARTMENTS.eng,
    leader: 'wangfang',
    title: '后端工程师 Backend Engineer',
  },
  { key: 'chenjing', name: '陈静', en: 'Chen Jing', dept: DEPARTMENTS.hr, title: '人事专员 HR Specialist' },
  {
    key: 'yanglei',
    name: '杨磊',
    en: 'Yang Lei',
    dept: DEPARTMENTS.eng,
    leader: 'wangfang',
    title: '前端工程师 Frontend Engineer',
  },
  {
    key: 'zhaomin',
    name: '赵敏',
    en: 'Zhao Min',
    dept: DEPARTMENTS.hr,
    leader: 'chenjing',
    title: '前人事 Former HR',
    resigned: true,
  },
  {
    key: 'huangqiang',
    name: '黄强',
    en: 'Huang Qiang',
    dept: DEPARTMENTS.eng,
    title: '外包 Contractor',
    invisible: true,
  },
  {
    key: 'zhoujie',
    name: '周杰',
    en: 'Zhou Jie',
    dept: `od-${hex('dept:partner', 32)}`,
    title: '合作方 Partner',
    otherTenant: true,
  },
];

export function seedUsers(): SeedUser[] {
  return SPECS.map((s, i) => userOf(s, i));
}

/** Department key (ops, eng, hr) or id → id; undefined when it names none. */
export function departmentId(ref: string): string | undefined {
  return (
    (DEPARTMENTS as Record<string, string>)[ref] ??
    (Object.values(DEPARTMENTS).includes(ref as never) ? ref : undefined)
  );
}

/** A user joining the directory later (the new-hire control): ids derived from `key` like the seeded ones. */
export function newUser(o: {
  key: string;
  name: string;
  en: string;
  dept: string;
  leaderUserId: string;
  title: string;
  n: number;
}): SeedUser {
  return {
    ...userOf({ key: o.key, name: o.name, en: o.en, dept: o.dept, title: o.title }, o.n),
    leader_user_id: o.leaderUserId,
  };
}

function userOf(s: UserSpec, i: number): SeedUser {
  return {
    open_id: openIdFor(s.key),
    union_id: `on_${hex(`union:${s.key}`, 32)}`,
    user_id: hex(`user:${s.key}`, 8),
    name: s.name,
    en_name: s.en,
    email: `${s.key}@${s.otherTenant ? 'partner.example' : 'example.com'}`,
    enterprise_email: `${s.key}@${s.otherTenant ? 'partner.example' : MAIL_DOMAIN}`,
    mobile: `+86138${String(10_000_000 + i * 1_234_567).slice(0, 8)}`,
    department_ids: [s.dept],
    leader_user_id: s.leader ? hex(`user:${s.leader}`, 8) : '',
    job_title: s.title,
    employee_no: String(1001 + i),
    tenant_key: s.otherTenant ? OTHER_TENANT_KEY : TENANT_KEY,
    resigned: s.resigned ?? false,
    invisible: s.invisible ?? false,
  };
}

/**
 * Standing objects of the demo sandbox (`startEmulator({ standing: true })`): an all-hands chat, an onboarding
 * admin chat and an all-staff mail group with fixed ids, so app.config.json's default workflow can name them.
 */
export const STANDING = {
  allHands: {
    chatId: `oc_${hex('chat:all-hands', 32)}`,
    name: '全员群 All hands',
    owner: 'zhangwei',
    members: ['lina', 'wangfang', 'liuyang', 'chenjing', 'yanglei'],
  },
  admins: {
    chatId: `oc_${hex('chat:onboarding-admins', 32)}`,
    name: '入职管理 Onboarding admins',
    owner: 'chenjing',
    members: ['zhangwei'],
  },
  allStaff: { mailgroupId: hex('mailgroup:all-staff', 16), email: `all-staff@${MAIL_DOMAIN}`, name: '全员 All staff' },
} as const;

/** Other bots installed in the tenant (bot_id_list may name them). */
export const OTHER_BOTS = [
  { app_id: 'cli_9f427eec54ae901b', app_name: '审批助手 Approval Bot' },
  { app_id: 'cli_a5e1d2c3b4f60987', app_name: '日程助手 Calendar Bot' },
] as const;

/** Text the emulator's content review rejects in chat names and descriptions (→ 232023). */
export const BLOCKED_WORDS = ['违禁词', 'forbidden-word'] as const;

export function botOpenId(appId: string): string {
  return openIdFor(`bot:${appId}`);
}
