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

/**
 * Flattens threads: threads ordered by their newest message (newest first
 * when `reverse`), each thread depth-first with replies under their parent.
 */
export function flattenThreads(
  roots: ThreadNode[],
  reverse: boolean,
): { uids: number[]; depth: Map<number, number> } {
  const ordered = roots
    .map((root) => ({ root, key: newest(root) }))
    .sort((a, b) => (reverse ? b.key - a.key : a.key - b.key));
  const uids: number[] = [];
  const depth = new Map<number, number>();
  const walk = (node: ThreadNode, level: number) => {
    // Client-side threads can hold cycles (messages that reply to each other).
    if (depth.has(node.uid)) return;
    uids.push(node.uid);
    depth.set(node.uid, level);
    for (const child of [...node.children].sort((a, b) => a.uid - b.uid)) walk(child, level + 1);
  };
  for (const { root } of ordered) walk(root, 0);
  return { uids, depth };
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
 * THREAD=REFERENCES: a message goes under the one its In-Reply-To names; one
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
    const parent = envelope.inReplyTo ? byId.get(envelope.inReplyTo) : undefined;
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
