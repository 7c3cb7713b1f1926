/**
 * The background body prefetch (issue 16, setting `cache.prefetchBodies`):
 * once a folder is open online, the text of its newest N messages not yet in
 * the local cache is fetched and kept there, so that they read offline and
 * their words are found by a search across folders.
 *
 * It is the least important work on the connection, so it is cut into small
 * queue tasks, each one UID FETCH for many messages, and the next task is
 * queued only when the last is done: a command the user gives meanwhile waits
 * for at most the one task under way (as the folder counts do). Per group of
 * messages, one FETCH reads the header, structure and envelope; then one FETCH
 * per set of messages with the same text parts reads only those parts, each
 * capped as reading caps them, never an attachment. The parts are decoded as
 * reading decodes a large message (reading.ts viewFromParts), so what is kept
 * is what reading would keep.
 *
 * New mail arriving in the open folder starts it again (when it is not
 * running already), so the newest N stay covered in a long session.
 *
 * It stops when another folder is opened, the connection drops, the engine
 * closes, or the next text would push the store over its size cap (which
 * would drop bodies read before to make room for ones never asked for).
 * Nothing is shown while it runs.
 */
import type { MessageView } from '../types.js';
import type { MailBackend, MessageSkeleton } from './backend.js';
import type { EngineContext, Link } from './context.js';
import type { FolderSync } from './folder-sync.js';
import type { FolderKey, LocalMail } from './local-mail.js';
import { TEXT_PART_CAP, textPartsOf, viewFromParts } from './reading.js';

/** Room an envelope takes in the store with its index entry, about. */
const ENVELOPE_BYTES = 2048;
/** Messages whose header and structure one task reads. */
const SKELETONS_PER_TASK = 25;
/** Limits of one text task: messages, and text bytes asked for (about; at least one message). */
export const TEXT_FETCH_LIMITS: TextFetchLimits = {
  maxMessages: 25,
  maxBytes: 512 * 1024,
  /** A message with more text than this is left for reading, which fetches it when opened. */
  messageMaxBytes: 1024 * 1024,
};

/** How text fetches are cut. */
export interface TextFetchLimits {
  maxMessages: number;
  maxBytes: number;
  messageMaxBytes: number;
}

/** One message to fetch the text of: its text parts and how many bytes they are (capped). */
export interface TextNeed {
  uid: number;
  parts: string[];
  bytes: number;
}

/** One UID FETCH of the same parts of several messages. */
export interface TextFetch {
  uids: number[];
  parts: string[];
}

/**
 * The newest `count` UIDs of a folder (the highest: newest by arrival), newest
 * first, leaving out those whose text is kept already.
 */
export function newestWithoutText(
  ascending: readonly number[],
  count: number,
  hasText: (uids: number[]) => ReadonlySet<number>,
): number[] {
  if (count <= 0 || !ascending.length) return [];
  const newest = ascending.slice(-count).reverse();
  const kept = hasText(newest);
  return newest.filter((uid) => !kept.has(uid));
}

/**
 * Groups messages with the same text parts into fetches, each of at most
 * `maxMessages` messages and about `maxBytes` bytes of text (one message
 * larger than that is a fetch alone), in the order the messages come. A
 * message with more text than `messageMaxBytes` is skipped; one without text
 * parts needs no fetch (`none`).
 */
export function planTextFetches(
  needs: readonly TextNeed[],
  limits: TextFetchLimits,
): { fetches: TextFetch[]; none: number[]; skipped: number[] } {
  const none: number[] = [];
  const skipped: number[] = [];
  const open = new Map<string, { fetch: TextFetch; bytes: number }>();
  const fetches: TextFetch[] = [];
  for (const need of needs) {
    if (!need.parts.length) {
      none.push(need.uid);
      continue;
    }
    if (need.bytes > limits.messageMaxBytes) {
      skipped.push(need.uid);
      continue;
    }
    const key = need.parts.join(' ');
    let group = open.get(key);
    if (
      group &&
      (group.fetch.uids.length >= limits.maxMessages || group.bytes + need.bytes > limits.maxBytes)
    )
      group = undefined;
    if (!group) {
      group = { fetch: { uids: [], parts: need.parts }, bytes: 0 };
      open.set(key, group);
      fetches.push(group.fetch);
    }
    group.fetch.uids.push(need.uid);
    group.bytes += need.bytes;
  }
  return { fetches, none, skipped };
}

/** One run of the prefetch: a folder at one UIDVALIDITY on one connection. */
interface Run {
  backend: MailBackend;
  key: FolderKey;
  /** UIDs whose structure is still to be read, newest first. */
  pending: number[];
  /** Text fetches planned and not yet made. */
  fetches: TextFetch[];
  skeletons: Map<number, MessageSkeleton>;
}

export class BodyPrefetch {
  private run: Run | null = null;
  private enabled = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly link: Link,
    private readonly folders: FolderSync,
    private readonly local: LocalMail | null,
  ) {}

  /** True while a run is under way (tests wait for it to end). */
  get running(): boolean {
    return this.run !== null;
  }

  /** Lets it run: only an engine that keeps working in the background (the reader), not a one-shot command. */
  enable(): void {
    this.enabled = true;
  }

  /** Stops the run under way, if any (another folder is being opened; the engine closes). */
  stop(): void {
    this.run = null;
  }

  /**
   * New mail arrived in the open folder: it is among the newest now. A run
   * under way goes on as planned (the next opening takes the rest in); else
   * a new run fetches what is missing.
   */
  more(): void {
    if (!this.run) this.start();
  }

  /** Starts fetching the texts the open folder's newest messages lack (after it was opened or caught up). */
  start(): void {
    this.run = null;
    const local = this.local;
    const count = local?.prefetchBodies ?? 0;
    const backend = this.link.current;
    const selected = this.folders.selectedStatus;
    const uids = this.folders.selectedUids;
    if (!this.enabled || !local || count <= 0 || !backend || this.link.closed) return;
    if (!selected || !uids || this.ctx.state.view?.path !== selected.path) return;
    const key = { path: selected.path, uidValidity: selected.uidValidity };
    const pending = newestWithoutText(uids, count, (newest) => {
      const state = local.bodyState(key.path, newest);
      return new Set(newest.filter((uid) => state.get(uid) === true));
    });
    if (!pending.length) return;
    const run: Run = { backend, key, pending, fetches: [], skeletons: new Map() };
    this.run = run;
    this.ctx.log.info('prefetching message texts', { path: key.path, count: pending.length });
    this.next(run);
  }

  /** Whether a run still holds: the same folder selected on the same live connection. */
  private current(run: Run): boolean {
    const selected = this.folders.selectedStatus;
    return (
      this.run === run &&
      !this.link.closed &&
      this.link.current === run.backend &&
      selected?.path === run.key.path &&
      selected.uidValidity === run.key.uidValidity &&
      this.ctx.state.view?.path === run.key.path
    );
  }

  /** Queues the next small task of a run, once the one before it is done. */
  private next(run: Run): void {
    if (!this.current(run)) return;
    const fetch = run.fetches.shift();
    const uids = fetch ? [] : run.pending.splice(0, SKELETONS_PER_TASK);
    if (!fetch && !uids.length) {
      this.run = null;
      this.ctx.log.info('message texts prefetched', { path: run.key.path });
      return;
    }
    const work = fetch ? this.texts(run, fetch) : this.structures(run, uids);
    void work
      .then((more) => {
        if (more) this.next(run);
      })
      .catch((error) => {
        // A background nicety: the run ends, reading fetches what is missing when asked.
        if (this.run === run) this.run = null;
        this.ctx.log.warn('prefetch failed', { message: (error as Error).message });
      });
  }

  /** Runs one server command of a run in its turn; null when the run no longer holds. */
  private turn<T>(run: Run, work: (b: MailBackend) => Promise<T>): Promise<T | null> {
    return this.ctx.queue.run(async () => {
      if (!this.current(run)) return null;
      this.ctx.stats.prefetchCommands += 1;
      return work(run.backend);
    });
  }

  /** Reads the structures of some messages and plans the fetches of their texts. */
  private async structures(run: Run, uids: number[]): Promise<boolean> {
    const found = await this.turn(run, (b) => b.fetchSkeletons(uids));
    if (!found || !this.current(run)) return false;
    const local = this.local!;
    // A message the list has not shown yet is not cached: its envelope goes in
    // first, as the list would have put it (a body is kept only beside one).
    const state = local.bodyState(
      run.key.path,
      found.map((f) => f.skeleton.uid),
    );
    const fresh = found.filter((f) => !state.has(f.skeleton.uid)).map((f) => f.envelope);
    if (fresh.length && !this.roomFor(run, fresh.length * ENVELOPE_BYTES)) return false;
    if (fresh.length) local.arrived(run.key, fresh);
    const needs: TextNeed[] = [];
    for (const { skeleton } of found) {
      run.skeletons.set(skeleton.uid, skeleton);
      const parts = await textPartsOf(skeleton.structure);
      const sizes = new Map<string, number>();
      const walk = (part: MessageSkeleton['structure']): void => {
        sizes.set(part.part, part.size);
        part.childNodes.forEach(walk);
      };
      walk(skeleton.structure);
      const bytes = parts.reduce(
        (sum, part) => sum + Math.min(sizes.get(part) ?? skeleton.size, TEXT_PART_CAP),
        0,
      );
      needs.push({ uid: skeleton.uid, parts, bytes });
    }
    const plan = planTextFetches(needs, TEXT_FETCH_LIMITS);
    for (const uid of plan.none) {
      if (!(await this.keep(run, uid, new Map()))) return false;
    }
    for (const uid of plan.skipped) run.skeletons.delete(uid);
    run.fetches.push(...plan.fetches);
    return true;
  }

  /** Fetches the same text parts of some messages, decodes and keeps them. */
  private async texts(run: Run, fetch: TextFetch): Promise<boolean> {
    const bodies = await this.turn(run, (b) =>
      b.fetchPartsOf(fetch.uids, fetch.parts, TEXT_PART_CAP),
    );
    if (!bodies || !this.current(run)) return false;
    for (const uid of fetch.uids) {
      const parts = bodies.get(uid);
      // Gone meanwhile: nothing to keep.
      if (!parts) {
        run.skeletons.delete(uid);
        continue;
      }
      if (!(await this.keep(run, uid, parts))) return false;
    }
    return true;
  }

  /**
   * Whether `bytes` more fit under the store's size cap; when not, the run
   * ends: going on would drop texts read before for ones nobody asked for.
   */
  private roomFor(run: Run, bytes: number): boolean {
    if (this.local!.roomFor(bytes)) return true;
    this.ctx.log.info('prefetch stopped at the cache size cap', { path: run.key.path });
    if (this.run === run) this.run = null;
    return false;
  }

  /** Decodes and keeps one message's text; false when the store is full (the run ends). */
  private async keep(run: Run, uid: number, parts: Map<string, Buffer>): Promise<boolean> {
    const skeleton = run.skeletons.get(uid);
    run.skeletons.delete(uid);
    if (!skeleton) return true;
    const view: MessageView = await viewFromParts(skeleton, parts);
    if (!this.current(run)) return false;
    const local = this.local!;
    // The text, the view kept with it and its index entry: about three times the text.
    if (!this.roomFor(run, 3 * Buffer.byteLength(view.text) + 4096)) return false;
    // A message read meanwhile was kept by reading, from its whole source: leave it.
    if (local.bodyState(run.key.path, [uid]).get(uid)) return true;
    local.read(run.key, uid, view);
    this.ctx.stats.bodiesPrefetched += 1;
    return true;
  }
}
