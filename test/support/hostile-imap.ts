/**
 * A small IMAP server for the tests of what no real server does on demand:
 * greeting and then saying nothing, claiming 4,294,967,295 messages,
 * answering a search with `1:4294967295`, sending an endless line or a literal
 * of 4 GiB. It speaks just enough IMAP4rev1 for tmail to log in, list, select,
 * search and fetch a few plain messages; a test replaces the answer to any
 * command with its own behaviour.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** One command as the client sent it. */
export interface HostileCommand {
  tag: string;
  /** Upper case, with `UID ` kept: `UID SEARCH`, `SELECT`. */
  name: string;
  args: string;
}

/** What a behaviour can do with the connection. */
export interface HostileSession {
  socket: Socket;
  send(line: string): void;
  ok(command: HostileCommand, text?: string): void;
  /** Number of the connection on this server, from 1. */
  connection: number;
}

/** Returns true when it handled the command (else the default answer is sent). */
export type Behaviour = (session: HostileSession, command: HostileCommand) => boolean | void;

export interface HostileOptions {
  /** Messages INBOX claims in SELECT (default 3, all present and fetchable). */
  exists?: number;
  /** Say nothing at all after the greeting. */
  silentAfterGreeting?: boolean;
  /** Overrides per command name (`SELECT`, `UID SEARCH`, `FETCH`, `UID FETCH` ...). */
  on?: Record<string, Behaviour>;
  capabilities?: string;
}

export interface HostileServer {
  host: string;
  port: number;
  /** Commands received, in order, over all connections. */
  readonly commands: HostileCommand[];
  readonly connections: number;
  close(): Promise<void>;
}

const DEFAULT_CAPABILITIES = 'IMAP4rev1 ESEARCH UIDPLUS MOVE LITERAL+ IDLE';

/** A plain message of the mailbox the server pretends to hold. */
function message(uid: number): string {
  return `From: Sender <sender@example.test>\r\nTo: user@example.test\r\nSubject: Message ${uid}\r\nDate: Mon, 1 Dec 2025 10:00:00 +0000\r\nMessage-ID: <m${uid}@example.test>\r\n\r\nBody ${uid}.\r\n`;
}

function fetchResponse(seq: number, uid: number): string {
  const size = Buffer.byteLength(message(uid));
  const envelope = `("Mon, 1 Dec 2025 10:00:00 +0000" "Message ${uid}" (("Sender" NIL "sender" "example.test")) (("Sender" NIL "sender" "example.test")) (("Sender" NIL "sender" "example.test")) ((NIL NIL "user" "example.test")) NIL NIL NIL "<m${uid}@example.test>")`;
  return `* ${seq} FETCH (UID ${uid} FLAGS () RFC822.SIZE ${size} INTERNALDATE "01-Dec-2025 10:00:00 +0000" ENVELOPE ${envelope} BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "us-ascii") NIL NIL "7BIT" ${size} 1 NIL NIL NIL NIL))`;
}

/** Message numbers of a small sequence set (`1:3`, `2,3`, `1:*`), within 1..exists. */
function numbers(set: string, exists: number): number[] {
  const out: number[] = [];
  for (const piece of set.split(',')) {
    const [a, b] = piece.split(':');
    const from = a === '*' ? exists : Number(a);
    const to = b === undefined ? from : b === '*' ? exists : Number(b);
    for (let n = Math.max(1, Math.min(from, to)); n <= Math.min(exists, Math.max(from, to)); n++)
      out.push(n);
  }
  return out;
}

export async function startHostileImap(options: HostileOptions = {}): Promise<HostileServer> {
  const commands: HostileCommand[] = [];
  const sockets = new Set<Socket>();
  const exists = options.exists ?? 3;
  // Only this many messages really exist, whatever SELECT claims.
  const real = Math.min(exists, 3);
  let connections = 0;

  const server: Server = createServer((socket) => {
    connections++;
    const connection = connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const session: HostileSession = {
      socket,
      connection,
      send: (line) => {
        if (!socket.destroyed) socket.write(`${line}\r\n`);
      },
      ok: (command, text = 'done') => session.send(`${command.tag} OK ${text}`),
    };
    session.send(`* OK [CAPABILITY ${options.capabilities ?? DEFAULT_CAPABILITIES}] hostile ready`);
    if (options.silentAfterGreeting) return;
    let buffer = '';
    let idleTag: string | null = null;
    socket.on('data', (data: Buffer) => {
      buffer += data.toString('latin1');
      for (;;) {
        const nl = buffer.indexOf('\n');
        if (nl === -1) return;
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (idleTag) {
          if (line.toUpperCase() === 'DONE') {
            session.send(`${idleTag} OK idle done`);
            idleTag = null;
          }
          continue;
        }
        const match = /^(\S+) (UID \S+|\S+) ?(.*)$/i.exec(line);
        if (!match) continue;
        const command = { tag: match[1]!, name: match[2]!.toUpperCase(), args: match[3] ?? '' };
        commands.push(command);
        if (options.on?.[command.name]?.(session, command)) continue;
        answer(session, command);
        if (command.name === 'IDLE') idleTag = command.tag;
      }
    });
  });

  function answer(session: HostileSession, command: HostileCommand): void {
    const { send, ok } = session;
    switch (command.name) {
      case 'CAPABILITY':
        send(`* CAPABILITY ${options.capabilities ?? DEFAULT_CAPABILITIES}`);
        return ok(command);
      case 'LIST':
        send('* LIST (\\HasNoChildren) "/" INBOX');
        return ok(command);
      case 'STATUS':
        send(`* STATUS INBOX (MESSAGES ${exists} UNSEEN ${real})`);
        return ok(command);
      case 'SELECT':
      case 'EXAMINE':
        send(`* ${exists} EXISTS`);
        send('* 0 RECENT');
        send('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)');
        send('* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] ok');
        send('* OK [UIDVALIDITY 7] ok');
        send(`* OK [UIDNEXT ${real + 1}] ok`);
        return ok(command, '[READ-WRITE] selected');
      case 'SEARCH':
      case 'UID SEARCH': {
        const all = real ? `1:${real}` : '';
        if (/RETURN/i.test(command.args)) {
          send(`* ESEARCH (TAG "${command.tag}") UID${all ? ` ALL ${all}` : ''}`);
        } else {
          send(
            `* SEARCH${real ? ' ' + Array.from({ length: real }, (_, i) => i + 1).join(' ') : ''}`,
          );
        }
        return ok(command);
      }
      case 'FETCH':
      case 'UID FETCH': {
        const set = command.args.split(' ')[0] ?? '';
        for (const n of numbers(set, real)) send(fetchResponse(n, n));
        return ok(command);
      }
      case 'IDLE':
        return send('+ idling');
      case 'LOGOUT':
        send('* BYE bye');
        ok(command);
        session.socket.end();
        return;
      default:
        return ok(command);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('hostile server has no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    commands,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `bytes` of `x` with no line end, in 64 KiB writes that respect backpressure. */
export function sendEndlessLine(session: HostileSession, prefix: string, bytes: number): void {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let sent = 0;
  session.socket.write(prefix);
  const pump = () => {
    while (sent < bytes && !session.socket.destroyed) {
      sent += chunk.length;
      if (!session.socket.write(chunk)) {
        session.socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}
