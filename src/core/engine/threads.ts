/**
 * Thread trees -> display rows with indentation, and a client-side threader
 * for servers without THREAD=REFERENCES (over the envelopes that are known).
 */
import type { Envelope, SortOrder } from '../types.js';
import type { ThreadNode } from './backend.js';

function newest(node: ThreadNode): number {
  let max = node.uid;
  for (const child of node.children) max = Math.max(max, newest(child));
  return max;
}

/** Threads in display order, with what the list draws and folds by. */
export interface FlatThreads {
  /** Every message, threads one after another, replies under their parent. */
  uids: number[];
  depth: Map<number, number>;
  /**
   * The tree guide drawn before a reply's subject, as mutt draws it (`├─>`,
   * `└─>`, with `│ ` for ancestors that have more replies below). Roots have none.
   */
  guides: Map<number, string>;
  /** For each thread with replies, by its root's UID: the replies, in display order. */
  members: Map<number, number[]>;
}

/**
 * Flattens threads: threads ordered by their newest message (newest first
 * when `reverse`), each thread depth-first with replies under their parent.
 */
export function flattenThreads(roots: ThreadNode[], reverse: boolean): FlatThreads {
  const ordered = roots
    .map((root) => ({ root, key: newest(root) }))
    .sort((a, b) => (reverse ? b.key - a.key : a.key - b.key));
  const uids: number[] = [];
  const depth = new Map<number, number>();
  const guides = new Map<number, string>();
  const members = new Map<number, number[]>();
  // Iterative, so a thread thousands of replies deep cannot overflow the stack.
  for (const { root } of ordered) {
    if (depth.has(root.uid)) continue;
    const start = uids.length;
    const stack: Array<{ node: ThreadNode; level: number; prefix: string; last: boolean }> = [
      { node: root, level: 0, prefix: '', last: true },
    ];
    while (stack.length) {
      const { node, level, prefix, last } = stack.pop()!;
      // Client-side threads can hold cycles (messages that reply to each other).
      if (depth.has(node.uid)) continue;
      uids.push(node.uid);
      depth.set(node.uid, level);
      if (level > 0) guides.set(node.uid, `${prefix}${last ? '└─>' : '├─>'}`);
      const below = level === 0 ? '' : `${prefix}${last ? '  ' : '│ '}`;
      const children = [...node.children].sort((a, b) => a.uid - b.uid);
      for (let i = children.length - 1; i >= 0; i--)
        stack.push({
          node: children[i]!,
          level: level + 1,
          prefix: below,
          last: i === children.length - 1,
        });
    }
    if (uids.length - start > 1) members.set(root.uid, uids.slice(start + 1));
  }
  return { uids, depth, guides, members };
}

/** A subject without its reply and forward prefixes (`Re:`, `Fwd:`, `AW:`, `[list]`), lower case. */
export function baseSubject(subject: string): { base: string; reply: boolean } {
  let rest = subject.trim();
  let reply = false;
  for (;;) {
    const stripped = rest
      .replace(/^\[[^\]]{1,40}\]\s*/, '')
      .replace(/^(re|fwd?|aw|wg|sv|vs)(\[\d+\])?\s*:\s*/i, '');
    if (stripped === rest) break;
    if (/^(re|fwd?|aw|wg|sv|vs)/i.test(rest)) reply = true;
    rest = stripped;
  }
  return { base: rest.replace(/\s+/g, ' ').toLowerCase(), reply };
}

/**
 * Builds threads from the given envelopes, for servers without
 * THREAD=REFERENCES: a message goes under the one its In-Reply-To names (or,
 * when that one is not loaded, its nearest loaded ancestor in References); one
 * still without a parent whose subject is a reply (`Re: x`) goes under the
 * oldest message with the same subject, as RFC 5256's subject merge does.
 */
export function threadEnvelopes(envelopes: Envelope[]): ThreadNode[] {
  const byId = new Map<string, ThreadNode>();
  const nodes = new Map<number, ThreadNode>();
  for (const envelope of envelopes) {
    const node: ThreadNode = { uid: envelope.uid, children: [] };
    nodes.set(envelope.uid, node);
    if (envelope.messageId) byId.set(envelope.messageId, node);
  }
  const unlinked: Envelope[] = [];
  const parents = new Map<ThreadNode, ThreadNode>();
  for (const envelope of envelopes) {
    const node = nodes.get(envelope.uid)!;
    // In-Reply-To names the parent; failing that, the nearest ancestor in References
    // that is loaded (its last entries are the closest).
    let parent = envelope.inReplyTo ? byId.get(envelope.inReplyTo) : undefined;
    const references = envelope.references ?? [];
    for (let i = references.length - 1; !parent && i >= 0; i--) {
      const candidate = byId.get(references[i]!);
      if (candidate !== node) parent = candidate;
    }
    if (parent && parent !== node) {
      parent.children.push(node);
      parents.set(node, parent);
    } else {
      unlinked.push(envelope);
    }
  }
  const roots: ThreadNode[] = [];
  const firstBySubject = new Map<string, ThreadNode>();
  for (const envelope of [...unlinked].sort((a, b) => a.uid - b.uid)) {
    const node = nodes.get(envelope.uid)!;
    const { base, reply } = baseSubject(envelope.subject);
    const first = base ? firstBySubject.get(base) : undefined;
    if (first && reply) {
      first.children.push(node);
      continue;
    }
    if (base && !first) firstBySubject.set(base, node);
    roots.push(node);
  }
  // Replies that point at each other hang from no root: the oldest of each such loop
  // becomes one, so that no message drops out of the list.
  const reached = new Set<number>();
  const reach = (node: ThreadNode): void => {
    if (reached.has(node.uid)) return;
    reached.add(node.uid);
    for (const child of node.children) reach(child);
  };
  roots.forEach(reach);
  for (const envelope of [...envelopes].sort((a, b) => a.uid - b.uid)) {
    const node = nodes.get(envelope.uid)!;
    if (reached.has(node.uid)) continue;
    const parent = parents.get(node)!;
    parent.children.splice(parent.children.indexOf(node), 1);
    roots.push(node);
    reach(node);
  }
  return roots;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The key a message sorts by, for servers without SORT. */
function sortValue(envelope: Envelope, key: SortOrder['key']): number | string {
  switch (key) {
    case 'date':
      return envelope.date;
    case 'arrival':
      return envelope.arrival;
    case 'size':
      return envelope.size;
    case 'from': {
      const first = envelope.from[0];
      return (first?.name || first?.address || '').toLowerCase();
    }
    case 'subject':
      return baseSubject(envelope.subject).base;
  }
}

/**
 * Orders a folder for a server without SORT, over what is known: the messages
 * whose envelopes have been fetched, sorted by `sort`, then the others in the
 * order given (arrival). The list sorts more as more of it is seen.
 */
export function sortKnownEnvelopes(
  arrival: readonly number[],
  envelopes: ReadonlyMap<number, Envelope>,
  sort: SortOrder,
): number[] {
  // Each key computed once, not at every comparison (a subject's key runs regexes).
  const known: Array<{ uid: number; key: number | string }> = [];
  const unknown: number[] = [];
  for (const uid of arrival) {
    const envelope = envelopes.get(uid);
    if (envelope) known.push({ uid, key: sortValue(envelope, sort.key) });
    else unknown.push(uid);
  }
  const direction = sort.reverse ? -1 : 1;
  known.sort((a, b) => {
    const order =
      typeof a.key === 'number' ? a.key - (b.key as number) : compareText(a.key, b.key as string);
    return order * direction || a.uid - b.uid;
  });
  return [...known.map((e) => e.uid), ...unknown];
}
