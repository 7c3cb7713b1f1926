/**
 * Reading: a message's body for the reader, its attachments (saved, opened,
 * or read when they are messages themselves) and raw parts of any folder.
 *
 * Small messages are fetched whole (best fidelity); large ones part by part,
 * only the text parts and each capped. An attachment is downloaded by itself,
 * streamed to disk with progress events.
 *
 * With a local cache, a message read is kept with its view, and an attachment
 * opened or saved is kept when it is within `cache.attachmentMaxMB`; opening
 * or saving it again (online or not) uses the kept bytes. Offline, a message
 * or attachment not kept is one sentence.
 */
import { mkdir } from 'node:fs/promises';
import { pipeline, Readable, Transform } from 'node:stream';
import { TmailError } from '../errors.js';
import { SEEN, type Attachment, type BodyPart, type MessageView } from '../types.js';
import type { ActionResults } from './actions.js';
import type { MailBackend, MessageSkeleton } from './backend.js';
import type { EngineContext, Link } from './context.js';
import type { FolderSync } from './folder-sync.js';
import type { FolderKey, LocalMail } from './local-mail.js';

/** Messages up to this size are fetched whole to read (best fidelity); larger ones part by part. */
const WHOLE_MESSAGE_LIMIT = 256 * 1024;
/** Cap on each text part fetched to read a large message (and by the background prefetch). */
export const TEXT_PART_CAP = 512 * 1024;
/** Cap on an attached message fetched to be read. */
const ATTACHED_MESSAGE_CAP = 32 * 1024 * 1024;
/**
 * Tagged messages piped or saved are fetched this many to a UID FETCH: one
 * command for most selections, and no answer larger than 50 messages.
 */
export const SOURCES_CHUNK = 50;

/** MIME decoding loads on first use: mailparser costs start-up time a list does not need. */
function loadMime() {
  return import('../mime/index.js');
}
function loadSave() {
  return import('../mime/save.js');
}

/** An attachment kept in the local cache. */
interface KeptAttachment {
  filename: string;
  contentType: string;
  data: Buffer;
}

/** A size in MB as the setting gives it (`10 MB`, `0.5 MB`). */
function megabytes(bytes: number): string {
  return `${Number((bytes / (1024 * 1024)).toFixed(2))} MB`;
}

/** What the attachments of one message are read from, fetched once for all of them. */
interface AttachmentSource {
  skeleton: MessageSkeleton;
  /** The whole message, needed only for files uuencoded inside a text part. */
  source?: Buffer;
}

export class Reading {
  /** Private temp files of opened attachments, removed on close. */
  private readonly tempFiles: Array<() => Promise<void>> = [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly link: Link,
    private readonly folders: FolderSync,
    /** Marks a message of the open folder read (a mutation: it is queued while offline). */
    private readonly markSeen: (uid: number, signal?: AbortSignal) => Promise<unknown>,
    /** The account's local cache: messages read are kept there, and read from it offline. */
    private readonly local: LocalMail | null = null,
  ) {}

  /** Removes the temp files of opened attachments (on close). */
  async cleanup(): Promise<void> {
    await Promise.all(this.tempFiles.splice(0).map((cleanup) => cleanup().catch(() => {})));
  }

  /** A message of the open folder, decoded for the reader; marked read unless `peek`. */
  async read(uid: number, peek: boolean, signal?: AbortSignal): Promise<MessageView> {
    const folder = this.ctx.currentView();
    if (!this.link.current && this.local?.available) {
      // Offline: the message as it was read before, if it was.
      const cached = this.local.body(folder.path, uid);
      if (cached) return cached;
      // Still connecting (started from the cache): the server answers in a moment.
      if (this.ctx.state.connection.status !== 'connecting')
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `Message ${uid} of ${folder.path} is not in the local cache, and the server cannot be reached now.`,
        );
    }
    const { parseMessage } = await loadMime();
    const view = await this.link.task(async (b) => {
      const skeleton = await b.fetchSkeleton(uid);
      if (skeleton.size <= WHOLE_MESSAGE_LIMIT) {
        const source = await b.fetchSource(uid);
        return { message: await finishView(await parseMessage(source), skeleton), skeleton };
      }
      // Large: the header, the structure and only the text parts, each capped.
      const parts = await textPartsOf(skeleton.structure);
      const bodies = await b.fetchParts(uid, parts, TEXT_PART_CAP);
      return { message: await viewFromParts(skeleton, bodies), skeleton };
    }, signal);
    const message = view.message;
    this.local?.read(folder, uid, message);
    if (!peek && !view.skeleton.flags.includes(SEEN)) {
      await this.markSeen(uid, signal).catch(() => {});
    }
    return message;
  }

  /** The whole source of a message of the open folder. */
  source(uid: number, signal?: AbortSignal): Promise<Buffer> {
    return this.link.task((b) => b.fetchSource(uid), signal);
  }

  /**
   * The sources of messages of the open folder, in the order given: one UID
   * FETCH per SOURCES_CHUNK messages, not one per message. A message gone
   * from the folder fails the whole as `source` fails for it.
   */
  async sources(uids: readonly number[], signal?: AbortSignal): Promise<Buffer[]> {
    const found = new Map<number, Buffer>();
    for (let i = 0; i < uids.length; i += SOURCES_CHUNK) {
      const chunk = uids.slice(i, i + SOURCES_CHUNK);
      const got = await this.link.task((b) => b.fetchSources(chunk), signal);
      this.ctx.stats.sourceCommands++;
      for (const [uid, source] of got) found.set(uid, source);
    }
    return uids.map((uid) => {
      const source = found.get(uid);
      if (!source)
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `There is no message with UID ${uid} in this folder.`,
        );
      return source;
    });
  }

  /** The source of a message, or one decoded part of it, in any folder. */
  fetchRemote(
    folder: string,
    uid: number,
    part: string | undefined,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    return this.folders.inFolder(
      folder,
      async (b) => {
        if (!part) return b.fetchSource(uid);
        const chunks: Buffer[] = [];
        for await (const chunk of await b.downloadPart(uid, part)) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
      signal,
    );
  }

  /**
   * One attachment of a message as a stream of its decoded bytes: a MIME part
   * is downloaded by itself (the rest of the message stays on the server); a
   * file uuencoded inside a text part is cut out of that part.
   */
  private async attachmentStream(
    b: MailBackend,
    uid: number,
    attachmentId: string,
    from?: AttachmentSource,
  ): Promise<{ attachment: Attachment; stream: Readable }> {
    const mime = await loadMime();
    const message = from ?? { skeleton: await b.fetchSkeleton(uid) };
    const { skeleton } = message;
    const attachment = mime
      .attachmentsFromStructure(skeleton.structure)
      .find((a) => a.id === attachmentId);
    if (attachment) return { attachment, stream: await b.downloadPart(uid, attachmentId) };
    const partId = mime.attachmentPartId(attachmentId);
    const part = partId === attachmentId ? undefined : mime.findPart(skeleton.structure, partId);
    if (part) {
      const source = (message.source ??= await b.fetchSource(uid));
      const view = await mime.parseMessage(source);
      const listed = view.attachments.find((a) => a.id === attachmentId);
      if (listed) {
        return {
          attachment: listed,
          stream: Readable.from([mime.attachmentFromSource(source, attachmentId)]),
        };
      }
    }
    throw new TmailError('MESSAGE_UNKNOWN', `Message ${uid} has no attachment ${attachmentId}.`);
  }

  /**
   * Hands one attachment's decoded bytes to `consume`, counted into progress
   * events (`Saving name.pdf`); the progress is cleared however it ends.
   */
  private async withAttachment<T>(
    b: MailBackend,
    uid: number,
    attachmentId: string,
    verb: string,
    consume: (attachment: Attachment, stream: Readable) => Promise<T>,
    from?: AttachmentSource,
  ): Promise<T> {
    const { attachment, stream } = await this.attachmentStream(b, uid, attachmentId, from);
    const view = this.ctx.state.view;
    const keeper = view ? this.keeper() : null;
    try {
      const counter = this.progressOf(`${verb} ${attachment.filename}`, attachment.size);
      // pipeline, not pipe: a connection cut mid-transfer must reach the consumer as an
      // error (pipe drops it, and the unhandled 'error' event ended the whole program).
      const result = await consume(
        attachment,
        keeper
          ? pipeline(stream, counter, keeper.through, () => {})
          : pipeline(stream, counter, () => {}),
      );
      if (keeper && view) keeper.keep(view, uid, attachmentId, attachment);
      return result;
    } finally {
      this.ctx.emit({ type: 'progress', progress: null });
    }
  }

  /** Counts bytes through a stream into progress events named `label`. */
  private progressOf(label: string, total: number): Transform {
    let done = 0;
    let lastReport = 0;
    this.ctx.emit({ type: 'progress', progress: { label, done: 0, total } });
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        done += chunk.length;
        if (done - lastReport > 256 * 1024) {
          lastReport = done;
          this.ctx.emit({ type: 'progress', progress: { label, done, total } });
        }
        callback(null, chunk);
      },
    });
  }

  /** Saves one attachment into `dir`; resolves to the file written. */
  async saveAttachment(
    uid: number,
    attachmentId: string,
    dir: string,
    signal?: AbortSignal,
  ): Promise<string> {
    await makeDownloadDir(dir);
    const kept = this.kept(uid, attachmentId);
    if (kept) return this.saveKept(kept, dir);
    this.needServer(uid, attachmentId);
    return this.link.task((b) => this.saveFrom(b, uid, attachmentId, dir), signal);
  }

  /**
   * Saves every attachment the reader lists for a message (inline parts too) into
   * `dir`, with one body structure (and at most one whole message) fetched for all.
   */
  async saveAllAttachments(uid: number, dir: string, signal?: AbortSignal): Promise<string[]> {
    const view = await this.read(uid, true, signal);
    await makeDownloadDir(dir);
    const kept = new Map<string, KeptAttachment>();
    for (const attachment of view.attachments) {
      const found = this.kept(uid, attachment.id);
      if (found) kept.set(attachment.id, found);
    }
    const missing = view.attachments.find((a) => !kept.has(a.id));
    if (!missing) {
      const saved: string[] = [];
      for (const attachment of view.attachments)
        saved.push(await this.saveKept(kept.get(attachment.id)!, dir));
      return saved;
    }
    this.needServer(uid, missing.id);
    return this.link.task(async (b) => {
      const from: AttachmentSource = { skeleton: await b.fetchSkeleton(uid) };
      const saved: string[] = [];
      for (const attachment of view.attachments) {
        const found = kept.get(attachment.id);
        saved.push(
          found
            ? await this.saveKept(found, dir)
            : await this.saveFrom(b, uid, attachment.id, dir, from),
        );
      }
      return saved;
    }, signal);
  }

  /** Saves an attachment kept in the local cache into `dir`; the file written. */
  private async saveKept(kept: KeptAttachment, dir: string): Promise<string> {
    const { saveAttachmentStream } = await loadSave();
    return saveAttachmentStream(dir, kept.filename, Readable.from([kept.data]));
  }

  /** An attachment of a message of the open folder kept in the local cache, or null. */
  private kept(uid: number, attachmentId: string): KeptAttachment | null {
    const view = this.ctx.state.view;
    if (!view || !this.local?.available) return null;
    return this.local.attachment(view.path, uid, attachmentId);
  }

  /**
   * Offline with a local cache, an attachment it does not hold is one sentence
   * saying why; still connecting, the server answers in a moment.
   */
  private needServer(uid: number, attachmentId: string): void {
    const local = this.local;
    const view = this.ctx.state.view;
    if (this.link.current || !local?.available || !view) return;
    if (this.ctx.state.connection.status === 'connecting') return;
    const listed = local.body(view.path, uid)?.attachments.find((a) => a.id === attachmentId);
    const name = listed
      ? `The attachment ${listed.filename}`
      : `Attachment ${attachmentId} of message ${uid}`;
    const cap = local.attachmentMaxBytes;
    const why =
      cap <= 0
        ? 'is not kept for reading offline (cache.attachmentMaxMB is 0)'
        : listed && listed.size > cap
          ? `is larger than the ${megabytes(cap)} kept for reading offline`
          : 'is not in the local cache (attachments are kept once opened or saved)';
    throw new TmailError(
      'MESSAGE_UNKNOWN',
      `${name} ${why}, and the server cannot be reached now.`,
    );
  }

  /**
   * Collects an attachment's bytes as they pass to the disk, to keep them in
   * the local cache when they are within its cap (bytes past it are not held).
   */
  private keeper(): {
    through: Transform;
    keep(folder: FolderKey, uid: number, part: string, attachment: Attachment): void;
  } | null {
    const local = this.local;
    const cap = local?.available ? local.attachmentMaxBytes : 0;
    if (!local || cap <= 0) return null;
    let chunks: Buffer[] | null = [];
    let size = 0;
    return {
      through: new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (chunks && size <= cap) chunks.push(chunk);
          else chunks = null;
          callback(null, chunk);
        },
      }),
      keep(folder, uid, part, attachment) {
        if (!chunks) return;
        local.keepAttachment(folder, uid, part, {
          filename: attachment.filename,
          contentType: attachment.contentType,
          data: Buffer.concat(chunks),
        });
      },
    };
  }

  /** Streams one attachment into `dir` under a safe name, with progress; the file written. */
  private async saveFrom(
    b: MailBackend,
    uid: number,
    attachmentId: string,
    dir: string,
    from?: AttachmentSource,
  ): Promise<string> {
    const { saveAttachmentStream } = await loadSave();
    return this.withAttachment(
      b,
      uid,
      attachmentId,
      'Saving',
      (attachment, stream) => saveAttachmentStream(dir, attachment.filename, stream),
      from,
    );
  }

  /**
   * Puts an attachment in a private temp file (a 0700 directory, removed when
   * tmail closes) and picks the program for it: a mailcap entry, else the
   * desktop's opener. The caller runs it, handing over the terminal first when
   * the program needs one.
   */
  async openAttachment(
    uid: number,
    attachmentId: string,
    signal?: AbortSignal,
  ): Promise<ActionResults['open-attachment']> {
    const [{ chooseOpener, runOpener, pagerText }, { writePrivateTempFile }] = await Promise.all([
      loadMime(),
      loadSave(),
    ]);
    const kept = this.kept(uid, attachmentId);
    if (!kept) this.needServer(uid, attachmentId);
    const file = kept
      ? {
          ...(await writePrivateTempFile(kept.filename, Readable.from([kept.data]), { signal })),
          contentType: kept.contentType,
        }
      : await this.link.task(
          (b) =>
            this.withAttachment(b, uid, attachmentId, 'Fetching', async (attachment, stream) => ({
              ...(await writePrivateTempFile(attachment.filename, stream, { signal })),
              contentType: attachment.contentType,
            })),
          signal,
        );
    this.tempFiles.push(file.cleanup);
    const choice = chooseOpener(file.contentType, file.path);
    const text = await pagerText(file.contentType, file.path, choice);
    if (text !== null) return { path: file.path, needsTerminal: false, text, run: async () => {} };
    if (!choice) {
      throw new TmailError(
        'FILE_ERROR',
        `No program is set up to open ${file.contentType}; save it with s, or add a mailcap entry for it.`,
      );
    }
    return {
      path: file.path,
      needsTerminal: choice.kind === 'mailcap' && choice.needsTerminal,
      run: () => runOpener(choice, file.path),
    };
  }

  /** An attached message (message/rfc822 part), decoded for reading. */
  async readAttached(
    uid: number,
    attachmentId: string,
    signal?: AbortSignal,
  ): Promise<MessageView> {
    const { findPart, parseMessagePart } = await loadMime();
    return this.link.task(async (b) => {
      const skeleton = await b.fetchSkeleton(uid);
      const part = findPart(skeleton.structure, attachmentId);
      if (!part || part.type !== 'message/rfc822') {
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `Attachment ${attachmentId} of message ${uid} is not a message.`,
        );
      }
      const raw = (await b.fetchParts(uid, [attachmentId], ATTACHED_MESSAGE_CAP)).get(attachmentId);
      if (!raw)
        throw new TmailError(
          'MESSAGE_UNKNOWN',
          `Attachment ${attachmentId} of message ${uid} is empty.`,
        );
      return { ...(await parseMessagePart(raw, part.encoding)), uid };
    }, signal);
  }
}

/** The parts reading fetches of a message it does not fetch whole: its text parts. */
export async function textPartsOf(structure: BodyPart): Promise<string[]> {
  const { chooseTextParts } = await loadMime();
  return chooseTextParts(structure).map((p) => p.part);
}

/**
 * The reader's view of a message from its header, structure and text parts
 * (those `textPartsOf` names, each fetched capped at TEXT_PART_CAP): how
 * reading decodes a large message, and what the background prefetch keeps.
 */
export async function viewFromParts(
  skeleton: MessageSkeleton,
  parts: Map<string, Buffer>,
): Promise<MessageView> {
  const { messageFromParts } = await loadMime();
  const message = await messageFromParts({
    uid: skeleton.uid,
    header: skeleton.header,
    structure: skeleton.structure,
    parts,
  });
  return finishView(message, skeleton);
}

/** The view with its UID, and attachments listed by IMAP part number. */
async function finishView(message: MessageView, skeleton: MessageSkeleton): Promise<MessageView> {
  const { attachmentsFromStructure, mergeAttachmentSizes } = await loadMime();
  // Attachment ids are IMAP part numbers, so that saving can fetch exactly one part.
  return {
    ...message,
    uid: skeleton.uid,
    attachments: mergeAttachmentSizes(
      attachmentsFromStructure(skeleton.structure),
      message.attachments,
    ),
  };
}

/** Creates the folder attachments are saved into (and its parents) when it is missing. */
async function makeDownloadDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new TmailError('FILE_ERROR', `The folder ${dir} cannot be created; choose another one.`, {
      cause: error,
    });
  }
}
