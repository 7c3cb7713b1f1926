/**
 * What each key or `:` command does, on the engine and through the UI
 * controller. No React or Ink here: the UI provides the controller.
 */
export * from './command-line.js';
export * from './completion.js';
export * from './context.js';
export * from './handlers.js';
export * from './search-query.js';
