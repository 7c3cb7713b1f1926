/**
 * What must not be lost on the way out: the outbox of messages being sent,
 * and the local autosave of drafts being written.
 */
export * from './outbox.js';
export * from './drafts.js';
export { writeFileAtomic } from '../fs-atomic.js';
