/**
 * What both connection probes (core/imap/probe.ts, core/smtp/probe.ts) start
 * with: the result's common fields, and the secret registered for redaction
 * (whoever passed it, e.g. the wizard's typed password, may not have done so).
 */
import type { Credentials, ProbeResult, ServerConfig } from './config/types.js';
import { TmailError } from './errors.js';
import { registerSecret } from './log.js';

export type ProbeBase = Pick<ProbeResult, 'protocol' | 'host' | 'port' | 'security' | 'user'>;

export function startProbe(
  protocol: ProbeBase['protocol'],
  server: ServerConfig,
  credentials: Credentials,
  signal: AbortSignal | undefined,
): { base: ProbeBase; cancelled: ProbeResult | null } {
  for (const secret of [credentials.password, credentials.accessToken]) {
    if (secret) registerSecret(secret);
  }
  const base: ProbeBase = {
    protocol,
    host: server.host,
    port: server.port,
    security: server.security,
    user: credentials.user,
  };
  return {
    base,
    cancelled: signal?.aborted ? { ...base, ok: false, error: new TmailError('CANCELLED') } : null,
  };
}
