/**
 * The composer's I/O for the real program: the editor (with the terminal
 * handed over), sending and postponing through core/sending, and the local
 * drafts store. Loaded after the first frame: nothing here is needed to read.
 */
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import type { AddressBook } from '../core/addressbook/index.js';
import type { AccountConfig, TmailConfig } from '../core/config/types.js';
import type { MailEngine } from '../core/engine/engine.js';
import { fileError } from '../core/fs-errors.js';
import type { ComposeServices } from './composer.js';

export interface ComposeServiceOptions {
  engine: MailEngine;
  account: AccountConfig;
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
    { saveLocalDraft, deleteLocalDraft, editingDir },
    { editDraft, editorCommand },
  ] = await Promise.all([
    import('../core/sending.js'),
    import('../core/outbox/index.js'),
    import('../core/compose/index.js'),
  ]);
  const extras = lightComposeServices(options);
  const sending = new Sending(options.engine, options.account, { prompt: options.prompt });
  sending.startAutoRetry();
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
    send: (draft) => sending.send(draft),
    postpone: (draft) => sending.postpone(draft),
    pending: async () => (await sending.pending()).length,
    save: (draft) => saveLocalDraft(draft),
    discard: (id) => deleteLocalDraft(id),
    bounce: (source, to) => sending.bounce(source, to),
    ...extras,
    stop: () => sending.stop(),
  };
}

/**
 * The services that need no sending code (address completion, signatures):
 * main.tsx uses them without loading SMTP, so that Tab in the To prompt does
 * not wait for nodemailer.
 */
export function lightComposeServices(
  options: Pick<ComposeServiceOptions, 'account' | 'config' | 'home'>,
): Required<Pick<ComposeServices, 'addresses' | 'signature'>> {
  let book: AddressBook | undefined;
  return {
    addresses: async (text) => {
      const addressbook = await import('../core/addressbook/index.js');
      book ??= new addressbook.AddressBook();
      return addressbook.queryAddresses(text, {
        book,
        command: addressbook.addressCommandFor(options.account, options.config),
      });
    },
    signature: async (identity) => {
      const { loadSignature, signatureSourceOf } = await import('../core/compose/index.js');
      return loadSignature(signatureSourceOf(options.account, identity), { home: options.home });
    },
  };
}
