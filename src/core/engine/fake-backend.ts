/**
 * An in-memory MailBackend for UI tests: folders and messages made from small
 * specs, with the same behaviour the engine relies on (UIDs, flags, moves,
 * pushes). Integration and end-to-end tests use the real servers instead.
 */
import { PassThrough, type Readable } from 'node:stream';
import { TmailError } from '../errors.js';
import type {
  BodyPart,
  Envelope,
  Flag,
  FolderRole,
  Mailbox,
  SearchQuery,
  SortOrder,
} from '../types.js';
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
} from './backend.js';
import { serverSorts } from './backend.js';

export interface FakeMessageSpec {
  subject?: string;
  from?: { name?: string; address: string };
  to?: Array<{ name?: string; address: string }>;
  cc?: Array<{ name?: string; address: string }>;
  date?: Date;
  text?: string;
  /** The body is this HTML (text/html) instead of `text`. */
  html?: string;
  flags?: Flag[];
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /** More header fields, as written (List-Post, Reply-To, Delivered-To ...). */
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
}

interface FakeMessage {
  uid: number;
  flags: Flag[];
  raw: Buffer;
  envelope: Envelope;
  structure: BodyPart;
  parts: Map<string, Buffer>;
}

interface FakeFolder {
  mailbox: Mailbox;
  uidValidity: string;
  uidNext: number;
  messages: FakeMessage[];
}

function header(value: string): string {
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=`;
}

function address(a: { name?: string; address: string }): string {
  return a.name ? `${header(a.name)} <${a.address}>` : a.address;
}

function buildMessage(uid: number, spec: FakeMessageSpec): FakeMessage {
  const date = spec.date ?? new Date(Date.UTC(2026, 0, 1) + uid * 3600_000);
  const from = spec.from ?? { name: 'Sender', address: 'sender@example.test' };
  const to = spec.to ?? [{ address: 'me@example.test' }];
  const subject = spec.subject ?? `Message ${uid}`;
  const messageId = spec.messageId ?? `<fake-${uid}@example.test>`;
  const text = spec.html ?? spec.text ?? `Body of message ${uid}.\n`;
  const textType = spec.html === undefined ? 'text/plain' : 'text/html';
  const lines = [
    `From: ${address(from)}`,
    `To: ${to.map(address).join(', ')}`,
    ...(spec.cc?.length ? [`Cc: ${spec.cc.map(address).join(', ')}`] : []),
    `Subject: ${header(subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    ...(spec.inReplyTo ? [`In-Reply-To: ${spec.inReplyTo}`] : []),
    ...(spec.references?.length ? [`References: ${spec.references.join(' ')}`] : []),
    ...Object.entries(spec.headers ?? {}).map(([key, value]) => `${key}: ${value}`),
    'MIME-Version: 1.0',
  ];
  const parts = new Map<string, Buffer>();
  let body: string;
  let structure: BodyPart;
  const textPart = (part: string): BodyPart => ({
    part,
    type: textType,
    parameters: { charset: 'utf-8' },
    encoding: 'base64',
    size: Buffer.byteLength(text),
    disposition: null,
    filename: null,
    contentId: null,
    childNodes: [],
  });
  const encodedText = Buffer.from(text).toString('base64');
  if (!spec.attachments?.length) {
    lines.push(`Content-Type: ${textType}; charset=utf-8`, 'Content-Transfer-Encoding: base64');
    body = encodedText;
    structure = textPart('1');
    parts.set('1', Buffer.from(encodedText));
  } else {
    const boundary = `fake-${uid}`;
    lines.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    const chunks = [
      `--${boundary}\r\nContent-Type: ${textType}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${encodedText}\r\n`,
    ];
    parts.set('1', Buffer.from(encodedText));
    const children = [textPart('1')];
    spec.attachments.forEach((attachment, index) => {
      const part = String(index + 2);
      const encoded = attachment.content.toString('base64');
      // As a server holds it: encoded, like the text part (downloads decode it).
      parts.set(part, Buffer.from(encoded));
      chunks.push(
        `--${boundary}\r\nContent-Type: ${attachment.contentType}; name="${attachment.filename}"\r\nContent-Disposition: attachment; filename="${attachment.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${encoded}\r\n`,
      );
      children.push({
        part,
        type: attachment.contentType,
        parameters: { name: attachment.filename },
        encoding: 'base64',
        size: encoded.length,
        disposition: 'attachment',
        filename: attachment.filename,
        contentId: null,
        childNodes: [],
      });
    });
    body = `${chunks.join('')}--${boundary}--\r\n`;
    structure = {
      part: '',
      type: 'multipart/mixed',
      parameters: { boundary },
      encoding: '7bit',
      size: 0,
      disposition: null,
      filename: null,
      contentId: null,
      childNodes: children,
    };
  }
  const raw = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}\r\n`);
  const envelope: Envelope = {
    uid,
    subject,
    from: [{ name: from.name ?? '', address: from.address }],
    to: to.map((a) => ({ name: a.name ?? '', address: a.address })),
    cc: (spec.cc ?? []).map((a) => ({ name: a.name ?? '', address: a.address })),
    replyTo: [],
    date: date.getTime(),
    arrival: date.getTime(),
    messageId,
    inReplyTo: spec.inReplyTo ?? '',
    ...(spec.references?.length ? { references: spec.references } : {}),
    flags: [...(spec.flags ?? [])],
    size: raw.length,
    hasAttachments: Boolean(spec.attachments?.length),
  };
  return { uid, flags: [...(spec.flags ?? [])], raw, envelope, structure, parts };
}

function matches(message: FakeMessage, query: SearchQuery | undefined): boolean {
  if (!query) return true;
  const e = message.envelope;
  const has = (hay: string, needle?: string) =>
    !needle || hay.toLowerCase().includes(needle.toLowerCase());
  const addresses = (list: Envelope['from']) => list.map((a) => `${a.name} ${a.address}`).join(' ');
  const text = message.raw.toString('utf8');
  return (
    has(addresses(e.from), query.from) &&
    has(addresses(e.to), query.to) &&
    has(addresses(e.cc), query.cc) &&
    has(e.subject, query.subject) &&
    has(text, query.body) &&
    has(`${e.subject} ${addresses(e.from)} ${text}`, query.text) &&
    (query.since === undefined || e.date >= query.since) &&
    (query.before === undefined || e.date < query.before) &&
    (query.flagged ?? []).every((f) => message.flags.includes(f)) &&
    (query.unflagged ?? []).every((f) => !message.flags.includes(f)) &&
    (query.uids === undefined || query.uids.includes(message.uid)) &&
    (query.uidsFrom === undefined || message.uid >= query.uidsFrom) &&
    (query.messageId === undefined || e.messageId === query.messageId)
  );
}

/** The shared "server" behind fake backends, so that reconnects see the same mail. */
export class FakeMailServer {
  readonly folders = new Map<string, FakeFolder>();
  private readonly sessions = new Set<FakeBackend>();
  /** When set, connect() fails with this error (to test offline behaviour). */
  refuseConnections: TmailError | null = null;
  /** When set, a download sends half its bytes and then fails with this error (a cut connection). */
  cutDownloads: TmailError | null = null;
  /** When set, copies and moves wait for it before they act (a slow server, for tests of what shows meanwhile). */
  stallCopies: Promise<void> | null = null;
  /** When set, searches wait for it before they answer; `searches` counts those asked. */
  stallSearches: Promise<void> | null = null;
  searches = 0;
  capabilities = new Set([
    'IMAP4REV1',
    'MOVE',
    'UIDPLUS',
    'ESEARCH',
    'SORT',
    'SORT=DISPLAY',
    'THREAD=REFERENCES',
    'LIST-STATUS',
  ]);

  constructor(folders: Array<{ path: string; role?: FolderRole }> = defaultFolders()) {
    for (const folder of folders) this.addFolder(folder.path, folder.role ?? null);
  }

  addFolder(path: string, role: FolderRole | null): void {
    const parts = path.split('/');
    this.folders.set(path, {
      mailbox: {
        path,
        name: parts.at(-1)!,
        delimiter: '/',
        parentPath: parts.length > 1 ? parts.slice(0, -1).join('/') : null,
        role,
        subscribed: true,
        selectable: true,
      },
      uidValidity: String(1000 + this.folders.size),
      uidNext: 1,
      messages: [],
    });
  }

  folder(path: string): FakeFolder {
    const folder = this.folders.get(path);
    if (!folder)
      throw new TmailError('SERVER_NO', 'The IMAP server refused to open the folder.', {
        serverText: 'Mailbox does not exist',
      });
    return folder;
  }

  /** Adds messages as if they had been delivered; open sessions hear about it. */
  deliver(path: string, specs: FakeMessageSpec[]): number[] {
    const folder = this.folder(path);
    const before = folder.messages.length;
    const uids = specs.map((spec) => {
      const message = buildMessage(folder.uidNext++, spec);
      folder.messages.push(message);
      return message.uid;
    });
    for (const session of this.sessions)
      session.notify({ type: 'exists', path, count: folder.messages.length, prevCount: before });
    return uids;
  }

  /** Another client changes flags. */
  setFlags(path: string, uid: number, flags: Flag[]): void {
    const message = this.folder(path).messages.find((m) => m.uid === uid);
    if (!message) return;
    message.flags = [...flags];
    for (const session of this.sessions)
      session.notify({ type: 'flags', path, seq: 0, uid, flags: [...flags] });
  }

  /** Another client expunges. */
  expunge(path: string, uids: number[]): void {
    const folder = this.folder(path);
    folder.messages = folder.messages.filter((m) => !uids.includes(m.uid));
    for (const session of this.sessions)
      for (const uid of uids) session.notify({ type: 'expunge', path, uid });
  }

  /** Drops every connection, as a network failure would. */
  dropConnections(): void {
    for (const session of [...this.sessions]) session.drop();
  }

  attach(session: FakeBackend): void {
    this.sessions.add(session);
  }

  detach(session: FakeBackend): void {
    this.sessions.delete(session);
  }
}

function defaultFolders(): Array<{ path: string; role?: FolderRole }> {
  return [
    { path: 'INBOX', role: 'inbox' },
    { path: 'Drafts', role: 'drafts' },
    { path: 'Sent', role: 'sent' },
    { path: 'Archive', role: 'archive' },
    { path: 'Junk', role: 'junk' },
    { path: 'Trash', role: 'trash' },
  ];
}

export class FakeBackend implements MailBackend {
  private readonly listeners = new Set<(event: BackendEvent) => void>();
  private current: string | null = null;
  private open = false;
  /** Commands this session ran, for tests that count server work. */
  readonly commands: string[] = [];

  constructor(private readonly server: FakeMailServer) {}

  get capabilities(): ReadonlySet<string> {
    return this.server.capabilities;
  }

  get selected(): string | null {
    return this.current;
  }

  notify(event: BackendEvent): void {
    if (!this.open) return;
    if (event.type !== 'closed' && event.path !== this.current) return;
    for (const listener of this.listeners) listener(event);
  }

  drop(): void {
    if (!this.open) return;
    this.open = false;
    this.server.detach(this);
    for (const listener of this.listeners)
      listener({ type: 'closed', reason: 'The connection to the fake server was lost.' });
  }

  private folder(): FakeFolder {
    if (!this.open)
      throw new TmailError('CONNECTION_LOST', 'The connection to the server is not open.');
    if (!this.current) throw new TmailError('SERVER_BAD', 'No folder is selected.');
    return this.server.folder(this.current);
  }

  private log(command: string): void {
    if (!this.open)
      throw new TmailError('CONNECTION_LOST', 'The connection to the server is not open.');
    this.commands.push(command);
  }

  async connect(): Promise<void> {
    if (this.server.refuseConnections) throw this.server.refuseConnections;
    this.open = true;
    this.server.attach(this);
  }

  async logout(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.server.detach(this);
    for (const listener of this.listeners) listener({ type: 'closed' });
  }

  onEvent(listener: (event: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async listFolders({ counts }: { counts: boolean }): Promise<Mailbox[]> {
    this.log('LIST');
    return [...this.server.folders.values()].map((f) => ({
      ...f.mailbox,
      ...(counts
        ? {
            total: f.messages.length,
            unread: f.messages.filter((m) => !m.flags.includes('\\Seen')).length,
          }
        : {}),
    }));
  }

  async folderCounts(path: string): Promise<{ total: number; unread: number }> {
    this.log('STATUS');
    const folder = this.server.folder(path);
    return {
      total: folder.messages.length,
      unread: folder.messages.filter((m) => !m.flags.includes('\\Seen')).length,
    };
  }

  async createFolder(path: string): Promise<void> {
    this.log('CREATE');
    if (this.server.folders.has(path))
      throw new TmailError('SERVER_NO', 'The IMAP server refused to create the folder.', {
        serverText: 'Mailbox already exists',
      });
    this.server.addFolder(path, null);
  }

  async renameFolder(path: string, newPath: string): Promise<void> {
    this.log('RENAME');
    const folder = this.server.folder(path);
    this.server.folders.delete(path);
    folder.mailbox = { ...folder.mailbox, path: newPath, name: newPath.split('/').at(-1)! };
    this.server.folders.set(newPath, folder);
  }

  async deleteFolder(path: string): Promise<string[] | null> {
    this.log('DELETE');
    this.server.folder(path);
    this.server.folders.delete(path);
    return null;
  }

  async select(path: string): Promise<FolderStatus> {
    this.log('SELECT');
    const folder = this.server.folder(path);
    this.current = path;
    return {
      path,
      uidValidity: folder.uidValidity,
      uidNext: folder.uidNext,
      exists: folder.messages.length,
      permanentFlags: ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\*'],
    };
  }

  /** The fake server has no MODSEQ: it re-syncs as a server without CONDSTORE would. */
  async resync(path: string, known: KnownFolderState): Promise<FolderResync> {
    const status = await this.select(path);
    if (status.uidValidity !== known.uidValidity) return { uidValidityChanged: true, status };
    const uids = await this.searchUids();
    const present = new Set(uids);
    const visible = known.visible.filter((uid) => present.has(uid));
    const flags = visible.length ? await this.fetchFlags(visible) : new Map<number, Flag[]>();
    return {
      uidValidityChanged: false,
      status,
      method: 'uids',
      changed: new Map([...flags].map(([uid, f]) => [uid, { flags: f }])),
      vanished: known.uids.filter((uid) => !present.has(uid)),
      added: uids.filter((uid) => uid >= known.uidNext),
      uids,
    };
  }

  async searchUids(query?: SearchQuery): Promise<number[]> {
    this.log('UID SEARCH');
    this.server.searches += 1;
    if (this.server.stallSearches) await this.server.stallSearches;
    return this.folder()
      .messages.filter((m) => matches(m, query))
      .map((m) => m.uid);
  }

  async sortUids(order: SortOrder, query?: SearchQuery): Promise<number[] | null> {
    if (!serverSorts(this.capabilities, order.key)) return null;
    this.log('UID SORT');
    const key = (m: FakeMessage): string | number => {
      switch (order.key) {
        case 'date':
          return m.envelope.date;
        case 'arrival':
          return m.uid;
        case 'size':
          return m.envelope.size;
        case 'from': {
          // DISPLAYFROM: the name, else the address.
          const first = m.envelope.from[0];
          return (first?.name || first?.address || '').toLowerCase();
        }
        case 'subject':
          return m.envelope.subject.replace(/^(re|fwd?):\s*/i, '').toLowerCase();
      }
    };
    const sorted = this.folder()
      .messages.filter((m) => matches(m, query))
      .sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        return ka < kb ? -1 : ka > kb ? 1 : a.uid - b.uid;
      })
      .map((m) => m.uid);
    return order.reverse ? sorted.reverse() : sorted;
  }

  async threadUids(query?: SearchQuery): Promise<ThreadNode[] | null> {
    if (!this.capabilities.has('THREAD=REFERENCES')) return null;
    this.log('UID THREAD');
    const messages = this.folder().messages.filter((m) => matches(m, query));
    const byId = new Map(
      messages.map((m) => [m.envelope.messageId, { uid: m.uid, children: [] as ThreadNode[] }]),
    );
    const roots: ThreadNode[] = [];
    for (const m of messages) {
      const node = byId.get(m.envelope.messageId)!;
      const parent = m.envelope.inReplyTo ? byId.get(m.envelope.inReplyTo) : undefined;
      if (parent && parent !== node) parent.children.push(node);
      else roots.push(node);
    }
    return roots;
  }

  async fetchEnvelopes(target: EnvelopeTarget): Promise<Envelope[]> {
    this.log('FETCH');
    const messages = this.folder().messages;
    let chosen: FakeMessage[];
    if ('uids' in target) {
      const wanted = new Set(target.uids);
      chosen = messages.filter((m) => wanted.has(m.uid));
    } else if ('uidsFrom' in target) {
      chosen = messages.filter((m) => m.uid >= target.uidsFrom);
    } else {
      chosen = messages.slice(Math.max(0, target.seqFrom - 1), target.seqTo);
    }
    return chosen.map((m) => ({ ...m.envelope, flags: [...m.flags] }));
  }

  async fetchPreviews(uids: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const m of this.folder().messages) {
      if (!uids.includes(m.uid)) continue;
      const text = Buffer.from((m.parts.get('1') ?? Buffer.alloc(0)).toString(), 'base64').toString(
        'utf8',
      );
      out.set(m.uid, text.replace(/\s+/g, ' ').trim().slice(0, 120));
    }
    return out;
  }

  async fetchFlags(uids: number[]): Promise<Map<number, Flag[]>> {
    this.log('FETCH FLAGS');
    const out = new Map<number, Flag[]>();
    for (const m of this.folder().messages) if (uids.includes(m.uid)) out.set(m.uid, [...m.flags]);
    return out;
  }

  async storeFlags(uids: number[], add: Flag[], remove: Flag[]): Promise<void> {
    this.log('UID STORE');
    for (const m of this.folder().messages) {
      if (!uids.includes(m.uid)) continue;
      m.flags = m.flags.filter((f) => !remove.includes(f));
      for (const f of add) if (!m.flags.includes(f)) m.flags.push(f);
    }
  }

  async copy(uids: number[], destination: string): Promise<UidMap> {
    this.log('UID COPY');
    if (this.server.stallCopies) await this.server.stallCopies;
    const target = this.server.folder(destination);
    const map: UidMap = new Map();
    for (const m of this.folder().messages) {
      if (!uids.includes(m.uid)) continue;
      const uid = target.uidNext++;
      target.messages.push({ ...m, uid, envelope: { ...m.envelope, uid }, flags: [...m.flags] });
      map.set(m.uid, uid);
    }
    return map;
  }

  async move(uids: number[], destination: string): Promise<UidMap> {
    if (!this.capabilities.has('MOVE'))
      throw new TmailError('SERVER_BAD', 'The IMAP server refused to move.');
    const map = await this.copy(uids, destination);
    this.log('UID MOVE');
    const folder = this.folder();
    folder.messages = folder.messages.filter((m) => !uids.includes(m.uid));
    return map;
  }

  async expunge(uids: number[]): Promise<void> {
    if (!this.capabilities.has('UIDPLUS'))
      throw new TmailError('SERVER_BAD', 'The IMAP server refused to expunge.');
    this.log('UID EXPUNGE');
    const folder = this.folder();
    folder.messages = folder.messages.filter(
      (m) => !(uids.includes(m.uid) && m.flags.includes('\\Deleted')),
    );
  }

  async expungeAll(): Promise<void> {
    this.log('EXPUNGE');
    const folder = this.folder();
    folder.messages = folder.messages.filter((m) => !m.flags.includes('\\Deleted'));
  }

  async append(path: string, raw: Buffer, flags: Flag[]): Promise<number | undefined> {
    this.log('APPEND');
    const folder = this.server.folder(path);
    const text = raw.toString('utf8');
    const subject = /^Subject: (.*)$/im.exec(text)?.[1] ?? '';
    const message = buildMessage(folder.uidNext++, { subject, flags });
    message.raw = raw;
    folder.messages.push(message);
    return message.uid;
  }

  private message(uid: number): FakeMessage {
    const message = this.folder().messages.find((m) => m.uid === uid);
    if (!message)
      throw new TmailError(
        'MESSAGE_UNKNOWN',
        `There is no message with UID ${uid} in this folder.`,
      );
    return message;
  }

  async fetchSkeleton(uid: number): Promise<MessageSkeleton> {
    this.log('FETCH BODYSTRUCTURE');
    const message = this.message(uid);
    const end = message.raw.indexOf('\r\n\r\n');
    return {
      uid,
      header: message.raw.subarray(0, end + 4),
      structure: message.structure,
      size: message.raw.length,
      flags: [...message.flags],
    };
  }

  async fetchParts(uid: number, parts: string[], maxBytes: number): Promise<Map<string, Buffer>> {
    this.log('FETCH BODY[]');
    const message = this.message(uid);
    const out = new Map<string, Buffer>();
    for (const part of parts) {
      const body = message.parts.get(part);
      if (body) out.set(part, body.subarray(0, maxBytes));
    }
    return out;
  }

  async fetchSkeletons(
    uids: number[],
  ): Promise<Array<{ skeleton: MessageSkeleton; envelope: Envelope }>> {
    this.log('FETCH BODYSTRUCTURE');
    const wanted = new Set(uids);
    return this.folder()
      .messages.filter((m) => wanted.has(m.uid))
      .map((m) => {
        const end = m.raw.indexOf('\r\n\r\n');
        return {
          envelope: { ...m.envelope, flags: [...m.flags] },
          skeleton: {
            uid: m.uid,
            header: m.raw.subarray(0, end + 4),
            structure: m.structure,
            size: m.raw.length,
            flags: [...m.flags],
          },
        };
      });
  }

  async fetchPartsOf(
    uids: number[],
    parts: string[],
    maxBytes: number,
  ): Promise<Map<number, Map<string, Buffer>>> {
    this.log('FETCH BODY[]');
    const wanted = new Set(uids);
    const out = new Map<number, Map<string, Buffer>>();
    for (const m of this.folder().messages) {
      if (!wanted.has(m.uid)) continue;
      const bodies = new Map<string, Buffer>();
      for (const part of parts) {
        const body = m.parts.get(part);
        if (body) bodies.set(part, body.subarray(0, maxBytes));
      }
      out.set(m.uid, bodies);
    }
    return out;
  }

  async fetchSource(uid: number): Promise<Buffer> {
    this.log('FETCH BODY[]');
    return this.message(uid).raw;
  }

  async fetchSources(uids: number[]): Promise<Map<number, Buffer>> {
    this.log('FETCH BODY[]');
    const wanted = new Set(uids);
    return new Map(
      this.folder()
        .messages.filter((m) => wanted.has(m.uid))
        .map((m) => [m.uid, m.raw] as const),
    );
  }

  async downloadPart(uid: number, part: string): Promise<Readable> {
    this.log('FETCH BINARY');
    const message = this.message(uid);
    const body = message.parts.get(part);
    if (!body)
      throw new TmailError('MESSAGE_UNKNOWN', `Part ${part} of message ${uid} could not be found.`);
    const stream = new PassThrough();
    const bytes = Buffer.from(body.toString(), 'base64');
    const cut = this.server.cutDownloads;
    if (cut) {
      stream.write(bytes.subarray(0, Math.ceil(bytes.length / 2)));
      setImmediate(() => stream.destroy(cut));
      return stream;
    }
    stream.end(bytes);
    return stream;
  }

  async poll(): Promise<void> {
    this.log('NOOP');
  }
}
