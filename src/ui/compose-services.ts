/**
 * The composer's I/O for the real program: the editor (with the terminal
 * handed over), sending and postponing through core/sending, and the local
 * drafts store. Loaded after the first frame: nothing here is needed to read.
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type { AddressBook } from '../core/addressbook/index.js';
import type { AccountConfig, TmailConfig } from '../core/config/types.js';
import type { EngineRegistry } from '../core/engine-registry.js';
import { fileError } from '../core/fs-errors.js';
import type { ComposeServices } from './composer.js';

export interface ComposeServiceOptions {
  /**
   * The session's accounts. A message goes out through the account it was
   * written in (its SMTP server, its Sent folder, its outbox entries), whichever
   * account is shown when it is sent.
   */
  registry: EngineRegistry;
  /** The whole dotfile, for its top-level addressBookCommand. */
  config?: TmailConfig;
  /** Asks for the SMTP password of `prompt` accounts. */
  prompt?: (question: string) => Promise<string>;
  /** Home directory, for `~` in a signatureFile. */
  home?: string;
  /** Gives the terminal to another program for the duration of `work`. */
  handOver: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * Runs the editor and blocks until it exits. Blocking is the point: while
 * Node's event loop is stopped, nothing reads the terminal, so no keystroke
 * meant for the editor is taken by tmail's own input handling.
 */
export function runEditorBlocking(
  command: string,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const result = spawnSync('/bin/sh', ['-c', `${command} "$1"`, 'sh', file], {
    stdio: 'inherit',
    env,
  });
  if (result.error) return Promise.reject(result.error);
  if (result.status !== null) return Promise.resolve(result.status);
  const signal = result.signal ? (constants.signals[result.signal] ?? 0) : 0;
  return Promise.resolve(128 + signal);
}

export async function createComposeServices(
  options: ComposeServiceOptions,
): Promise<ComposeServices & { stop(): void }> {
  const [
    { Sending },
    { Outbox, saveLocalDraft, deleteLocalDraft, editingDir },
    { editDraft, editorCommand },
    { AddressBook },
  ] = await Promise.all([
    import('../core/sending.js'),
    import('../core/outbox/index.js'),
    import('../core/compose/index.js'),
    import('../core/addressbook/index.js'),
  ]);
  const { registry } = options;
  const extras = lightComposeServices({
    account: () => registry.shown.account,
    config: options.config,
    home: options.home,
  });
  // One Sending per account, over that account's engine, each retrying its own outbox
  // entries; an account opened later gets its own when it opens.
  const shared = { outbox: new Outbox(), addressBook: new AddressBook(), prompt: options.prompt };
  const sendings = new Map<string, InstanceType<typeof Sending>>();
  const sendingOf = (name: string) => {
    let sending = sendings.get(name);
    if (!sending) {
      const engine = registry.engine(name);
      sending = new Sending(engine, engine.account, shared);
      sending.startAutoRetry();
      sendings.set(name, sending);
    }
    return sending;
  };
  for (const engine of registry.openedEngines()) sendingOf(engine.account.name);
  const stopFollowing = registry.onOpened((engine) => sendingOf(engine.account.name));
  return {
    edit: async (draft) => {
      // A full or read-only state folder fails here, before any editor runs: say that,
      // not "the editor exited with status 1".
      let tmpDir: string | undefined;
      try {
        tmpDir = await editingDir();
        return await options.handOver(() =>
          editDraft(draft, {
            tmpDir,
            run: (file, env) => runEditorBlocking(editorCommand(env), file, env),
          }),
        );
      } catch (error) {
        throw fileError(error, 'The message could not be written out for the editor', tmpDir);
      }
    },
    send: (draft) => sendingOf(draft.account).send(draft),
    postpone: (draft) => sendingOf(draft.account).postpone(draft),
    pending: async () => {
      const counts = await Promise.all([...sendings.values()].map((s) => s.pending()));
      return counts.reduce((sum, entries) => sum + entries.length, 0);
    },
    save: (draft) => saveLocalDraft(draft),
    discard: (id) => deleteLocalDraft(id),
    // A bounce is of a message of the account shown, and goes out through it.
    bounce: (source, to) => sendingOf(registry.shownAccount).bounce(source, to),
    ...extras,
    stop: () => {
      stopFollowing();
      for (const sending of sendings.values()) sending.stop();
    },
  };
}

/**
 * The services that need no sending code (address completion, signatures):
 * main.tsx uses them without loading SMTP, so that Tab in the To prompt does
 * not wait for nodemailer.
 */
export function lightComposeServices(
  options: Pick<ComposeServiceOptions, 'config' | 'home'> & {
    /** The account shown (whose address book command and signatures apply). */
    account: () => AccountConfig;
  },
): Required<Pick<ComposeServices, 'addresses' | 'signature'>> {
  let book: AddressBook | undefined;
  return {
    addresses: async (text) => {
      const addressbook = await import('../core/addressbook/index.js');
      book ??= new addressbook.AddressBook();
      return addressbook.queryAddresses(text, {
        book,
        command: addressbook.addressCommandFor(options.account(), options.config),
      });
    },
    signature: async (identity) => {
      const { loadSignature, signatureSourceOf } = await import('../core/compose/index.js');
      return loadSignature(signatureSourceOf(options.account(), identity), {
        home: options.home,
      });
    },
  };
}
