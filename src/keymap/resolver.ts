/**
 * Keys in, command out. Pure: the caller keeps the pending prefix and runs
 * the timeout (when a prefix is also a complete binding, such as `g` next to
 * `gg`, the shorter one runs if no key follows in time).
 */
import type { CommandId, KeyContext } from './commands.js';
import { sequenceKey, type Keymap } from './keymap.js';
import type { KeyToken } from './keys.js';

/** How long to wait for the next key of a multi-key binding. */
export const SEQUENCE_TIMEOUT_MS = 1000;

export type Resolution =
  /** Run this command; the pending prefix is consumed. */
  | { kind: 'command'; command: CommandId; keys: KeyToken[] }
  /** More keys may follow; `fallback` runs on timeout when the prefix is itself bound. */
  | { kind: 'pending'; keys: KeyToken[]; fallback: CommandId | null }
  /** Nothing is bound to these keys. */
  | { kind: 'unbound'; keys: KeyToken[] };

/**
 * The contexts searched for a screen, most specific first. Prompts see only
 * their own bindings, so that typing `?` into a search inserts a `?`.
 */
export function contextChain(context: KeyContext): KeyContext[] {
  return context === 'prompt' || context === 'global' ? [context] : [context, 'global'];
}

/**
 * Resolves `key` typed after the `pending` prefix, looking through `chain`
 * in order: the first context that binds the whole sequence wins, but any
 * context that binds a longer sequence starting with it makes the resolver
 * wait for more.
 */
export function resolveKey(
  keymap: Keymap,
  chain: readonly KeyContext[],
  pending: readonly KeyToken[],
  key: KeyToken,
): Resolution {
  const keys = [...pending, key];
  const sequence = sequenceKey(keys);
  let exact: CommandId | null = null;
  let prefix = false;
  for (const context of chain) {
    const { bindings, prefixes } = keymap.contexts[context];
    if (exact === null) exact = bindings.get(sequence) ?? null;
    if (prefixes.has(sequence)) prefix = true;
  }
  if (prefix) return { kind: 'pending', keys, fallback: exact };
  if (exact !== null) return { kind: 'command', command: exact, keys };
  return { kind: 'unbound', keys };
}
