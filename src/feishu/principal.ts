/** Whose token a call carries: the app's tenant token, or a user's token found by open_id. */
export type Principal = { kind: 'tenant' } | UserPrincipal;
export interface UserPrincipal {
  kind: 'user';
  openId: string;
}

export const TENANT: Principal = { kind: 'tenant' };
export const asUser = (openId: string): UserPrincipal => ({ kind: 'user', openId });
