/**
 * Moving through a folder and choosing many messages at once: next and
 * previous unread (mutt's Tab and Esc-Tab) across the whole folder, and tags
 * by search (mutt's T), all, or none. The server answers the questions about
 * messages not loaded (one UID SEARCH each); the list's UID order, already in
 * memory, says where they are.
 */
import { plural } from '../core/engine/outcome.js';
import type { FoldMode } from '../core/engine/thread-view.js';
import { SEEN } from '../core/types.js';
import type { CommandContext } from './context.js';
import { reported } from './report.js';
import { formatSearch, parseSearchInput } from './search-query.js';

/**
 * The row to go to from `from` in `step`'s direction: the first row whose UID
 * is in `wanted`, looking to the end first, then once round from the other end
 * (`wrapped`). `from` itself is never the answer. Pure, for the unit tests.
 */
export function findRow(
  uids: readonly number[],
  wanted: ReadonlySet<number>,
  from: number,
  step: 1 | -1,
): { row: number; wrapped: boolean } | null {
  const count = uids.length;
  if (!count || !wanted.size) return null;
  const inList = from >= 0 && from < count;
  // With no row to start from, the first row looked at is the first (or the last).
  const start = inList ? from : step > 0 ? -1 : count;
  const steps = inList ? count - 1 : count;
  for (let i = 1; i <= steps; i++) {
    const raw = start + i * step;
    const row = ((raw % count) + count) % count;
    if (wanted.has(uids[row]!)) return { row, wrapped: raw < 0 || raw >= count };
  }
  return null;
}

/** `:next-unread` / `:prev-unread`: the next unread message of the folder, wrapping once. */
export async function goUnread(ctx: CommandContext, step: 1 | -1): Promise<void> {
  if (!ctx.engine.state.view) return;
  // One UID SEARCH UNSEEN answers for the whole folder, loaded rows or not.
  const result = await ctx.engine.dispatch({ type: 'search-uids', query: { unflagged: [SEEN] } });
  if (!reported(ctx, result)) return;
  const view = ctx.engine.state.view;
  if (!view) return;
  const reading = ctx.ui.screen() !== 'list' ? ctx.ui.openUid() : null;
  const current = reading ?? ctx.ui.cursorUid();
  const from = current === null ? -1 : view.uids.indexOf(current);
  const wanted = new Set(result.value);
  // Unread replies hidden in a folded thread make its row the place to go.
  for (const [root, hidden] of view.folded ?? [])
    if (hidden.some((uid) => wanted.has(uid))) wanted.add(root);
  const found = findRow(view.uids, wanted, from, step);
  const where = view.search ? 'these search results' : view.path;
  if (!found) {
    ctx.ui.notify('info', `There is no ${from >= 0 ? 'other ' : ''}unread message in ${where}.`);
    return;
  }
  const uid = view.uids[found.row]!;
  if (reading !== null) ctx.ui.openMessage(uid);
  else ctx.ui.selectUid(uid);
  if (found.wrapped)
    ctx.ui.notify(
      'info',
      step > 0
        ? 'Wrapped to the top: no unread message below.'
        : 'Wrapped to the bottom: no unread message above.',
    );
}

/**
 * `:tag-pattern QUERY` (mutt's T): tags every message of the list that
 * matches, loaded or not, by one UID SEARCH. Asks for the query when none is
 * given. In search results, only results are tagged.
 */
export async function tagPattern(ctx: CommandContext, input?: string): Promise<void> {
  if (!ctx.engine.state.view) return;
  const answer =
    input ?? (await ctx.ui.prompt({ label: 'Tag messages matching: ', history: 'search' }));
  if (answer === null || !answer.trim()) return;
  const parsed = parseSearchInput(answer);
  if (!parsed.ok) {
    ctx.ui.notify('error', parsed.error.replace(/^Search not run/, 'Nothing tagged'));
    return;
  }
  const query = parsed.query!;
  const result = await ctx.engine.dispatch({ type: 'search-uids', query });
  if (!reported(ctx, result)) return;
  let uids = result.value;
  const view = ctx.engine.state.view;
  if (view?.search) {
    const rows = await listRows(ctx);
    if (!rows) return;
    const shown = new Set(rows);
    uids = uids.filter((uid) => shown.has(uid));
  }
  const text = formatSearch(query);
  if (!uids.length) {
    ctx.ui.notify('info', `No message matches ${text}; nothing was tagged.`);
    return;
  }
  ctx.ui.addTags(uids);
  ctx.ui.notify(
    'info',
    `Tagged ${plural(uids.length, 'message')} matching ${text}; ${ctx.ui.taggedCount().toLocaleString('en-US')} tagged in all.`,
  );
}

/** Every row of the list: the UID list when it is all here, else one search. */
async function listRows(ctx: CommandContext): Promise<readonly number[] | null> {
  const view = ctx.engine.state.view;
  if (!view) return null;
  if (view.complete) return view.uids;
  const result = await ctx.engine.dispatch({ type: 'search-uids' });
  return reported(ctx, result) ? result.value : null;
}

/** `:tag-all`: tags every message of the list (the folder, or the search results). */
export async function tagAll(ctx: CommandContext): Promise<void> {
  const rows = await listRows(ctx);
  if (!rows) return;
  if (!rows.length) {
    ctx.ui.notify('info', 'There is no message to tag.');
    return;
  }
  ctx.ui.addTags(rows);
  ctx.ui.notify('info', `Tagged all ${plural(rows.length, 'message')}.`);
}

/** `:untag-all`: no message is tagged any more. */
export function untagAll(ctx: CommandContext): void {
  const count = ctx.ui.taggedCount();
  ctx.ui.clearTags();
  ctx.ui.notify('info', count ? `Untagged ${plural(count, 'message')}.` : 'No message was tagged.');
}

/**
 * Folds or unfolds the thread under the cursor (mutt's Esc-v), or every thread
 * (Esc-V). The cursor stays on its thread: a reply that folds away leaves it
 * on the thread's row.
 */
export async function foldThreads(
  ctx: CommandContext,
  mode: FoldMode,
  all: boolean,
): Promise<void> {
  const view = ctx.engine.state.view;
  if (!view) return;
  if (!view.threaded) {
    ctx.ui.notify('info', 'The list is not shown as threads; :thread turns them on.');
    return;
  }
  const cursor = ctx.ui.cursorUid();
  if (!all && cursor === null) return;
  const result = await ctx.engine.dispatch({
    type: 'fold',
    mode,
    ...(all ? {} : { uids: [cursor!] }),
  });
  if (!reported(ctx, result)) return;
  const after = ctx.engine.state.view;
  if (cursor === null || !after?.folded?.size) return;
  for (const [root, hidden] of after.folded)
    if (hidden.includes(cursor)) {
      ctx.ui.selectUid(root);
      return;
    }
}
