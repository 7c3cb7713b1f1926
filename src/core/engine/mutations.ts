/**
 * Mutations: flags, copy, move, delete, archive, expunge, append, undo, and
 * the offline queue.
 *
 * Changes are applied to the snapshot first and reverted if the server
 * refuses. Flag changes made while offline wait on disk (pending-flags.ts)
 * and are replayed on reconnect (replay-flags.ts); a move whose answer was
 * lost with the connection is settled on the server once back
 * (unsettled-moves.ts). Removal never expunges a message the user did not
 * ask to remove (removal.ts).
 */
import { TmailError, toTmailError } from '../errors.js';
import { DELETED, type Envelope, type Flag, type FolderRole } from '../types.js';
import type { ActionResults } from './actions.js';
import type { MailBackend, UidMap } from './backend.js';
import type { EngineContext, Link } from './context.js';
import type { FolderSync } from './folder-sync.js';
import {
  leftMarkedSentence,
  notFoundSentence,
  plural,
  type ChangeOutcome,
  type MoveOutcome,
} from './outcome.js';
import { isPendingMove, PendingFlagQueue, type PendingFlagChange } from './pending-flags.js';
import { describeRefusals, replayFolder, type Refusal } from './replay-flags.js';
import { replayMove } from './replay-moves.js';
import { expungeExactly, moveExactly } from './removal.js';
import {
  envelopeKey,
  outcomeUnknown,
  settledNotice,
  settleMove,
  type UnsettledMove,
} from './unsettled-moves.js';

/** How often offline changes the disk refused are written again. */
const UNSAVED_RETRY_MS = 30_000;
/** How often the queued count is read again while another process replays this account's changes. */
const FOLLOW_OTHERS_MS = 2000;
/** How many changes `undo` remembers. */
const UNDO_DEPTH = 50;

type UndoEntry =
  | {
      kind: 'flags';
      label: string;
      path: string;
      uidValidity: string;
      restore: Array<{ uids: number[]; add: Flag[]; remove: Flag[] }>;
    }
  | { kind: 'move'; label: string; from: string; to: string; uidMap: UidMap }
  | {
      /** A move made offline, still in the queue: undone by taking it out and showing the rows again. */
      kind: 'queued-move';
      label: string;
      id: string;
      path: string;
      uidValidity: string;
      uids: number[];
      /** The rows as they were, to put the moved ones back where they stood. */
      rows: readonly number[];
      envelopes: Envelope[];
    };

export class Mutations {
  private readonly pending: PendingFlagQueue;
  private unsavedTimer: NodeJS.Timeout | null = null;
  private othersTimer: NodeJS.Timeout | null = null;
  private readonly undoStack: UndoEntry[] = [];
  /** Moves cut off by a lost connection, checked on the server once reconnected. */
  private readonly unsettledMoves: UnsettledMove[] = [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly link: Link,
    private readonly folders: FolderSync,
    /** The file of the offline queue, shared by every tmail process of the account. */
    pendingFile: string,
  ) {
    this.pending = new PendingFlagQueue(pendingFile);
    this.emitQueued();
  }

  /** Writes what is queued to disk and stops retrying writes (on close). */
  stop(): void {
    if (this.unsavedTimer) clearInterval(this.unsavedTimer);
    if (this.othersTimer) clearInterval(this.othersTimer);
    this.pending.flush();
  }

  /**
   * Once reconnected, before anything else: sends the changes queued offline
   * and finds out what became of moves whose answer was lost.
   */
  async catchUp(b: MailBackend): Promise<void> {
    await this.replayPending(b);
    await this.settleMoves(b);
  }

  // ---------------------------------------------------------------- flags

  /** Flags after a change, per known envelope. */
  private applyFlagChange(
    path: string,
    uids: number[],
    add: Flag[],
    remove: Flag[],
  ): Map<number, Flag[]> {
    const view = this.ctx.state.view;
    const before = new Map<number, Flag[]>();
    if (!view || view.path !== path) return before;
    const changes: Array<{ uid: number; flags: Flag[] }> = [];
    for (const uid of uids) {
      const envelope = view.envelopes.get(uid);
      if (!envelope) continue;
      before.set(uid, envelope.flags);
      const flags = envelope.flags.filter((f) => !remove.includes(f));
      for (const f of add) if (!flags.includes(f)) flags.push(f);
      changes.push({ uid, flags });
    }
    if (changes.length) this.ctx.emit({ type: 'flags', path, changes });
    return before;
  }

  /** Adds and removes flags on messages of the open folder; queued on disk while offline. */
  async setFlags(
    uids: number[],
    add: Flag[],
    remove: Flag[],
    undoable: boolean,
    signal?: AbortSignal,
  ): Promise<{ queued: boolean } & ChangeOutcome> {
    const { path, uidValidity } = this.ctx.currentView();
    if (!uids.length || (!add.length && !remove.length))
      return { queued: false, done: [], notFound: [] };
    // Before the optimistic change forgets them: what the server's state was when the user decided.
    const modseqs = this.knownModseqs(uids);
    const before = this.applyFlagChange(path, uids, add, remove);
    const record = (changed: number[]) => {
      if (!undoable || !changed.length) return;
      this.pushUndo({
        kind: 'flags',
        label: 'flag change',
        path,
        uidValidity,
        restore: inverseFlagChanges(changed, add, remove, before),
      });
    };
    if (!this.link.current) {
      this.queueFlagChange(path, uidValidity, uids, add, remove, modseqs);
      record(uids);
      return { queued: true, done: uids, notFound: [] };
    }
    let found: number[];
    try {
      found = await this.link.task(async (b) => {
        // IMAP ignores UIDs that do not exist: ask which ones do, so the result is true.
        const present = await b.searchUids({ uids });
        if (present.length) {
          await b.storeFlags(present, add, remove);
          this.ctx.stats.storeCommands += 1;
        }
        return present;
      }, signal);
      // A fetch that ran between the optimistic change and the STORE may have put the
      // old flags back in the snapshot, and a .SILENT STORE echoes nothing: apply again.
      this.applyFlagChange(path, found, add, remove);
      this.folders.cacheFlagChange(path, found, add, remove);
    } catch (error) {
      const e = toTmailError(error);
      if (e.code === 'OFFLINE' || e.code === 'CONNECTION_LOST') {
        this.queueFlagChange(path, uidValidity, uids, add, remove, modseqs);
        record(uids);
        return { queued: true, done: uids, notFound: [] };
      }
      // The server refused: put the flags back as they were.
      this.ctx.emit({
        type: 'flags',
        path,
        changes: [...before].map(([uid, flags]) => ({ uid, flags })),
      });
      throw e;
    }
    const present = new Set(found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.folders.forgetGone(path, notFound);
    if (notFound.length)
      this.ctx.notice(found.length ? 'info' : 'error', notFoundSentence(notFound, path));
    record(found);
    return { queued: false, done: found, notFound };
  }

  /** MODSEQ of the shown messages among `uids`, where the server gave one (CONDSTORE). */
  private knownModseqs(uids: number[]): Record<string, string> | undefined {
    const envelopes = this.ctx.state.view?.envelopes;
    const out: Record<string, string> = {};
    let any = false;
    for (const uid of uids) {
      const modseq = envelopes?.get(uid)?.modseq;
      if (modseq === undefined) continue;
      out[uid] = modseq;
      any = true;
    }
    return any ? out : undefined;
  }

  /** Changes flags of one message in any folder (a draft once sent, an answered original). */
  async flagInFolder(
    folder: string,
    uid: number,
    add: Flag[],
    remove: Flag[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.ctx.state.view?.path === folder && this.folders.selectedPath === folder) {
      await this.setFlags([uid], add, remove, false, signal);
      return;
    }
    await this.folders.inFolder(folder, (b) => b.storeFlags([uid], add, remove), signal);
  }

  // ---------------------------------------------------------------- the offline queue

  private emitQueued(): void {
    this.ctx.emit({
      type: 'queued-changes',
      count: this.pending.size,
      unsaved: this.pending.unsavedCount,
    });
  }

  private queueFlagChange(
    folder: string,
    uidValidity: string,
    uids: number[],
    add: Flag[],
    remove: Flag[],
    modseqs?: Record<string, string>,
  ): void {
    const { error } = this.pending.add({
      folder,
      uidValidity,
      uids,
      add,
      remove,
      ...(modseqs ? { modseqs } : {}),
    });
    this.emitQueued();
    if (error) {
      this.ctx.notice(
        'error',
        `${error.userMessage.replace(/\.$/, '')}; tmail keeps it in memory, tries to save it again, and sends it when the connection is back.`,
      );
      this.retryUnsavedLater();
      return;
    }
    this.ctx.notice(
      'info',
      'Offline: the change is saved and will reach the server when the connection is back.',
    );
  }

  /**
   * Queues a move made offline and shows it done: the rows leave the list at
   * once, and the move reaches the server once, when the connection is back.
   */
  private queueMove(
    label: string,
    from: string,
    uidValidity: string,
    to: string,
    uids: number[],
  ): MoveOutcome {
    const view = this.ctx.state.view;
    const envelopes = uids.flatMap((uid) => view?.envelopes.get(uid) ?? []);
    const messageIds: Record<string, string> = {};
    for (const envelope of envelopes)
      if (envelope.messageId) messageIds[envelope.uid] = envelope.messageId;
    const rows = view?.path === from ? view.uids : [];
    const { entry, error } = this.pending.addMove({
      label,
      from,
      uidValidity,
      to,
      uids,
      messageIds,
    });
    this.folders.forgetUids(from, uids);
    this.pushUndo({
      kind: 'queued-move',
      label,
      id: entry.id,
      path: from,
      uidValidity,
      uids,
      rows,
      envelopes,
    });
    this.emitQueued();
    const what = `${label === 'delete' ? 'Deleted' : 'Moved'} ${plural(uids.length, 'message')}${label === 'delete' ? '' : ` to ${to}`}`;
    if (error) {
      this.ctx.notice(
        'error',
        `${error.userMessage.replace(/\.$/, '')}; tmail keeps the ${label} in memory, tries to save it again, and sends it when the connection is back.`,
      );
      this.retryUnsavedLater();
    } else {
      this.ctx.notice(
        'info',
        `${what} offline; the server gets it when the connection is back (u undoes).`,
      );
    }
    return { to, done: uids, notFound: [], leftMarked: [] };
  }

  /**
   * While another tmail process replays changes of this account (it claimed
   * them first), the queued count follows its progress instead of standing still.
   */
  private followOthers(): void {
    if (this.othersTimer) return;
    this.othersTimer = setInterval(() => {
      this.emitQueued();
      if (this.pending.size && this.link.current) return;
      if (this.othersTimer) clearInterval(this.othersTimer);
      this.othersTimer = null;
    }, FOLLOW_OTHERS_MS);
    this.othersTimer.unref?.();
  }

  /** Writes changes the disk refused again, every so often, until it takes them. */
  private retryUnsavedLater(): void {
    if (this.unsavedTimer) return;
    this.unsavedTimer = setInterval(() => {
      const error = this.pending.flush();
      if (!error) {
        if (this.unsavedTimer) clearInterval(this.unsavedTimer);
        this.unsavedTimer = null;
        this.ctx.notice('info', 'The offline changes are now saved on disk.');
      }
      this.emitQueued();
    }, UNSAVED_RETRY_MS);
    this.unsavedTimer.unref?.();
  }

  /**
   * Sends flag changes saved while offline, folder by folder. Changes are
   * claimed in the shared queue file first, so that another tmail process on
   * this account does not send them too; a lost connection keeps them for the
   * next one, and refusals are told with their reasons.
   */
  private async replayPending(b: MailBackend): Promise<void> {
    const claimed = this.pending.claim();
    if (!claimed.length) {
      this.emitQueued();
      if (this.pending.size) this.followOthers();
      return;
    }
    // Flags first: a message flagged and then moved offline is flagged where it was.
    const moves = claimed.filter(isPendingMove);
    const byFolder = new Map<string, PendingFlagChange[]>();
    for (const change of claimed) {
      if (isPendingMove(change)) continue;
      byFolder.set(change.folder, [...(byFolder.get(change.folder) ?? []), change]);
    }
    const leftMarked: string[] = [];
    const done: string[] = [];
    const kept: string[] = [];
    const refused: Refusal[] = [];
    let applied = 0;
    let lost = false;
    try {
      for (const [folder, list] of byFolder) {
        if (lost) {
          kept.push(...list.map((c) => c.id));
          continue;
        }
        const result = await replayFolder(b, folder, list);
        this.ctx.stats.storeCommands += result.stores;
        done.push(...result.done);
        kept.push(...result.kept);
        refused.push(...result.refused);
        applied += result.applied;
        if (result.lost) {
          lost = true;
          this.ctx.log.warn('offline changes kept: connection lost during replay', {
            code: result.lost.code,
          });
        }
      }
      for (const move of moves) {
        if (lost) {
          kept.push(move.id);
          continue;
        }
        const result = await replayMove(b, move);
        if (result.lost) {
          lost = true;
          kept.push(move.id);
          this.ctx.log.warn('offline move kept: connection lost during replay', {
            code: result.lost.code,
          });
          continue;
        }
        done.push(move.id);
        refused.push(...result.refused);
        applied += result.moved;
        const marked = leftMarkedSentence(result.leftMarked, move.from, move.to);
        if (marked) leftMarked.push(marked);
        this.folders.refreshCountsSoon(move.to);
        this.folders.refreshCountsSoon(move.from);
      }
    } finally {
      this.pending.settle(done, kept);
      this.folders.forgetSelection();
      this.emitQueued();
      if (!lost && this.pending.size) this.followOthers();
    }
    for (const r of refused)
      this.ctx.log.warn('offline change refused', {
        folder: r.folder,
        reason: r.reason,
        count: r.uids.length,
      });
    const refusedText = describeRefusals(refused);
    if (refusedText) this.ctx.notice('error', [refusedText, ...leftMarked].join(' '));
    else if (leftMarked.length) this.ctx.notice('info', leftMarked.join(' '));
    else if (!lost && applied)
      this.ctx.notice('info', 'Changes made while offline were sent to the server.');
  }

  // ---------------------------------------------------------------- moving and removing

  /** Deletes: to Trash, or marks \Deleted where the account says so or there is no Trash. */
  async deleteMessages(uids: number[], signal?: AbortSignal): Promise<ActionResults['delete']> {
    const { path } = this.ctx.currentView();
    const here = this.ctx.state.folders.find((f) => f.path === path);
    let trash: string | null = null;
    if (this.ctx.account.deleteMode !== 'mark' && here?.role !== 'trash') {
      trash = await this.folders.folderFor('trash', signal).catch(() => null);
    }
    if (!trash) {
      const result = await this.setFlags(uids, [DELETED], [], true, signal);
      return { moved: false, done: result.done, notFound: result.notFound };
    }
    return { moved: true, ...(await this.moveMessages(uids, trash, signal, 'delete')) };
  }

  /** Archives: to the archive folder, or out of this folder where All Mail keeps everything. */
  async archive(uids: number[], signal?: AbortSignal): Promise<MoveOutcome> {
    const allMail = await this.allMailInsteadOfArchive(signal);
    if (allMail) return this.removeIntoAllMail(uids, allMail, signal);
    const to = await this.folders.folderFor('archive', signal);
    return this.moveMessages(uids, to, signal);
  }

  /**
   * Gmail's way: a server with an \All folder (All Mail) and no archive folder
   * keeps every message there, whatever other folders (labels) hold it, so
   * archiving only removes the message from the folder it is in. Copying it to
   * All Mail would do nothing there but cost a round trip; moving would too.
   */
  private async allMailInsteadOfArchive(signal?: AbortSignal): Promise<string | null> {
    if (this.ctx.account.folders?.archive) return null;
    if (!this.ctx.state.foldersLoaded)
      await this.link.task((b) => this.folders.readFolders(b, 'all'), signal);
    if (this.ctx.state.folders.some((f) => f.role === 'archive')) return null;
    return this.ctx.state.folders.find((f) => f.role === 'all')?.path ?? null;
  }

  /** Archives on a server with All Mail: marks the messages \Deleted here and expunges just them. */
  private async removeIntoAllMail(
    uids: number[],
    allMail: string,
    signal?: AbortSignal,
  ): Promise<MoveOutcome> {
    const { path } = this.ctx.currentView();
    if (path === allMail) throw new TmailError('USAGE', `The messages are already in ${allMail}.`);
    const found = await this.link.task((b) => b.searchUids({ uids }), signal);
    const present = new Set(found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.folders.forgetGone(path, notFound);
    if (!found.length) return { to: allMail, done: [], notFound, leftMarked: [] };
    await this.setFlags(found, [DELETED], [], false, signal);
    const { leftMarked } = await this.expunge(found, signal);
    const kept = new Set(leftMarked);
    void this.folders.refreshCounts(allMail);
    return { to: allMail, done: found.filter((uid) => !kept.has(uid)), notFound, leftMarked };
  }

  async moveMessages(
    uids: number[],
    to: string,
    signal?: AbortSignal,
    label = 'move',
  ): Promise<MoveOutcome> {
    const { path, uidValidity } = this.ctx.currentView();
    if (to === path) throw new TmailError('USAGE', `The messages are already in ${to}.`);
    if (!uids.length) return { to, done: [], notFound: [], leftMarked: [] };
    if (!this.link.current) return this.queueMove(label, path, uidValidity, to, uids);
    const keys = new Map<number, string>();
    for (const uid of uids) {
      const envelope = this.ctx.state.view?.envelopes.get(uid);
      if (envelope) keys.set(uid, envelopeKey(envelope));
    }
    let outcome: { found: number[]; removed: number[]; leftMarked: number[]; uidMap: UidMap };
    try {
      outcome = await this.link.task(async (b) => {
        // IMAP ignores UIDs that do not exist: move only what is there, and say what was not.
        const found = await b.searchUids({ uids });
        return { found, ...(await moveExactly(b, found, to)) };
      }, signal);
    } catch (error) {
      const e = toTmailError(error);
      // Gone offline before the move was sent: it was not, so it can wait like any offline move.
      if (e.code === 'OFFLINE') return this.queueMove(label, path, uidValidity, to, uids);
      throw this.moveCutOff(e, { label, from: path, to, uids: [...uids], keys });
    }
    const present = new Set(outcome.found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.folders.forgetUids(path, outcome.removed);
    this.folders.forgetGone(path, notFound);
    // Copied, but still here marked \Deleted: the list shows them so.
    if (outcome.leftMarked.length) this.applyFlagChange(path, outcome.leftMarked, [DELETED], []);
    const removed = new Set(outcome.removed);
    const uidMap: UidMap = new Map([...outcome.uidMap].filter(([from]) => removed.has(from)));
    if (outcome.removed.length) this.pushUndo({ kind: 'move', label, from: path, to, uidMap });
    if (outcome.found.length) {
      this.folders.refreshCountsSoon(to);
      this.folders.refreshCountsSoon(path);
    }
    const sentences = [
      outcome.removed.length
        ? `${label === 'delete' ? 'Deleted' : 'Moved'} ${plural(outcome.removed.length, 'message')}${label === 'delete' ? '' : ` to ${to}`}; u undoes.`
        : '',
      leftMarkedSentence(outcome.leftMarked, path, to),
      notFoundSentence(notFound, path),
    ].filter(Boolean);
    this.ctx.notice(outcome.found.length ? 'info' : 'error', sentences.join(' '));
    return { to, done: outcome.found, notFound, leftMarked: outcome.leftMarked };
  }

  /**
   * A move whose answer never came may have been carried out: that is not a
   * refusal. The reader keeps it to look on the server once reconnected; the
   * CLI, which does not reconnect, says where to look.
   */
  private moveCutOff(e: TmailError, move: UnsettledMove): TmailError {
    if (!outcomeUnknown(e)) return e;
    const during = `${e.message.replace(/\.$/, '')}, during the ${move.label}`;
    if (!this.link.retrying) {
      return new TmailError(
        e.code,
        `${during}; the server may have carried it out: look with tmail list ${move.to}.`,
        { cause: e },
      );
    }
    this.unsettledMoves.push(move);
    return new TmailError(
      e.code,
      `${during}; tmail will check on the server what moved once it is back.`,
      { cause: e },
    );
  }

  /** Finds out what the server did with moves whose answer was lost, and tells the user. */
  private async settleMoves(b: MailBackend): Promise<void> {
    if (!this.unsettledMoves.length) return;
    for (const move of this.unsettledMoves.splice(0)) {
      let settled;
      try {
        settled = await settleMove(b, move);
      } catch (error) {
        this.ctx.notice('error', toTmailError(error).userMessage);
        continue;
      }
      // The list catches up in resyncView, which re-selects the open folder.
      this.folders.forgetSelection();
      if (settled.uidMap.size) {
        this.pushUndo({
          kind: 'move',
          label: move.label,
          from: move.from,
          to: move.to,
          uidMap: settled.uidMap,
        });
      }
      this.ctx.notice('info', settledNotice(move, settled));
    }
  }

  async copyMessages(
    uids: number[],
    to: string,
    signal?: AbortSignal,
  ): Promise<ChangeOutcome & { to: string }> {
    const { path } = this.ctx.currentView();
    if (!uids.length) return { to, done: [], notFound: [] };
    const found = await this.link.task(async (b) => {
      const present = await b.searchUids({ uids });
      if (present.length) await b.copy(present, to);
      return present;
    }, signal);
    const present = new Set(found);
    const notFound = uids.filter((uid) => !present.has(uid));
    this.folders.forgetGone(path, notFound);
    if (found.length) this.folders.refreshCountsSoon(to);
    const sentences = [
      found.length ? `Copied ${plural(found.length, 'message')} to ${to}.` : '',
      notFoundSentence(notFound, path),
    ].filter(Boolean);
    this.ctx.notice(found.length ? 'info' : 'error', sentences.join(' '));
    return { to, done: found, notFound };
  }

  /** How many messages of the open folder are marked \Deleted. */
  countDeleted(signal?: AbortSignal): Promise<number> {
    this.ctx.currentView();
    return this.link.task(async (b) => (await b.searchUids({ flagged: [DELETED] })).length, signal);
  }

  /**
   * Expunges the \Deleted messages of the open folder, or only those of `only`;
   * never a message outside them (see removal.ts).
   */
  async expunge(
    only: number[] | undefined,
    signal?: AbortSignal,
  ): Promise<{ count: number; leftMarked: number[] }> {
    const { path } = this.ctx.currentView();
    const { removed, leftMarked } = await this.link.task(async (b) => {
      const deleted = await b.searchUids({ flagged: [DELETED], ...(only ? { uids: only } : {}) });
      return expungeExactly(b, deleted);
    }, signal);
    this.folders.forgetUids(path, removed);
    this.folders.refreshCountsSoon(path);
    return { count: removed.length, leftMarked };
  }

  /** Removes one message for good (a postponed draft once sent), and nothing else. */
  async removeMessage(
    folder: string,
    uid: number,
    signal?: AbortSignal,
  ): Promise<ActionResults['remove-message']> {
    let leftMarked: number[];
    if (this.ctx.state.view?.path === folder && this.folders.selectedPath === folder) {
      await this.setFlags([uid], [DELETED], [], false, signal);
      ({ leftMarked } = await this.expunge([uid], signal));
    } else {
      ({ leftMarked } = await this.folders.inFolder(
        folder,
        async (b) => {
          await b.storeFlags([uid], [DELETED], []);
          return expungeExactly(b, [uid]);
        },
        signal,
      ));
    }
    if (!leftMarked.length) return { removed: true };
    const warning = `The old copy in ${folder} stays marked deleted until the next expunge: this server cannot remove it alone while other messages there are marked deleted.`;
    this.ctx.notice('info', warning);
    return { removed: false, warning };
  }

  /** Appends a message (a draft, a sent copy) to a folder or the folder with a role. */
  async append(
    folder: string | { role: FolderRole },
    raw: Buffer,
    flags: Flag[],
    signal?: AbortSignal,
  ): Promise<number | undefined> {
    const path =
      typeof folder === 'string' ? folder : await this.folders.folderFor(folder.role, signal);
    const uid = await this.link.task((b) => b.append(path, raw, flags), signal);
    if (path !== this.folders.selectedPath) void this.folders.refreshCounts(path);
    return uid;
  }

  // ---------------------------------------------------------------- undo

  private pushUndo(entry: UndoEntry): void {
    this.undoStack.push(entry);
    if (this.undoStack.length > UNDO_DEPTH) this.undoStack.shift();
    this.ctx.emit({ type: 'undo-label', label: entry.label });
  }

  /** Takes a move made offline out of the queue, if no replay has it yet, and shows its rows again. */
  private undoQueuedMove(entry: Extract<UndoEntry, { kind: 'queued-move' }>): { label: string } {
    if (!this.pending.withdraw(entry.id)) {
      throw new TmailError(
        'USAGE',
        `The ${entry.label} is on its way to the server already; undo it there once it is done.`,
      );
    }
    this.emitQueued();
    const view = this.ctx.state.view;
    if (view && view.path === entry.path && view.uidValidity === entry.uidValidity) {
      const restored = new Set(entry.uids);
      this.ctx.emit({ type: 'envelopes', path: entry.path, envelopes: entry.envelopes });
      this.ctx.emit({
        type: 'view-uids',
        path: entry.path,
        uids: putBack(view.uids, entry.rows, restored),
        complete: view.complete,
      });
    }
    this.ctx.notice('info', `Undid the ${entry.label}.`);
    return { label: entry.label };
  }

  async undo(signal?: AbortSignal): Promise<{ label: string } | null> {
    const entry = this.undoStack.pop();
    this.ctx.emit({ type: 'undo-label', label: this.undoStack.at(-1)?.label ?? null });
    if (!entry) return null;
    if (entry.kind === 'queued-move') return this.undoQueuedMove(entry);
    if (entry.kind === 'flags') {
      const view = this.ctx.state.view;
      if (!view || view.path !== entry.path || view.uidValidity !== entry.uidValidity) {
        throw new TmailError(
          'USAGE',
          'The last change was made in another folder; open it to undo.',
        );
      }
      for (const change of entry.restore) {
        this.applyFlagChange(entry.path, change.uids, change.add, change.remove);
      }
      await this.link.task(async (b) => {
        for (const change of entry.restore)
          await b.storeFlags(change.uids, change.add, change.remove);
      }, signal);
      return { label: entry.label };
    }
    if (!entry.uidMap.size) {
      throw new TmailError(
        'SERVER_NO',
        `The ${entry.label} cannot be undone: the server did not say where the messages went.`,
      );
    }
    await this.link.task(async (b) => {
      // Back to the folder that was selected, which need not be the one moved from.
      const back = this.folders.selectedPath ?? entry.from;
      await b.select(entry.to);
      let outcome;
      let status;
      try {
        outcome = await moveExactly(b, [...entry.uidMap.values()], entry.from);
      } finally {
        status = await this.folders.reselect(b, back);
      }
      // The messages come back with new UIDs, the highest of the folder: keep them
      // where they were in arrival order instead of on top.
      const original = new Map([...entry.uidMap].map(([from, to]) => [to, from]));
      const order = this.folders.restoredOrderOf(
        entry.from,
        back === entry.from ? status.uidValidity : undefined,
      );
      for (const [there, back2] of outcome.uidMap) {
        const was = original.get(there);
        if (was !== undefined) order.set(back2, order.get(was) ?? was);
      }
      if (this.ctx.state.view?.path === entry.from && back === entry.from)
        await this.folders.loadList(b);
    }, signal);
    this.folders.scheduleViewportFetch();
    this.folders.refreshCountsSoon(entry.to);
    this.folders.refreshCountsSoon(entry.from);
    this.ctx.notice('info', `Undid the ${entry.label}.`);
    return { label: entry.label };
  }
}

/**
 * `current` rows with `restored` put back where they stood in `before`: each
 * goes just before the first row that followed it then and is still there.
 */
function putBack(
  current: readonly number[],
  before: readonly number[],
  restored: ReadonlySet<number>,
): number[] {
  const at = new Map(before.map((uid, i) => [uid, i]));
  const back = before.filter((uid) => restored.has(uid));
  const out: number[] = [];
  let next = 0;
  for (const uid of current) {
    const position = at.get(uid);
    while (next < back.length && position !== undefined && at.get(back[next]!)! < position)
      out.push(back[next++]!);
    out.push(uid);
  }
  out.push(...back.slice(next));
  return out;
}

/**
 * The changes that undo a flag change: for UIDs whose flags were known, put
 * back exactly the touched flags they had; for the others, the inverse change.
 */
function inverseFlagChanges(
  uids: number[],
  add: Flag[],
  remove: Flag[],
  before: Map<number, Flag[]>,
): Array<{ uids: number[]; add: Flag[]; remove: Flag[] }> {
  const touched = [...new Set([...add, ...remove])];
  const groups = new Map<string, { uids: number[]; add: Flag[]; remove: Flag[] }>();
  for (const uid of uids) {
    const had = before.get(uid);
    const restoreAdd = had ? touched.filter((f) => had.includes(f)) : remove;
    const restoreRemove = had ? touched.filter((f) => !had.includes(f)) : add;
    const key = `${restoreAdd.join(' ')}|${restoreRemove.join(' ')}`;
    const group = groups.get(key) ?? { uids: [], add: restoreAdd, remove: restoreRemove };
    group.uids.push(uid);
    groups.set(key, group);
  }
  return [...groups.values()];
}
