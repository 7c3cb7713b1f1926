/**
 * What Dovecot says about each IMAP session when it ends: bytes sent and
 * message bodies served. An independent, server-side measure of how much a
 * client asked for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MailStackInfo } from './mail-stack.js';

export interface SessionTraffic {
  /** Bytes the server sent. */
  out: number;
  /** Bytes of message bodies the server served (BODY[...] fetches). */
  bodyBytes: number;
  bodyCount: number;
}

/** The logout lines of a user's sessions, oldest first. */
export function sessionTraffic(stack: MailStackInfo, user: string): SessionTraffic[] {
  const log = readFileSync(join(stack.dir, 'dovecot/dovecot.log'), 'utf8');
  const out: SessionTraffic[] = [];
  const pattern = new RegExp(
    `imap\\(${user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\).*Logged out in=\\d+ out=(\\d+).*body_count=(\\d+) body_bytes=(\\d+)`,
    'g',
  );
  for (const match of log.matchAll(pattern)) {
    out.push({ out: Number(match[1]), bodyCount: Number(match[2]), bodyBytes: Number(match[3]) });
  }
  return out;
}
