/**
 * The IMAP backend: MailBackend over one imapflow connection.
 *
 * imapflow answers many refused commands with `false` instead of throwing and
 * logs the server's words; the logger passed to it here keeps the last command
 * error so that a refusal still reaches the user with the server's text.
 *
 * Folder paths cross this edge in both directions translated (core/folder-path):
 * the engine and everything above it see and give display paths (`Projects/Sub`),
 * the server gets its own (`INBOX.Projects.Sub` on Courier).
 */
import type { ImapFlow, SearchObject } from 'imapflow';
import type { Socket } from 'node:net';
import { PassThrough, Transform, type Readable } from 'node:stream';
import type { AccountConfig, Credentials } from '../config/types.js';
import type {
  BackendEvent,
  EnvelopeTarget,
  FolderResync,
  FolderStatus,
  KnownFolderState,
  MailBackend,
  MessageSkeleton,
  ThreadNode,
  UidMap,
} from '../engine/backend.js';
import { serverSorts } from '../engine/backend.js';
import { TmailError } from '../errors.js';
import { folderNaming, toDisplayPath, toServerPath, type FolderNaming } from '../folder-path.js';
import { ENVELOPE_HEADER_FIELDS } from '../mime/envelope-fields.js';
import { fileNameFromHeader } from '../mime/header-values.js';
import { structureFromSource } from '../mime/structure.js';
import { createTransferDecoder, transferEncodingOf } from '../mime/transfer.js';
import { libraryLogger } from '../log.js';
import type { BodyPart, Envelope, Flag, Mailbox, SearchQuery, SortOrder } from '../types.js';
import { connectImap, imapEndpoint, serverTimeoutMs, translateImapError } from './connect.js';
import { ConnectionLoss, isNoConnection } from './connection-loss.js';
import {
  compressUids,
  expandSequenceSet,
  intersectSorted,
  lowerBound,
  MAX_EXPANDED,
  missingFrom,
  type ExpandOptions,
} from './sequence.js';
import { toBodyPart, toEnvelope, toFlags, toMailbox } from './translate.js';

/** How long the connection stays quiet before IDLE starts (imapflow's default of 15 s makes new mail late). */
const AUTO_IDLE_DELAY_MS = 300;

/** Parts named in one FETCH; each adds up to about 30 bytes to the command line. */
const PARTS_PER_FETCH = 200;
/** Largest message fetched whole to read its structure when the server's cannot be read. */
const STRUCTURE_FALLBACK_LIMIT = 32 * 1024 * 1024;
/** The structure of a message whose structure cannot be read: a body shown as text. */
const UNREADABLE_STRUCTURE: BodyPart = {
  part: '',
  type: 'multipart/mixed',
  parameters: {},
  encoding: '7bit',
  size: 0,
  disposition: null,
  filename: null,
  contentId: null,
  childNodes: [],
};

const ENVELOPE_QUERY = {
  uid: true,
  flags: true,
  envelope: true,
  size: true,
  internalDate: true,
  bodyStructure: true,
  // The raw fields behind subject, names and date, decoded as the reader decodes them.
  headers: ENVELOPE_HEADER_FIELDS,
};

interface ImapAttribute {
  type: string;
  value: string;
}

/** Our search criteria as imapflow's SearchObject (AND of every field given). */
export function toSearchObject(query: SearchQuery | undefined): SearchObject {
  if (!query) return { all: true };
  const search: SearchObject = {};
  if (query.from) search.from = query.from;
  if (query.to) search.to = query.to;
  if (query.cc) search.cc = query.cc;
  if (query.subject) search.subject = query.subject;
  if (query.body) search.body = query.body;
  if (query.text) search.text = query.text;
  if (query.messageId) search.header = { 'message-id': query.messageId };
  if (query.since !== undefined) search.since = new Date(query.since);
  if (query.before !== undefined) search.before = new Date(query.before);
  // `N:*` also names the last message when N is past it: searchUids drops that one.
  if (query.uidsFrom !== undefined) search.uid = `${query.uidsFrom}:*`;
  const systemFlag = (flag: Flag, value: boolean) => {
    switch (flag.toLowerCase()) {
      case '\\seen':
        search.seen = value;
        return;
      case '\\flagged':
        search.flagged = value;
        return;
      case '\\answered':
        search.answered = value;
        return;
      case '\\deleted':
        search.deleted = value;
        return;
      case '\\draft':
        search.draft = value;
        return;
      default:
        if (value) search.keyword = flag;
        else search.unKeyword = flag;
    }
  };
  for (const flag of query.flagged ?? []) systemFlag(flag, true);
  for (const flag of query.unflagged ?? []) systemFlag(flag, false);
  return Object.keys(search).length ? search : { all: true };
}

const SORT_KEYS: Record<SortOrder['key'], string> = {
  date: 'DATE',
  arrival: 'ARRIVAL',
  // The name shown, not the address (RFC 5957); sortUids asks only where SORT=DISPLAY is offered.
  from: 'DISPLAYFROM',
  subject: 'SUBJECT',
  size: 'SIZE',
};

/** Parses THREAD response lists (RFC 5256): `(3 6 (4 23)(44 7 96))`. */
export function parseThreadList(list: unknown[]): ThreadNode[] {
  const roots: ThreadNode[] = [];
  for (const entry of list) {
    if (!Array.isArray(entry)) continue;
    const node = parseThreadBranch(entry);
    if (node) roots.push(...node);
  }
  return roots;
}

function parseThreadBranch(items: unknown[]): ThreadNode[] {
  // A branch is a chain of UIDs, optionally ending in several sub-branches.
  const chain: ThreadNode[] = [];
  const tails: ThreadNode[] = [];
  for (const item of items) {
    if (Array.isArray(item)) {
      tails.push(...parseThreadBranch(item));
    } else {
      const uid = Number((item as ImapAttribute).value);
      if (Number.isInteger(uid) && uid > 0) chain.push({ uid, children: [] });
    }
  }
  if (!chain.length) return tails; // `((1)(2))`: a dummy parent whose children are siblings
  for (let i = 0; i < chain.length - 1; i++) chain[i]!.children.push(chain[i + 1]!);
  chain[chain.length - 1]!.children.push(...tails);
  return [chain[0]!];
}

export interface ImapBackendOptions {
  account: AccountConfig;
  credentials: Credentials;
  timeoutMs?: number;
}

export class ImapBackend implements MailBackend {
  private client: ImapFlow | null = null;
  private readonly listeners = new Set<(event: BackendEvent) => void>();
  private lastCommandError: { status?: string; text?: string } | null = null;
  /**
   * While a re-sync SELECT runs, the server's pushes are its answer (QRESYNC
   * sends changed flags as FETCH and removals as VANISHED): they are kept
   * here for resync() instead of reaching the listeners.
   */
  private captured: BackendEvent[] | null = null;
  private closedByUs = false;
  /** Every wait on the server ends after this long (the account's timeout setting). */
  private readonly timeoutMs: number;
  private readonly loss: ConnectionLoss;

  constructor(private readonly options: ImapBackendOptions) {
    this.timeoutMs = serverTimeoutMs(options.account, options.timeoutMs);
    this.loss = new ConnectionLoss(imapEndpoint(options.account), this.timeoutMs / 1000);
  }

  /** Why the connection is gone, in one sentence (imapflow only says "not available"). */
  private lostError(): TmailError {
    return this.loss.lost((this.client as unknown as { byeReason?: string } | null)?.byeReason);
  }

  /** Gives up on the connection after a wait ran past the limit; 'close' follows. */
  private giveUp(): TmailError {
    const error = this.loss.noteTimeout();
    this.client?.close();
    return error;
  }

  get capabilities(): ReadonlySet<string> {
    return new Set(
      this.client ? [...this.client.capabilities.keys()].map((c) => c.toUpperCase()) : [],
    );
  }

  get selected(): string | null {
    const mailbox = this.client?.mailbox;
    return mailbox && typeof mailbox === 'object' ? this.display(mailbox.path) : null;
  }

  /** How this server names folders, from its NAMESPACE answer (imapflow asks at login). */
  private get naming(): FolderNaming {
    return folderNaming(this.client?.namespace);
  }

  /** The server's path of a folder the engine names by its display path. */
  private server(path: string): string {
    return toServerPath(path, this.naming);
  }

  /** The display path of a folder the server names. */
  private display(serverPath: string): string {
    return toDisplayPath(serverPath, this.naming);
  }

  /** What SELECT told, the folder named by its display path. */
  private folderStatus(mailbox: Awaited<ReturnType<ImapFlow['mailboxOpen']>>): FolderStatus {
    return toFolderStatus(mailbox, this.display(mailbox.path));
  }

  private get imap(): ImapFlow {
    if (!this.client || !this.client.usable) {
      throw new TmailError('CONNECTION_LOST', 'The connection to the IMAP server is not open.');
    }
    return this.client;
  }

  private emit(event: BackendEvent): void {
    if (this.captured && event.type !== 'closed') {
      this.captured.push(event);
      return;
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Extensions the session has ENABLEd (imapflow asks for CONDSTORE and QRESYNC where offered). */
  private enabled(extension: string): boolean {
    const enabled = (this.client as unknown as { enabled?: Set<string> } | null)?.enabled;
    return Boolean(enabled?.has(extension));
  }

  onEvent(listener: (event: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async connect(): Promise<void> {
    const { account, credentials, timeoutMs } = this.options;
    const base = libraryLogger(`imap:${account.name}`);
    // Keep the last refused command so that a `false` from imapflow can become a TmailError.
    const logger = {
      ...base,
      warn: (entry: unknown) => {
        const err = (entry as { err?: { responseStatus?: string; responseText?: string } })?.err;
        if (err && err.responseStatus)
          this.lastCommandError = { status: err.responseStatus, text: err.responseText };
        base.warn(entry);
      },
    };
    const client = await connectImap({
      account,
      credentials,
      timeoutMs,
      autoIdleDelayMs: AUTO_IDLE_DELAY_MS,
      qresync: true,
      logger,
    });
    this.client = client;
    client.on('error', (error: unknown) => this.loss.noteError(error));
    // imapflow closes quietly on a reset (no 'error' event): hear it from the socket itself.
    const sockets = client as unknown as { socket?: Socket; writeSocket?: Socket };
    for (const socket of new Set([sockets.socket, sockets.writeSocket])) {
      socket?.on?.('error', (error: unknown) => this.loss.noteError(error));
    }
    client.on('exists', (e: { path: string; count: number; prevCount: number }) =>
      this.emit({
        type: 'exists',
        path: this.display(e.path),
        count: e.count,
        prevCount: e.prevCount,
      }),
    );
    client.on('expunge', (e: { path: string; seq?: number; uid?: number }) =>
      this.emit({ type: 'expunge', path: this.display(e.path), seq: e.seq, uid: e.uid }),
    );
    client.on(
      'flags',
      (e: { path: string; seq: number; uid?: number; flags: Set<string>; modseq?: bigint }) =>
        this.emit({
          type: 'flags',
          path: this.display(e.path),
          seq: e.seq,
          uid: e.uid,
          flags: toFlags(e.flags),
          modseq: e.modseq === undefined ? undefined : String(e.modseq),
        }),
    );
    client.on('close', () => {
      if (this.closedByUs) this.emit({ type: 'closed' });
      else this.emit({ type: 'closed', reason: this.lostError().userMessage });
    });
  }

  async logout(): Promise<void> {
    this.closedByUs = true;
    const client = this.client;
    if (!client) return;
    try {
      if (client.usable) await client.logout();
    } catch {
      // Logging out of a connection that is already gone is not an error worth showing.
    } finally {
      client.close();
    }
  }

  /** Runs an imapflow call, turning throws and refusals (`false`) into TmailErrors. */
  private async call<T>(
    what: string,
    fn: (client: ImapFlow) => Promise<T>,
  ): Promise<Exclude<T, false>> {
    this.lastCommandError = null;
    let result: T;
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = fn(this.imap);
      // Once the deadline closed the connection, the command's own rejection has no reader.
      work.catch(() => {});
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(this.giveUp()), this.timeoutMs);
      });
      result = await Promise.race([work, deadline]);
    } catch (error) {
      if (error instanceof TmailError) throw error;
      if (isNoConnection(error) || this.client?.usable === false) throw this.lostError();
      const e = error as { responseStatus?: string; responseText?: string };
      if (e?.responseStatus === 'NO' || e?.responseStatus === 'BAD') {
        throw new TmailError(
          e.responseStatus === 'BAD' ? 'SERVER_BAD' : 'SERVER_NO',
          `The IMAP server refused to ${what}.`,
          {
            serverText: e.responseText,
            cause: error,
          },
        );
      }
      throw translateImapError(error, this.options.account);
    } finally {
      clearTimeout(timer);
    }
    if (result === false) {
      // imapflow answers `false` also when the connection died under the command
      // (a move among them): that is not the server saying no.
      if (this.client?.usable === false || this.loss.known) throw this.lostError();
      const refused = this.lastCommandError as { status?: string; text?: string } | null;
      throw new TmailError(
        refused?.status === 'BAD' ? 'SERVER_BAD' : 'SERVER_NO',
        `The IMAP server refused to ${what}.`,
        { serverText: refused?.text },
      );
    }
    return result as Exclude<T, false>;
  }

  async listFolders({ counts }: { counts: boolean }): Promise<Mailbox[]> {
    const entries = await this.call('list the folders', (c) =>
      c.list(counts ? { statusQuery: { messages: true, unseen: true } } : {}),
    );
    const naming = this.naming;
    return entries.map((entry) => toMailbox(entry, naming));
  }

  async folderCounts(path: string): Promise<{ total: number; unread: number }> {
    const status = await this.call(`read the counts of ${path}`, (c) =>
      c.status(this.server(path), { messages: true, unseen: true }),
    );
    return { total: status.messages ?? 0, unread: status.unseen ?? 0 };
  }

  async createFolder(path: string): Promise<void> {
    const name = this.server(path);
    await this.call(`create the folder ${path}`, (c) => c.mailboxCreate(name));
  }

  async renameFolder(path: string, newPath: string): Promise<void> {
    const from = this.server(path);
    const to = this.server(newPath);
    const wasSubscribed = (await this.listedExactly('LSUB', from, path)) !== null;
    await this.call(`rename the folder ${path}`, (c) => c.mailboxRename(from, to));
    // RENAME does not carry the subscription: Dovecot and Cyrus drop it, Courier
    // keeps the old name subscribed. Move it by hand so the folder stays shown.
    if (!wasSubscribed) return;
    await this.call(`subscribe to the folder ${newPath}`, (c) => c.mailboxSubscribe(to));
    try {
      await this.call(`unsubscribe from ${path}`, (c) => c.mailboxUnsubscribe(from));
    } catch (error) {
      // Servers that dropped the old subscription may refuse to drop it again.
      if (!(error instanceof TmailError) || !error.code.startsWith('SERVER_')) throw error;
    }
  }

  /**
   * The attributes of `path` as an LSUB or LIST of that one name answers, or
   * null when it is not there (imapflow's own LIST of one name loses it on
   * Courier, and listing every folder grows with the account). A name outside
   * ASCII is compared as the server spells it.
   */
  private async listedExactly(
    command: 'LIST' | 'LSUB',
    path: string,
    shown: string,
  ): Promise<string[] | null> {
    return this.call(`list the folder ${shown}`, async (c) => {
      let found: string[] | null = null;
      const response = await (c as unknown as ImapExec).exec(
        command,
        [
          { type: 'STRING', value: '' },
          { type: 'STRING', value: path },
        ],
        {
          untagged: {
            [command]: async (untagged) => {
              const attrs = untagged?.attributes ?? [];
              const name = (attrs[2] as ImapAttribute | undefined)?.value;
              if (name === undefined || String(name) !== path) return;
              const flags = Array.isArray(attrs[0]) ? (attrs[0] as ImapAttribute[]) : [];
              found = flags.map((flag) => String(flag.value));
            },
          },
        },
      );
      response.next();
      return { found };
    }).then((answer) => answer.found);
  }

  async deleteFolder(path: string): Promise<string[] | null> {
    const name = this.server(path);
    await this.call(`delete the folder ${path}`, (c) => c.mailboxDelete(name));
    // With subfolders, a server may keep the name as a \Noselect container.
    return this.listedExactly('LIST', name, path);
  }

  async select(path: string): Promise<FolderStatus> {
    // mailboxOpen issues SELECT directly; it never sends CLOSE, which would expunge.
    const name = this.server(path);
    const mailbox = await this.call(`open the folder ${path}`, (c) => c.mailboxOpen(name));
    return this.folderStatus(mailbox);
  }

  async resync(path: string, known: KnownFolderState): Promise<FolderResync> {
    const name = this.server(path);
    const qresync = this.enabled('QRESYNC') && known.highestModseq !== undefined;
    let mailbox: Awaited<ReturnType<ImapFlow['mailboxOpen']>>;
    let pushed: BackendEvent[] = [];
    if (qresync) {
      // SELECT path (QRESYNC (uidvalidity modseq)): changed flags come as FETCH
      // and removals as VANISHED (EARLIER) before the tagged OK. imapflow sends
      // no known-uids, so the server names every UID removed since that
      // MODSEQ; the ones the caller never held are dropped below.
      this.captured = [];
      try {
        mailbox = await this.call(`open the folder ${path}`, (c) =>
          c.mailboxOpen(name, {
            uidValidity: known.uidValidity,
            changedSince: known.highestModseq,
          }),
        );
      } finally {
        pushed = this.captured ?? [];
        this.captured = null;
      }
      // Pushes about another folder (the one selected before) still go to the listeners.
      const shown = this.display(mailbox.path);
      const mine = pushed.filter((event) => event.type !== 'closed' && event.path === shown);
      if (mine.length < pushed.length) {
        const kept = new Set(mine);
        for (const event of pushed) if (!kept.has(event)) this.emit(event);
      }
      pushed = mine;
    } else {
      mailbox = await this.call(`open the folder ${path}`, (c) => c.mailboxOpen(name));
    }
    const status = this.folderStatus(mailbox);
    if (status.uidValidity !== known.uidValidity) return { uidValidityChanged: true, status };
    const modseqs =
      known.highestModseq !== undefined &&
      status.highestModseq !== undefined &&
      !(mailbox as { noModseq?: boolean }).noModseq;
    if (qresync && modseqs && (mailbox as { qresync?: boolean }).qresync) {
      const changed = new Map<number, { flags: Flag[]; modseq?: string }>();
      const gone: number[] = [];
      for (const event of pushed) {
        if (event.type === 'flags' && event.uid !== undefined)
          changed.set(event.uid, { flags: event.flags, modseq: event.modseq });
        else if (event.type === 'expunge' && event.uid !== undefined) gone.push(event.uid);
      }
      return {
        uidValidityChanged: false,
        status,
        method: 'qresync',
        changed,
        vanished: intersectSorted(
          known.uids,
          [...new Set(gone)].sort((a, b) => a - b),
        ),
        added: [...changed.keys()].filter((uid) => uid >= known.uidNext).sort((a, b) => a - b),
      };
    }
    if (modseqs && this.enabled('CONDSTORE')) return this.resyncByModseq(status, known);
    return this.resyncByUids(status, known);
  }

  /** CONDSTORE without QRESYNC: changed flags by CHANGEDSINCE, removals by counting first. */
  private async resyncByModseq(
    status: FolderStatus,
    known: KnownFolderState,
  ): Promise<FolderResync> {
    const changed = new Map<number, { flags: Flag[]; modseq?: string }>();
    // An unchanged HIGHESTMODSEQ means no flag changed and nothing arrived; a
    // removal may not raise it without QRESYNC (RFC 7162 §3.1), so count anyway.
    if (status.highestModseq !== known.highestModseq && status.exists > 0) {
      const messages = await this.call('fetch changed flags', (c) =>
        c.fetchAll(
          '1:*',
          { uid: true, flags: true },
          { uid: true, changedSince: BigInt(known.highestModseq!) },
        ),
      );
      for (const message of messages) {
        changed.set(message.uid, {
          flags: toFlags(message.flags),
          modseq: message.modseq === undefined ? undefined : String(message.modseq),
        });
      }
    }
    // Every message that arrived since has a higher MODSEQ, so the FETCH named them all.
    const added = [...changed.keys()].filter((uid) => uid >= known.uidNext).sort((a, b) => a - b);
    const removed = known.exists - (status.exists - added.length);
    let vanished: number[] = [];
    if (removed !== 0 && known.uids.length && known.uidNext > 1) {
      const present = await this.searchOnce(undefined, `1:${known.uidNext - 1}`);
      vanished = missingFrom(known.uids, present);
    }
    return { uidValidityChanged: false, status, method: 'condstore', changed, vanished, added };
  }

  /** Neither CONDSTORE nor QRESYNC: compare the UID list; flags of the visible rows only. */
  private async resyncByUids(status: FolderStatus, known: KnownFolderState): Promise<FolderResync> {
    const uids = status.exists > 0 ? await this.searchOnce(undefined) : [];
    const vanished = missingFrom(known.uids, uids);
    const present = new Set(uids);
    const visible = known.visible.filter((uid) => present.has(uid));
    const changed = new Map<number, { flags: Flag[]; modseq?: string }>();
    if (visible.length) {
      for (const [uid, state] of await this.fetchFlagState(visible)) changed.set(uid, state);
    }
    const from = lowerBound(uids, known.uidNext);
    return {
      uidValidityChanged: false,
      status,
      method: 'uids',
      changed,
      vanished,
      added: uids.slice(from),
      uids,
    };
  }

  /**
   * A search or sort answers with at most as many UIDs as the folder holds:
   * a set from the server is never expanded beyond that (nor beyond
   * MAX_EXPANDED, whatever the folder claims).
   */
  private setLimit(): ExpandOptions {
    const mailbox = this.client?.mailbox;
    const exists = mailbox && typeof mailbox === 'object' ? mailbox.exists : 0;
    const { host, port } = this.options.account.imap;
    return { max: Math.min(exists, MAX_EXPANDED), server: `IMAP server ${host}:${port}` };
  }

  async searchUids(query?: SearchQuery): Promise<number[]> {
    if (query?.uids) {
      // Long lists of scattered UIDs make long command lines: search them in pieces.
      const found: number[] = [];
      for (const set of compressUids(query.uids))
        found.push(...(await this.searchOnce({ ...query, uids: undefined }, set)));
      return [...new Set(found)].sort((a, b) => a - b);
    }
    const found = await this.searchOnce(query);
    const from = query?.uidsFrom;
    return from === undefined ? found : found.filter((uid) => uid >= from);
  }

  private async searchOnce(query: SearchQuery | undefined, uidSet?: string): Promise<number[]> {
    const search = toSearchObject(query);
    if (uidSet) {
      delete search.all;
      search.uid = uidSet;
    }
    if (this.capabilities.has('ESEARCH')) {
      // ESEARCH answers with a compact set ("1:100000") instead of 100,000 numbers to parse.
      const result = await this.call('search', (c) =>
        c.search(search, { uid: true, returnOptions: ['ALL'] }),
      );
      const all = (result as { all?: string | number[] }).all;
      if (Array.isArray(all)) return all;
      return expandSequenceSet(typeof all === 'string' ? all : '', this.setLimit()).sort(
        (a, b) => a - b,
      );
    }
    const uids = (await this.call('search', (c) => c.search(search, { uid: true }))) as number[];
    // imapflow stops a plain SEARCH answer at the folder's size or 16.7 million numbers;
    // more than the folder holds is a server to refuse before the list grows from it.
    const { max, server } = this.setLimit();
    if (max !== undefined && uids.length > Math.max(max, 1)) {
      throw new TmailError(
        'PROTOCOL',
        `The ${server} answered with ${uids.length.toLocaleString('en-US')} or more messages where the folder holds ${max.toLocaleString('en-US')} at most; tmail did not read the answer.`,
      );
    }
    return uids.sort((a, b) => a - b);
  }

  /** Criteria for SORT/THREAD: ALL, or the UIDs a search found. */
  private async criteriaFor(query: SearchQuery | undefined): Promise<ImapAttribute[] | null> {
    if (!query) return [{ type: 'ATOM', value: 'ALL' }];
    const uids = await this.searchUids(query);
    if (!uids.length) return null;
    return [
      { type: 'ATOM', value: 'UID' },
      { type: 'SEQUENCE', value: compressUids(uids, Number.MAX_SAFE_INTEGER)[0]! },
    ];
  }

  async sortUids(order: SortOrder, query?: SearchQuery): Promise<number[] | null> {
    if (!serverSorts(this.capabilities, order.key)) return null;
    const criteria = await this.criteriaFor(query);
    if (!criteria) return [];
    const program = [
      ...(order.reverse ? [{ type: 'ATOM', value: 'REVERSE' }] : []),
      { type: 'ATOM', value: SORT_KEYS[order.key] },
    ];
    const esort = this.capabilities.has('ESORT');
    let uids: number[] = [];
    const attributes = [
      ...(esort ? [{ type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'ALL' }]] : []),
      program,
      { type: 'ATOM', value: 'UTF-8' },
      ...criteria,
    ];
    await this.call('sort', async (c) => {
      const response = await (c as unknown as ImapExec).exec('UID SORT', attributes, {
        untagged: {
          SORT: async (untagged) => {
            for (const attr of untagged?.attributes ?? []) {
              const uid = Number((attr as ImapAttribute).value);
              if (Number.isInteger(uid) && uid > 0) uids.push(uid);
            }
          },
          ESEARCH: async (untagged) => {
            const attrs = (untagged?.attributes ?? []) as Array<ImapAttribute | unknown[]>;
            for (let i = 0; i < attrs.length - 1; i++) {
              const attr = attrs[i] as ImapAttribute;
              if (
                !Array.isArray(attr) &&
                typeof attr.value === 'string' &&
                attr.value.toUpperCase() === 'ALL'
              ) {
                uids = expandSequenceSet(
                  String((attrs[i + 1] as ImapAttribute).value),
                  this.setLimit(),
                );
              }
            }
          },
        },
      });
      response.next();
      return true;
    });
    return uids;
  }

  async threadUids(query?: SearchQuery): Promise<ThreadNode[] | null> {
    if (!this.capabilities.has('THREAD=REFERENCES')) return null;
    const criteria = await this.criteriaFor(query);
    if (!criteria) return [];
    let threads: ThreadNode[] = [];
    await this.call('thread', async (c) => {
      const response = await (c as unknown as ImapExec).exec(
        'UID THREAD',
        [{ type: 'ATOM', value: 'REFERENCES' }, { type: 'ATOM', value: 'UTF-8' }, ...criteria],
        {
          untagged: {
            THREAD: async (untagged) => {
              threads = parseThreadList((untagged?.attributes ?? []) as unknown[]);
            },
          },
        },
      );
      response.next();
      return true;
    });
    return threads;
  }

  async fetchEnvelopes(target: EnvelopeTarget): Promise<Envelope[]> {
    const envelopes: Envelope[] = [];
    if ('uidsFrom' in target) {
      // `n:*` also matches the last message when n is past it (RFC 3501 §6.4.8): filter.
      const messages = await this.call('fetch new messages', (c) =>
        c.fetchAll(`${target.uidsFrom}:*`, ENVELOPE_QUERY, { uid: true }),
      );
      for (const message of messages)
        if (message.uid >= target.uidsFrom) envelopes.push(toEnvelope(message));
    } else if ('uids' in target) {
      for (const set of compressUids(target.uids)) {
        const messages = await this.call('fetch the message list', (c) =>
          c.fetchAll(set, ENVELOPE_QUERY, { uid: true }),
        );
        for (const message of messages) envelopes.push(toEnvelope(message));
      }
    } else {
      if (target.seqTo < target.seqFrom || target.seqTo < 1) return [];
      const range = `${Math.max(1, target.seqFrom)}:${target.seqTo}`;
      const messages = await this.call('fetch the message list', (c) =>
        c.fetchAll(range, ENVELOPE_QUERY),
      );
      for (const message of messages) envelopes.push(toEnvelope(message));
    }
    return envelopes;
  }

  async fetchPreviews(uids: number[]): Promise<Map<number, string>> {
    const previews = new Map<number, string>();
    if (!uids.length || !this.capabilities.has('PREVIEW')) return previews;
    for (const set of compressUids(uids)) {
      await this.call('fetch previews', async (c) => {
        const response = await (c as unknown as ImapExec).exec(
          'UID FETCH',
          [
            { type: 'SEQUENCE', value: set },
            [
              { type: 'ATOM', value: 'UID' },
              { type: 'ATOM', value: 'PREVIEW' },
            ],
          ],
          {
            untagged: {
              FETCH: async (untagged) => {
                const list = (untagged?.attributes?.[1] ?? []) as ImapAttribute[];
                let uid = 0;
                let preview = '';
                for (let i = 0; i < list.length - 1; i += 2) {
                  const key = String(list[i]?.value ?? '').toUpperCase();
                  if (key === 'UID') uid = Number(list[i + 1]?.value);
                  if (key === 'PREVIEW') preview = String(list[i + 1]?.value ?? '');
                }
                if (uid) previews.set(uid, preview);
              },
            },
          },
        );
        response.next();
        return true;
      });
    }
    return previews;
  }

  async fetchFlags(uids: number[]): Promise<Map<number, Flag[]>> {
    const flags = new Map<number, Flag[]>();
    for (const set of compressUids(uids)) {
      const messages = await this.call('fetch flags', (c) =>
        c.fetchAll(set, { uid: true, flags: true }, { uid: true }),
      );
      for (const message of messages) flags.set(message.uid, toFlags(message.flags));
    }
    return flags;
  }

  async fetchFlagState(uids: number[]): Promise<Map<number, { flags: Flag[]; modseq?: string }>> {
    const state = new Map<number, { flags: Flag[]; modseq?: string }>();
    for (const set of compressUids(uids)) {
      // imapflow adds MODSEQ to every FETCH once CONDSTORE is enabled.
      const messages = await this.call('fetch flags', (c) =>
        c.fetchAll(set, { uid: true, flags: true }, { uid: true }),
      );
      for (const message of messages) {
        state.set(message.uid, {
          flags: toFlags(message.flags),
          modseq: message.modseq === undefined ? undefined : String(message.modseq),
        });
      }
    }
    return state;
  }

  async storeFlags(
    uids: number[],
    add: Flag[],
    remove: Flag[],
    options: { unchangedSince?: string } = {},
  ): Promise<void> {
    const unchangedSince =
      options.unchangedSince === undefined ? undefined : BigInt(options.unchangedSince);
    for (const set of compressUids(uids)) {
      // .SILENT: the server need not echo 10,000 FETCH responses we already know the content of.
      if (add.length)
        await this.call('change flags', (c) =>
          c.messageFlagsAdd(set, add, { uid: true, silent: true, unchangedSince }),
        );
      // The add just raised these messages' MODSEQ: guarding the removal too would refuse it.
      if (remove.length)
        await this.call('change flags', (c) =>
          c.messageFlagsRemove(set, remove, {
            uid: true,
            silent: true,
            unchangedSince: add.length ? undefined : unchangedSince,
          }),
        );
    }
  }

  async copy(uids: number[], destination: string): Promise<UidMap> {
    const map: UidMap = new Map();
    const to = this.server(destination);
    for (const set of compressUids(uids)) {
      const result = await this.call(`copy to ${destination}`, (c) =>
        c.messageCopy(set, to, { uid: true }),
      );
      for (const [from, to] of result.uidMap ?? []) map.set(from, to);
    }
    return map;
  }

  async move(uids: number[], destination: string): Promise<UidMap> {
    // imapflow's own fallback without MOVE ends in a plain EXPUNGE, which removes every
    // \Deleted message of the folder: never let it run.
    if (!this.capabilities.has('MOVE'))
      throw new TmailError('INTERNAL', 'move() needs the MOVE capability.');
    const map: UidMap = new Map();
    const to = this.server(destination);
    for (const set of compressUids(uids)) {
      const result = await this.call(`move to ${destination}`, (c) =>
        c.messageMove(set, to, { uid: true }),
      );
      for (const [from, to] of result.uidMap ?? []) map.set(from, to);
    }
    return map;
  }

  async expunge(uids: number[]): Promise<void> {
    // Not imapflow's messageDelete: without UIDPLUS it sends a plain EXPUNGE.
    if (!this.capabilities.has('UIDPLUS'))
      throw new TmailError('INTERNAL', 'expunge() needs the UIDPLUS capability.');
    for (const set of compressUids(uids)) {
      await this.call('expunge', (c) => run(c, 'UID EXPUNGE', [{ type: 'SEQUENCE', value: set }]));
    }
  }

  async expungeAll(): Promise<void> {
    await this.call('expunge', (c) => run(c, 'EXPUNGE', false));
  }

  async append(path: string, raw: Buffer, flags: Flag[], date?: Date): Promise<number | undefined> {
    const name = this.server(path);
    const result = await this.call(`save the message to ${path}`, (c) =>
      c.append(name, raw, flags, date),
    );
    return result.uid;
  }

  async fetchSkeleton(uid: number): Promise<MessageSkeleton> {
    const message = await this.call('fetch the message', (c) =>
      fetchOneOrNull(
        c,
        String(uid),
        { uid: true, flags: true, size: true, bodyStructure: true, headers: true },
        { uid: true },
      ),
    );
    if (!message) {
      throw new TmailError(
        'MESSAGE_UNKNOWN',
        `There is no message with UID ${uid} in this folder.`,
      );
    }
    const header = message.headers ?? Buffer.alloc(0);
    // The message exists, but its BODYSTRUCTURE could not be read (imapflow
    // gives up on a message nested 1,000 levels deep): read the structure
    // from the message itself, or, when it is too large to fetch for that,
    // show it as one body of text.
    const structure = message.bodyStructure
      ? toBodyPart(message.bodyStructure)
      : (message.size ?? 0) <= STRUCTURE_FALLBACK_LIMIT
        ? structureFromSource(await this.fetchSource(uid))
        : { ...UNREADABLE_STRUCTURE, childNodes: [] };
    await this.decodeFileNames(uid, structure, header);
    return { uid, header, structure, size: message.size ?? 0, flags: toFlags(message.flags) };
  }

  /**
   * File names from BODYSTRUCTURE reach us through imapflow, which reads the
   * server's bytes as UTF-8: a raw Latin-1 byte in a name becomes U+FFFD
   * (and is then dropped from the saved file's name). Names that are not
   * plain ASCII are read again from the parts' own MIME headers, with the
   * decoder the reader uses; one FETCH for all of them, none for most mail.
   */
  private async decodeFileNames(uid: number, structure: BodyPart, header: Buffer): Promise<void> {
    const suspects: BodyPart[] = [];
    const walk = (part: BodyPart): void => {
      if (part.filename && /[^\x20-\x7e]/.test(part.filename) && part.part) suspects.push(part);
      part.childNodes.forEach(walk);
    };
    walk(structure);
    if (!suspects.length) return;
    // A single-part message's MIME header is the message header.
    const keys = suspects.filter((part) => part !== structure).map((part) => `${part.part}.MIME`);
    const heads = keys.length ? await this.fetchParts(uid, keys, 1024 * 1024) : new Map();
    for (const part of suspects) {
      const raw = part === structure ? header : heads.get(`${part.part}.MIME`);
      const name = raw ? fileNameFromHeader(raw) : null;
      if (name) part.filename = name;
    }
  }

  async fetchParts(uid: number, parts: string[], maxBytes: number): Promise<Map<string, Buffer>> {
    const result = new Map<string, Buffer>();
    // imapflow names parts as the server's response does (`text` for TEXT): key them as asked.
    const asked = new Map(parts.map((part) => [part.toUpperCase(), part]));
    // A few hundred parts per FETCH: one command naming 10,000 parts is
    // longer than servers accept ("IMAP command line too large").
    for (let from = 0; from < parts.length; from += PARTS_PER_FETCH) {
      const batch = parts.slice(from, from + PARTS_PER_FETCH);
      const message = await this.call('fetch the message text', (c) =>
        fetchOneOrNull(
          c,
          String(uid),
          { uid: true, bodyParts: batch.map((key) => ({ key, maxLength: maxBytes })) },
          { uid: true },
        ),
      );
      if (!message)
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `There is no message with UID ${uid} in this folder.`,
        );
      for (const [key, value] of message.bodyParts ?? new Map<string, Buffer>()) {
        result.set(asked.get(key.toUpperCase()) ?? key, value);
      }
    }
    return result;
  }

  async fetchSkeletons(
    uids: number[],
  ): Promise<Array<{ skeleton: MessageSkeleton; envelope: Envelope }>> {
    const out: Array<{ skeleton: MessageSkeleton; envelope: Envelope }> = [];
    for (const set of compressUids(uids)) {
      // The whole header (not only the list's fields): the reader decodes the message from it.
      const messages = await this.call('fetch the message list', (c) =>
        c.fetchAll(set, { ...ENVELOPE_QUERY, headers: true }, { uid: true }),
      );
      for (const message of messages) {
        // No BODYSTRUCTURE (see fetchSkeleton): left for reading, which copes with it.
        if (!message.bodyStructure) continue;
        const header = message.headers ?? Buffer.alloc(0);
        const structure = toBodyPart(message.bodyStructure);
        await this.decodeFileNames(message.uid, structure, header);
        out.push({
          envelope: toEnvelope(message),
          skeleton: {
            uid: message.uid,
            header,
            structure,
            size: message.size ?? 0,
            flags: toFlags(message.flags),
          },
        });
      }
    }
    return out;
  }

  async fetchPartsOf(
    uids: number[],
    parts: string[],
    maxBytes: number,
  ): Promise<Map<number, Map<string, Buffer>>> {
    const out = new Map<number, Map<string, Buffer>>();
    if (!parts.length) return out;
    const asked = new Map(parts.map((part) => [part.toUpperCase(), part]));
    for (const set of compressUids(uids)) {
      const messages = await this.call('fetch the message text', (c) =>
        c.fetchAll(
          set,
          { uid: true, bodyParts: parts.map((key) => ({ key, maxLength: maxBytes })) },
          { uid: true },
        ),
      );
      for (const message of messages) {
        const bodies = new Map<string, Buffer>();
        for (const [key, value] of message.bodyParts ?? new Map<string, Buffer>())
          bodies.set(asked.get(key.toUpperCase()) ?? key, value);
        out.set(message.uid, bodies);
      }
    }
    return out;
  }

  async fetchSource(uid: number): Promise<Buffer> {
    const message = await this.call('fetch the message', (c) =>
      fetchOneOrNull(c, String(uid), { uid: true, source: true }, { uid: true }),
    );
    if (!message || !message.source)
      throw new TmailError(
        'MESSAGE_UNKNOWN',
        `There is no message with UID ${uid} in this folder.`,
      );
    return message.source;
  }

  async fetchSources(uids: number[]): Promise<Map<number, Buffer>> {
    const out = new Map<number, Buffer>();
    for (const set of compressUids(uids)) {
      const messages = await this.call('fetch the messages', (c) =>
        c.fetchAll(set, { uid: true, source: true }, { uid: true }),
      );
      for (const message of messages) if (message.source) out.set(message.uid, message.source);
    }
    return out;
  }

  async downloadPart(uid: number, part: string): Promise<Readable> {
    const download = await this.call('download the attachment', (c) =>
      c.download(String(uid), part, { uid: true }),
    );
    if (!download || !download.content) {
      throw new TmailError('MESSAGE_UNKNOWN', `Part ${part} of message ${uid} could not be found.`);
    }
    // imapflow's stream errors on a dropped connection; pass it through a PassThrough so that
    // consumers get one error (saying why) and the original listeners stay attached. A
    // download that stops arriving for the timeout closes the connection like a command.
    const out = new PassThrough();
    let stall: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(stall);
      stall = setTimeout(() => out.destroy(this.giveUp()), this.timeoutMs);
    };
    const watchdog = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        watch();
        callback(null, chunk);
      },
    });
    watch();
    out.on('close', () => clearTimeout(stall));
    download.content.on('error', (error: unknown) => {
      clearTimeout(stall);
      out.destroy(
        isNoConnection(error) || this.client?.usable === false
          ? this.lostError()
          : translateImapError(error, this.options.account),
      );
    });
    const watched = download.content.pipe(watchdog);
    // imapflow decodes base64 and quoted-printable only; an x-uuencode part
    // would be saved still encoded.
    if (transferEncodingOf(download.meta?.encoding) === 'x-uuencode') {
      const decoder = createTransferDecoder('x-uuencode');
      decoder.on('error', (error: unknown) => out.destroy(error as Error));
      watched.pipe(decoder).pipe(out);
    } else watched.pipe(out);
    return out;
  }

  async poll(): Promise<void> {
    await this.call('check for new mail', (c) => c.noop().then(() => true));
  }
}

/** What SELECT told, in the engine's terms. */
function toFolderStatus(
  mailbox: Awaited<ReturnType<ImapFlow['mailboxOpen']>>,
  path: string,
): FolderStatus {
  return {
    path,
    uidValidity: String(mailbox.uidValidity),
    uidNext: mailbox.uidNext,
    exists: mailbox.exists,
    highestModseq: mailbox.highestModseq === undefined ? undefined : String(mailbox.highestModseq),
    permanentFlags: [...(mailbox.permanentFlags ?? [])],
  };
}

/**
 * fetchOne answers `false` both for a refusal and for a UID that does not
 * exist; the callers treat "no such message" themselves, so map it to null.
 */
async function fetchOneOrNull(
  client: ImapFlow,
  ...args: Parameters<ImapFlow['fetchOne']>
): Promise<Awaited<ReturnType<ImapFlow['fetchOne']>> | null> {
  return (await client.fetchOne(...args)) || null;
}

/** The slice of imapflow's internal command interface used for SORT, THREAD, PREVIEW and EXPUNGE. */
interface ImapExec {
  exec(
    command: string,
    attributes: unknown[] | false,
    options?: {
      untagged: Record<string, (untagged: { attributes?: unknown[] } | undefined) => Promise<void>>;
    },
  ): Promise<{ next(): void }>;
}

/** Runs a command imapflow has no method for (untagged answers reach its usual handlers). */
async function run(
  client: ImapFlow,
  command: string,
  attributes: unknown[] | false,
): Promise<true> {
  const response = await (client as unknown as ImapExec).exec(command, attributes);
  response.next();
  return true;
}
