/** Zod pieces several API families share. */
import { z } from 'zod';

export const openIdSchema = z.string().regex(/^ou_[A-Za-z0-9]+$/, 'must be an open_id such as ou_1a2b3c');
export const emailSchema = z.email('must be an email address such as team@example.com');
