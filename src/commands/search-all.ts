/**
 * `:search -a QUERY` (and Alt-/): a search across every folder of the shown
 * account, newest first, shown as the results screen; Enter on a result
 * opens its folder and reads the message there, as neomutt's virtual
 * folders and aerc's `:search` let one jump from a hit to its mailbox. The
 * engine does the searching (the same search `tmail search --all-folders`
 * runs); this file only asks and shows.
 */
import type { CommandContext } from './context.js';
import { openFolder } from './handlers.js';
import { reported } from './report.js';
import { formatSearch, parseSearchInput } from './search-query.js';

/**
 * Results asked for at most: each folder's newest matches are fetched up to
 * this many, so the work follows what a person scrolls through, not the size
 * of the account. The header says when more match.
 */
export const RESULTS_LIMIT = 200;

/**
 * Searches every folder and shows the results. Without a query, shows the
 * last results again (where the cursor was), or says how to run one.
 */
export async function runSearchAll(ctx: CommandContext, input: string): Promise<void> {
  if (!input.trim()) {
    if (!ctx.ui.reshowResults())
      ctx.ui.notify('info', 'No search across folders yet: :search -a QUERY runs one.');
    return;
  }
  const parsed = parseSearchInput(input);
  if (!parsed.ok) {
    ctx.ui.notify('error', parsed.error);
    return;
  }
  const query = parsed.query!;
  // Esc stops it at once: the engine finishes the folder it is searching and goes no further.
  const abort = new AbortController();
  const stopped = new Promise<null>((resolve) =>
    abort.signal.addEventListener('abort', () => resolve(null), { once: true }),
  );
  const release = ctx.ui.cancellable(() => abort.abort());
  let result;
  try {
    result = await Promise.race([
      ctx.engine.dispatch(
        { type: 'search-all', query, limit: RESULTS_LIMIT },
        { signal: abort.signal },
      ),
      stopped,
    ]);
  } finally {
    release();
  }
  if (result === null || abort.signal.aborted) {
    ctx.ui.notify('info', 'The search across folders was stopped.');
    return;
  }
  if (!reported(ctx, result)) return;
  const { hits, more, fromCache, unsearched } = result.value;
  ctx.ui.showResults({
    account: ctx.engine.account.name,
    query: formatSearch(query),
    hits,
    more,
    fromCache,
    unsearched,
  });
}

/** Alt-/: asks for the query (the last one to start from) and searches every folder. */
export async function searchAllAsking(ctx: CommandContext): Promise<void> {
  const answer = await ctx.ui.prompt({
    label: 'Search all folders: ',
    initial: ctx.ui.results()?.query ?? '',
    history: 'search',
  });
  if (answer === null) return;
  if (!answer.trim()) {
    ctx.ui.notify('info', 'Nothing to search for: type words or from: to: subject: body:.');
    return;
  }
  await runSearchAll(ctx, answer);
}

/**
 * Enter on a result: its folder becomes the open one and the message opens in
 * the reader there, so replying, flags and moving work as anywhere; q in the
 * reader goes to that folder's list, and `:search -a` alone back to the results.
 */
export async function openResult(ctx: CommandContext): Promise<void> {
  const hit = ctx.ui.selectedResult();
  const results = ctx.ui.results();
  if (!hit || !results) return;
  if (results.account !== ctx.engine.account.name) {
    ctx.ui.notify(
      'error',
      `These results are of the account ${results.account}; :account ${results.account} shows it again.`,
    );
    return;
  }
  const view = ctx.engine.state.view;
  if (view && view.path === hit.path && !view.search) ctx.ui.closeResults();
  else if (!(await openFolder(ctx, hit.path, { search: null }))) return;
  ctx.ui.openMessage(hit.envelope.uid);
}
