/**
 * Thread trees -> display rows with indentation, and a client-side threader
 * for servers without THREAD=REFERENCES (over the envelopes that are known).
 */
import type { Envelope } from '../types.js';
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

/** Builds threads from Message-ID / In-Reply-To of the given envelopes (those not linked are roots). */
export function threadEnvelopes(envelopes: Envelope[]): ThreadNode[] {
  const byId = new Map<string, ThreadNode>();
  const nodes = new Map<number, ThreadNode>();
  for (const envelope of envelopes) {
    const node: ThreadNode = { uid: envelope.uid, children: [] };
    nodes.set(envelope.uid, node);
    if (envelope.messageId) byId.set(envelope.messageId, node);
  }
  const roots: ThreadNode[] = [];
  for (const envelope of envelopes) {
    const node = nodes.get(envelope.uid)!;
    const parent = envelope.inReplyTo ? byId.get(envelope.inReplyTo) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}
