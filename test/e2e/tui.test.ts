/**
 * The built tmail in a real terminal (tmux) against Dovecot: keys typed as a
 * person would (by the keymap's names), the screen read back, and the server
 * checked through a second connection.
 */
import { execFileSync } from 'node:child_process';
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { checker, serverFlags, serverSubjects } from '../support/engine.js';
import { seedOverImap, type SeedMessage } from '../support/seed.js';
import { sharedMailStack } from '../support/stack.js';
import type { TmuxSession } from '../support/tmux.js';
import { waitFor } from '../support/wait.js';
import { e2eAccount, launch, logText, requireBuild, type E2eAccount } from './setup.js';

const stack = sharedMailStack();

interface Fixture {
  setup: E2eAccount;
  client: ImapFlow;
  seeded: SeedMessage[];
  term: TmuxSession;
}

const open: Fixture[] = [];

/** A user with `count` messages in INBOX and tmail running on it. */
async function start(
  prefix: string,
  count = 8,
  options: Parameters<typeof launch>[1] = {},
  config: Parameters<typeof e2eAccount>[2] = {},
): Promise<Fixture> {
  const setup = await e2eAccount(stack, prefix, config);
  const client = await checker(stack.info(), setup.user);
  const seeded = await seedOverImap(client, 'INBOX', count, {
    to: setup.user.email,
    attachmentShare: 0,
  });
  const term = await launch(setup, options);
  const fixture = { setup, client, seeded, term };
  open.push(fixture);
  onTestFailed(() => {
    process.stdout.write(`\nLast screen:\n${term.screen}\nLog:\n${logText(setup).slice(-3000)}\n`);
  });
  return fixture;
}

/** The subject as the list shows it (the seed adds a suffix to some). */
function shortSubject(message: SeedMessage): string {
  return message.subject.slice(0, 18);
}

beforeAll(() => requireBuild());

afterEach(async () => {
  for (const f of open.splice(0)) {
    f.term.kill();
    await f.client.logout().catch(() => {});
  }
});

describe('tmail in a terminal against Dovecot', () => {
  it('opens INBOX newest first with the sidebar and the status line', async () => {
    const { term, seeded } = await start('open', 8);
    const screen = await term.waitFor(
      (s) =>
        s.includes('8 messages') && s.includes(shortSubject(seeded[0]!)) && s.includes('Trash'),
    );
    expect(screen).toMatch(/^ INBOX/m);
    expect(screen).toContain('Sent');
    expect(screen).toContain('online');
    const lines = screen.split('\n');
    const newest = lines.findIndex((l) => l.includes(shortSubject(seeded[7]!)));
    const oldest = lines.findIndex(
      (l) => l.includes(`(1)`) && l.includes(shortSubject(seeded[0]!)),
    );
    expect(newest).toBeGreaterThanOrEqual(0);
    expect(oldest).toBeGreaterThan(newest);
  });

  it('opens a message and shows its body, then goes back', async () => {
    const { term, seeded } = await start('read', 4);
    await term.see('4 messages');
    await term.command('list', 'list.open');
    const screen = await term.see('Regards,');
    expect(screen).toContain(`Subject: ${seeded[3]!.subject.slice(0, 20)}`);
    expect(screen).toMatch(/From: .+@/);
    await term.command('message', 'message.close');
    await term.gone('Regards,');
  });

  it('moves to a folder chosen by name; the server has it there', async () => {
    const { term, client, seeded } = await start('move', 3);
    await term.see('3 messages');
    await term.command('list', 'mail.move');
    // capture-pane trims trailing spaces: wait for the label without its space.
    await term.see('Move to:');
    await term.type('Arch');
    await term.press('<Tab>');
    await term.see('Move to: Archive');
    await term.press('<Enter>');
    await term.see('Moved 1 message to Archive');
    const archived = await waitFor(async () => {
      const subjects = [...(await serverSubjects(client, 'Archive')).values()];
      return subjects.length ? subjects : undefined;
    });
    expect(archived).toEqual([seeded[2]!.subject]);
    expect((await serverSubjects(client, 'INBOX')).size).toBe(2);
  });

  it('flags a message: the server has \\Flagged', async () => {
    const { term, client, seeded } = await start('flag', 3);
    await term.see(shortSubject(seeded[1]!));
    const before = await serverFlags(client, 'INBOX');
    expect(before.get(2)).not.toContain('\\Flagged');
    await term.command('list', 'list.next');
    await term.command('list', 'mail.toggle-flagged');
    const flags = await waitFor(async () => {
      const all = await serverFlags(client, 'INBOX');
      return all.get(2)?.includes('\\Flagged') ? all : undefined;
    });
    expect(flags.get(3)).toEqual(before.get(3));
    await term.see(/│.{2}!/);
  });

  it('deletes and expunges: the message is gone from the server', async () => {
    const { term, client, seeded } = await start('expunge', 3);
    await term.see(shortSubject(seeded[2]!));
    // Delete (to Trash), then mark another \Deleted from the command line, then expunge.
    await term.command('list', 'mail.delete');
    await term.see('Deleted 1 message');
    await waitFor(async () =>
      (await serverSubjects(client, 'Trash')).size === 1 ? true : undefined,
    );
    await term.press(':');
    await term.type('delete-mark');
    await term.press('<Enter>');
    await waitFor(async () =>
      (await serverFlags(client, 'INBOX')).get(2)?.includes('\\Deleted') ? true : undefined,
    );
    await term.command('list', 'folder.expunge');
    await term.see('Expunge 1 deleted message? (y/n)');
    await term.press('y');
    await term.see('Expunged 1 message.');
    const left = await serverSubjects(client, 'INBOX');
    expect([...left.keys()]).toEqual([1]);
  });

  it('shows mail that arrives while the folder is open', async () => {
    const { term, client, setup } = await start('arrive', 2);
    await term.see('2 messages');
    await client.append(
      'INBOX',
      `From: Grace <grace@example.test>\r\nTo: ${setup.user.email}\r\nSubject: Arrived just now\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <arrive@example.test>\r\n\r\nHello.\r\n`,
    );
    const screen = await term.see('Arrived just now');
    await term.see('3 messages');
    expect(screen.split('\n').findIndex((l) => l.includes('Arrived just now'))).toBeLessThan(2);
  });

  it('still renders after a resize to 80x24', async () => {
    const { term, seeded } = await start('resize', 30, { columns: 120, rows: 40 });
    await term.see(shortSubject(seeded[29]!));
    await term.resize(80, 24);
    // Wait for the frame at the new size (not a moment of the old one scrolling by).
    const screen = await term.waitFor((s) => {
      const lines = s.replace(/\n$/, '').split('\n');
      return (
        lines.length === 24 && /^ INBOX/.test(lines[0]!) && /30 messages/.test(lines[22] ?? '')
      );
    });
    expect(await term.size()).toEqual({ columns: 80, rows: 24 });
    expect(screen).toMatch(/^ INBOX/m);
  });

  it('quits with q and gives the terminal back', async () => {
    const { term } = await start('quit', 2);
    await term.see('2 messages');
    expect(await term.alternateScreen()).toBe(true);
    await term.command('list', 'list.quit');
    expect(await term.exited()).toBe(0);
    const screen = await term.capture();
    expect(screen).not.toContain('2 messages');
    expect(await term.alternateScreen()).toBe(false);
  });

  it('quits cleanly on Ctrl-C and on SIGTERM', async () => {
    const first = await start('ctrlc', 2);
    await first.term.see('2 messages');
    await first.term.command('global', 'global.quit-now');
    expect(await first.term.exited()).toBe(0);
    expect(await first.term.capture()).not.toContain('2 messages');

    const second = await start('sigterm', 2);
    await second.term.see('2 messages');
    process.kill(await second.term.pid(), 'SIGTERM');
    expect(await second.term.exited()).toBe(143);
    expect(await second.term.capture()).not.toContain('2 messages');
  });

  it('suspends on Ctrl-Z to the shell and comes back with fg', async () => {
    const { term } = await start('suspend', 2, { shell: true });
    await term.see('2 messages');
    const pid = await term.pid();
    await term.command('global', 'global.suspend');
    // The shell's screen is back, with the job stopped.
    await term.see('Stopped');
    const state = () =>
      execFileSync('ps', ['-o', 'stat=', '-p', String(pid)])
        .toString()
        .trim();
    expect(state()).toMatch(/^T/);
    await term.type('fg');
    await term.press('<Enter>');
    await term.see('2 messages');
    await term.command('list', 'list.quit');
    await term.gone('2 messages');
    await term.type('echo "status=$?"');
    await term.press('<Enter>');
    await term.see('status=0');
  });
});
