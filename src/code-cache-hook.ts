/**
 * The link between src/boot.ts, which compiles the bundle and can save the
 * code V8 compiled, and the bundle, which knows when its start is done. They
 * are built apart (dist/boot.cjs and dist/tmail.cjs), so the link is a global.
 */
const HOOK = '__tmailSaveCodeCache';

type HookHolder = { [HOOK]?: () => void };

/** Boot: `save` writes the cache (it does so once, however often it is called). */
export function offerCodeCacheSave(save: () => void): void {
  (globalThis as HookHolder)[HOOK] = save;
}

/** The bundle: the start is done; saves the code compiled so far, when boot asked for it. */
export function saveCodeCache(): void {
  (globalThis as HookHolder)[HOOK]?.();
}
