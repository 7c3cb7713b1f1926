/**
 * A TCP proxy between tmail and a real server (the test Dovecot or Postfix)
 * that breaks a connection on cue: after a chosen client command, it cuts
 * the connection (FIN), resets it (RST), or stalls it (keeps the sockets open
 * and forwards nothing more), either before the command reaches the server,
 * once the server has carried it out (its tagged reply is held back), or after
 * some bytes of the reply (an attachment cut mid-transfer). It can also freeze
 * every connection at once, like a server stopped with SIGSTOP.
 *
 * Line matching is on what the client sends, so it knows IMAP only as far as
 * "a command is a line starting with a tag"; that is enough for SMTP too.
 * Once a client turns on COMPRESS, its connection is passed through as is.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** What happens to the connection. */
export type Fault = 'cut' | 'reset' | 'stall';

/**
 * When the fault strikes, relative to the matching command:
 * - `command`: instead of forwarding it (the server never sees it);
 * - `reply`: once the server's tagged reply arrives (the server carried it out);
 * - `{ replyBytes }`: after forwarding that many bytes of the server's answer.
 */
export type FaultPoint = 'command' | 'reply' | { replyBytes: number };

export interface FaultRule {
  /** Matched against each line the client sends (without CRLF). */
  match: RegExp;
  fault: Fault;
  at: FaultPoint;
}

export interface FaultProxy {
  host: string;
  port: number;
  /** Arms a rule for the next matching command on any connection; it fires once. */
  arm(rule: FaultRule): void;
  /** Resolves when the armed rule has fired. */
  fired(): Promise<void>;
  /** Stops forwarding on every open connection (the server seems frozen). */
  freeze(): void;
  /** Forwards again, including what was held while frozen. */
  thaw(): void;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Every line the clients sent so far, oldest first (without CRLF): what a test counts commands by. */
  readonly sent: string[];
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Set once a fault hit this pair: nothing is forwarded any more. */
  dead: boolean;
  held: Array<{ to: Socket; data: Buffer }>;
}

/**
 * Starts a proxy to `target` on a free port, or on `options.port`: a proxy
 * closed earlier comes back on the same port that way (the server is back).
 */
export async function startFaultProxy(
  target: { host: string; port: number },
  options: { port?: number } = {},
): Promise<FaultProxy> {
  let rule: FaultRule | null = null;
  let firedResolve: (() => void) | null = null;
  let firedPromise: Promise<void> = Promise.resolve();
  let frozen = false;
  let accepted = 0;
  const sent: string[] = [];
  const pairs = new Set<Pair>();

  const strike = (pair: Pair, fault: Fault): void => {
    pair.dead = true;
    firedResolve?.();
    firedResolve = null;
    if (fault === 'stall') return;
    if (fault === 'reset') {
      // After what was forwarded has gone out: a reset discards unsent bytes.
      pair.client.write(Buffer.alloc(0), () => pair.client.resetAndDestroy());
    } else {
      pair.client.end();
      pair.client.destroySoon();
    }
    pair.server.destroy();
  };

  const send = (pair: Pair, to: Socket, data: Buffer): void => {
    if (pair.dead || to.destroyed) return;
    if (frozen) pair.held.push({ to, data });
    else to.write(data);
  };

  const server: Server = createServer((client) => {
    accepted++;
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, server: upstream, dead: false, held: [] };
    pairs.add(pair);
    let clientBuf = Buffer.alloc(0);
    // Server bytes still to forward before striking, once a command armed it.
    let pending: { tag: string; rule: FaultRule; budget: number | null } | null = null;
    let serverText = '';

    // After COMPRESS DEFLATE (Cyrus offers it, imapflow takes it) the bytes are no
    // lines any more: they pass as they come, and no rule can match them.
    let compressed = false;

    client.on('data', (data: Buffer) => {
      if (pair.dead) return;
      if (compressed) {
        send(pair, upstream, data);
        return;
      }
      // Forward whole lines only, so that a matching command can be kept back entirely.
      clientBuf = Buffer.concat([clientBuf, data]);
      for (;;) {
        const nl = clientBuf.indexOf(0x0a);
        if (nl === -1) return;
        const chunk = clientBuf.subarray(0, nl + 1);
        clientBuf = clientBuf.subarray(nl + 1);
        const line = chunk.toString('latin1').replace(/\r?\n$/, '');
        sent.push(line);
        if (/^\S+ COMPRESS /i.test(line)) {
          compressed = true;
          send(pair, upstream, Buffer.concat([chunk, clientBuf]));
          clientBuf = Buffer.alloc(0);
          return;
        }
        if (rule && !pending && rule.match.test(line)) {
          const armed = rule;
          rule = null;
          if (armed.at === 'command') {
            strike(pair, armed.fault);
            return;
          }
          pending = {
            tag: line.split(' ')[0] ?? '',
            rule: armed,
            budget: typeof armed.at === 'object' ? armed.at.replyBytes : null,
          };
        }
        send(pair, upstream, chunk);
      }
    });

    upstream.on('data', (data: Buffer) => {
      if (pair.dead) return;
      if (!pending) {
        send(pair, client, data);
        return;
      }
      if (pending.budget !== null) {
        if (data.length <= pending.budget) {
          pending.budget -= data.length;
          send(pair, client, data);
          return;
        }
        send(pair, client, data.subarray(0, pending.budget));
        strike(pair, pending.rule.fault);
        return;
      }
      // Hold back the tagged reply: the server has done the work, the client never hears.
      serverText += data.toString('latin1');
      const at = serverText.search(new RegExp(`(^|\\n)${escapeRegExp(pending.tag)} `));
      if (at === -1) {
        send(pair, client, data);
        serverText = serverText.slice(-256);
        return;
      }
      const start = serverText[at] === '\n' ? at + 1 : at;
      const before = Buffer.from(serverText.slice(0, start), 'latin1');
      const already = serverText.length - data.length;
      if (before.length > already) send(pair, client, before.subarray(already));
      strike(pair, pending.rule.fault);
    });

    const end = () => {
      pairs.delete(pair);
      if (pair.dead) return;
      pair.dead = true;
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', () => {
      if (!pair.dead) client.end();
    });
    client.on('error', () => {});
    upstream.on('error', () => {});
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fault proxy has no port');

  return {
    host: '127.0.0.1',
    port: address.port,
    arm(next) {
      rule = next;
      firedPromise = new Promise<void>((resolve) => (firedResolve = resolve));
    },
    fired: () => firedPromise,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) {
        for (const { to, data } of pair.held.splice(0)) if (!to.destroyed) to.write(data);
      }
    },
    get connections() {
      return accepted;
    },
    sent,
    async close() {
      for (const pair of pairs) {
        pair.dead = true;
        pair.client.destroy();
        pair.server.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
