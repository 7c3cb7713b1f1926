/**
 * Ink lays out with yoga, a WebAssembly module that loads asynchronously. As
 * an ES module yoga waits for itself with a top-level await; tmail's build is
 * one script, which has none, so there yoga says when it is ready through
 * `__tmailLayoutReady` (see scripts/build.mjs). Every Ink render waits for it.
 */
export async function layoutReady(): Promise<void> {
  await (globalThis as { __tmailLayoutReady?: Promise<void> }).__tmailLayoutReady;
}
