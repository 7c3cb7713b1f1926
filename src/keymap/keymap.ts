/**
 * The keymap in force: the default table with the dotfile's overrides
 * applied. Bad overrides are reported as sentences and skipped, never fatal:
 * a typo in the dotfile must not keep anyone from their mail.
 */
import {
  COMMANDS,
  CONTEXT_ALIASES,
  CONTEXTS,
  findCommandInfo,
  type CommandId,
  type KeyContext,
} from './commands.js';
import { DEFAULT_BINDINGS, type BindingTable } from './defaults.js';
import { formatKeySpec, parseKeySpec, type KeyToken } from './keys.js';

/** The dotfile's `keys`: context -> key spec -> command id (`""` or `none` unbinds). */
export type KeyOverrideTable = Record<string, Record<string, string>>;

/** The bindings of one context. */
export interface ContextBindings {
  /** Key sequence (tokens joined by a space) -> command id. */
  readonly bindings: ReadonlyMap<string, CommandId>;
  /** Every proper prefix of a bound sequence, for multi-key bindings. */
  readonly prefixes: ReadonlySet<string>;
}

export interface Keymap {
  readonly contexts: Readonly<Record<KeyContext, ContextBindings>>;
}

/** One binding, for the help screen and the docs. */
export interface BindingEntry {
  keys: KeyToken[];
  command: CommandId;
}

/** The lookup key of a token sequence. Tokens never contain a space (a space is `<Space>`). */
export function sequenceKey(tokens: readonly KeyToken[]): string {
  return tokens.join(' ');
}

function compile(bindings: Map<string, CommandId>): ContextBindings {
  const prefixes = new Set<string>();
  for (const sequence of bindings.keys()) {
    const tokens = sequence.split(' ');
    for (let n = 1; n < tokens.length; n++) prefixes.add(sequenceKey(tokens.slice(0, n)));
  }
  return { bindings, prefixes };
}

function defaultMaps(table: BindingTable): Record<KeyContext, Map<string, CommandId>> {
  const maps = {} as Record<KeyContext, Map<string, CommandId>>;
  for (const context of CONTEXTS) {
    const map = new Map<string, CommandId>();
    for (const [spec, command] of table[context]) {
      const tokens = parseKeySpec(spec);
      if (!tokens) throw new Error(`Bad default key spec ${spec}`);
      map.set(sequenceKey(tokens), command);
    }
    maps[context] = map;
  }
  return maps;
}

/** The context a dotfile name means (`list`, or mutt's `index`), or null. */
export function contextNamed(name: string): KeyContext | null {
  const lower = name.toLowerCase();
  if ((CONTEXTS as readonly string[]).includes(lower)) return lower as KeyContext;
  return CONTEXT_ALIASES[lower] ?? null;
}

export interface BuildResult {
  keymap: Keymap;
  /** One sentence per override that was skipped. */
  errors: string[];
}

/**
 * Builds the keymap from the defaults and the dotfile's overrides. A binding
 * replaces whatever the same keys did in that context; `""` or `none`
 * removes it. Binding a key that is the prefix of a longer binding (or the
 * other way round) is allowed: the resolver waits briefly for the next key.
 */
export function buildKeymap(
  overrides: KeyOverrideTable | undefined = undefined,
  table: BindingTable = DEFAULT_BINDINGS,
): BuildResult {
  const maps = defaultMaps(table);
  const errors: string[] = [];
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null)) {
    errors.push('keys: must map contexts to key bindings; the default keys are used.');
  } else {
    for (const [contextName, entries] of Object.entries(overrides ?? {})) {
      const context = contextNamed(contextName);
      if (!context) {
        errors.push(`keys.${contextName}: there is no such context (use ${CONTEXTS.join(', ')}).`);
        continue;
      }
      if (typeof entries !== 'object' || entries === null) {
        errors.push(`keys.${contextName}: must map keys to command ids.`);
        continue;
      }
      for (const [spec, command] of Object.entries(entries)) {
        const where = `keys.${contextName}.${spec}`;
        const tokens = parseKeySpec(spec);
        if (!tokens) {
          errors.push(`${where}: not a key (write j, G, <C-d>, <PgDn>, <Enter>).`);
          continue;
        }
        if (typeof command !== 'string') {
          errors.push(`${where}: must be a command id, or "none" to unbind.`);
          continue;
        }
        const map = maps[context];
        if (command === '' || command.toLowerCase() === 'none') {
          map.delete(sequenceKey(tokens));
          continue;
        }
        const info = findCommandInfo(command);
        if (!info) {
          errors.push(`${where}: there is no command ${command}; the help screen (?) lists them.`);
          continue;
        }
        if (!info.contexts.includes(context) && !info.contexts.includes('global')) {
          errors.push(`${where}: ${command} does not work in ${context}.`);
          continue;
        }
        map.set(sequenceKey(tokens), command);
      }
    }
  }
  const contexts = {} as Record<KeyContext, ContextBindings>;
  for (const context of CONTEXTS) contexts[context] = compile(maps[context]);
  return { keymap: { contexts }, errors };
}

/** The bindings of a context in a stable order (by command, as the catalogue lists them). */
export function bindingsOf(keymap: Keymap, context: KeyContext): BindingEntry[] {
  const order = new Map(COMMANDS.map((c, i) => [c.id, i]));
  return [...keymap.contexts[context].bindings]
    .map(([sequence, command]) => ({ keys: sequence.split(' '), command }))
    .sort((a, b) => (order.get(a.command) ?? 0) - (order.get(b.command) ?? 0));
}

/** The keys bound to a command in a context, in canonical spec form (`<C-d>`). */
export function keysFor(keymap: Keymap, context: KeyContext, command: CommandId): string[] {
  return bindingsOf(keymap, context)
    .filter((b) => b.command === command)
    .map((b) => formatKeySpec(b.keys));
}
