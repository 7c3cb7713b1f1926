/**
 * A small SMTP server for tests of what no real server does on demand: it
 * answers every AUTH with 535, or every message with a 554 or a 451 after its
 * data, and counts logins and submissions. Plain text on loopback, AUTH PLAIN
 * only; enough of RFC 5321 for nodemailer.
 */
import { createServer, type Server, type Socket } from 'node:net';

export type HostileMode = 'accept' | 'auth535' | 'data554' | 'data451';

export interface HostileSmtp {
  port: number;
  /** What it answers from now on. */
  mode: HostileMode;
  /** AUTH commands received. */
  logins: number;
  /** Messages whose data reached the end (`.`), whatever the answer. */
  submissions: number;
  /** When each submission ended, ms since the epoch. */
  submittedAt: number[];
  close(): Promise<void>;
}

export async function startHostileSmtp(mode: HostileMode): Promise<HostileSmtp> {
  const sockets = new Set<Socket>();
  const state: HostileSmtp = {
    port: 0,
    mode,
    logins: 0,
    submissions: 0,
    submittedAt: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    const say = (line: string) => socket.write(`${line}\r\n`);
    say('220 hostile.test ESMTP');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          state.submissions += 1;
          state.submittedAt.push(Date.now());
          if (state.mode === 'data554') say('554 5.7.1 rejected as spam');
          else if (state.mode === 'data451') say('451 4.7.1 greylisted, try again later');
          else say(`250 2.0.0 Ok: queued as H${state.submissions}`);
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          say('250-hostile.test');
          say('250-AUTH PLAIN');
          say('250 8BITMIME');
        } else if (verb === 'HELO') say('250 hostile.test');
        else if (verb === 'AUTH') {
          state.logins += 1;
          if (state.mode === 'auth535') say('535 5.7.8 Authentication credentials invalid');
          else say('235 2.7.0 Authentication successful');
        } else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP')
          say('250 2.1.0 Ok');
        else if (verb === 'DATA') {
          inData = true;
          say('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'QUIT') {
          say('221 2.0.0 Bye');
          socket.end();
        } else say('502 5.5.2 Command not recognized');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as { port: number }).port;
  return state;
}
