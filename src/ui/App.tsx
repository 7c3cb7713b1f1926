/**
 * The root component: wiring only. It reads the UI store and the terminal
 * size, lays the screen out, and hands raw key input to the key dispatcher.
 * What keys do lives in the keymap and the commands; what the UI remembers
 * lives in the UI store and the controller.
 */
import { Box, useStdin } from 'ink';
import { useEffect, useLayoutEffect, useMemo, useSyncExternalStore } from 'react';
import type { AccountsSnapshot, EngineRegistry, ShownEngine } from '../core/engine-registry.js';
import { tokensFromRawInput, type Keymap } from '../keymap/index.js';
import type { BenchMarks } from './bench-marks.js';
import type { StoreView } from './batched-store.js';
import type { Controller } from './controller.js';
import { ComposeReview } from './ComposeReview.js';
import { FolderSidebar } from './FolderSidebar.js';
import { HelpScreen } from './HelpScreen.js';
import type { KeyDispatcher } from './key-dispatcher.js';
import { computeLayout } from './layout.js';
import type { DateStyle } from './list-row.js';
import { MessageLine } from './MessageLine.js';
import { noticeRows, shownNotice } from './message-log.js';
import { MessageList } from './MessageList.js';
import { ReaderPane } from './ReaderPane.js';
import { SearchResultsList } from './SearchResultsList.js';
import { StatusLine } from './StatusLine.js';
import { ThemeContext, type Theme } from './theme.js';
import type { UiStore } from './ui-store.js';
import { MailContext } from './use-mail-state.js';

/** A switch the runtime flips to hand the keyboard to another program (the editor). */
export interface InputSwitch {
  get(): boolean;
  set(active: boolean): void;
  subscribe(listener: () => void): () => void;
}

export function createInputSwitch(): InputSwitch {
  let active = true;
  const listeners = new Set<() => void>();
  return {
    get: () => active,
    set(value) {
      if (value === active) return;
      active = value;
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Everything the App renders from, made once by start-app. */
export interface Runtime {
  /** The engine of the account shown. */
  engine: ShownEngine;
  /** Every account of the session, one engine each. */
  registry: EngineRegistry;
  /** The shown engine's store with notifications batched per event-loop turn, for rendering. */
  mail: StoreView;
  /** Every account's state (the sidebar's account lines), batched the same way. */
  accounts: StoreView<AccountsSnapshot>;
  store: UiStore;
  controller: Controller;
  dispatcher: KeyDispatcher;
  keymap: Keymap;
  theme: Theme;
  dateStyle: DateStyle;
  /** The list's part of the height in the split layout (ui.splitList). */
  splitList?: number | `${number}%`;
  input: InputSwitch;
  bench: BenchMarks | null;
}

/** Raw input from Ink's stdin handling, split into keys for the dispatcher. */
function useKeys(runtime: Runtime): void {
  const { internal_eventEmitter: emitter, setRawMode, isRawModeSupported } = useStdin();
  const active = useSyncExternalStore(runtime.input.subscribe, runtime.input.get);
  // A layout effect: the handler is in place in the same turn as the first frame.
  useLayoutEffect(() => {
    if (!active) return;
    if (isRawModeSupported) setRawMode(true);
    const onInput = (data: string) => {
      const tokens = tokensFromRawInput(data);
      if (!tokens.length) return;
      runtime.bench?.key(tokens.join(''));
      runtime.controller.keyPressed();
      runtime.dispatcher.push(tokens);
    };
    emitter.on('input', onInput);
    return () => {
      emitter.off('input', onInput);
      if (isRawModeSupported) setRawMode(false);
    };
  }, [active, emitter, setRawMode, isRawModeSupported, runtime]);
}

const HINT = '?:help  q:quit';

export function App({ runtime }: { runtime: Runtime }) {
  const { engine, store, controller } = runtime;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const mail = useSyncExternalStore(runtime.mail.subscribe, runtime.mail.getSnapshot);
  const accounts = useSyncExternalStore(runtime.accounts.subscribe, runtime.accounts.getSnapshot);
  const { ui, cursor, size } = snapshot;
  // A long notice wraps onto more rows at the bottom; the rest of the screen gives them up.
  const notice =
    snapshot.prompt || snapshot.question !== null || snapshot.pendingKeys.length
      ? null
      : shownNotice(ui.notice, mail.notice, ui.dismissedAt);
  const noticeLines = notice
    ? noticeRows(notice.text, Math.max(20, size.columns)).slice(
        0,
        Math.max(1, Math.max(5, size.rows) - 3),
      )
    : null;
  const messageRows = noticeLines?.length ?? 1;
  const metrics = useMemo(
    () =>
      computeLayout({
        columns: size.columns,
        rows: size.rows,
        sidebar: ui.sidebar,
        layout: ui.layout,
        screen: ui.screen,
        splitList: runtime.splitList,
        messageRows,
      }),
    [size.columns, size.rows, ui.sidebar, ui.layout, ui.screen, runtime.splitList, messageRows],
  );
  store.metrics = metrics;
  useEffect(() => controller.relayout(), [controller, metrics.listHeight]);
  useKeys(runtime);

  // A new object only when the results change: the status line is memoised on its props.
  const shownResults = ui.screen === 'results' ? ui.results : null;
  const resultsStatus = useMemo(
    () =>
      shownResults
        ? { query: shownResults.query, count: shownResults.hits.length, more: shownResults.more }
        : null,
    [shownResults],
  );
  const bench = runtime.bench;
  const onRows = useMemo(() => (bench ? () => bench.listRows() : undefined), [bench]);
  const helpShown = ui.screen === 'help';
  const compose = ui.screen === 'compose' ? snapshot.compose : null;
  const main = compose ? (
    <ComposeReview
      draft={compose.draft}
      problems={compose.problems}
      kind={compose.kind}
      keymap={runtime.keymap}
      width={metrics.columns}
      height={metrics.mainHeight}
    />
  ) : helpShown ? (
    <HelpScreen
      keymap={runtime.keymap}
      front={ui.behindHelp}
      scroll={ui.helpScroll}
      page={ui.helpPage}
      log={ui.log}
      width={metrics.columns}
      height={metrics.mainHeight}
    />
  ) : (
    <Box flexDirection="row" width={metrics.columns} height={metrics.mainHeight}>
      {metrics.sidebarWidth ? (
        <FolderSidebar
          engine={engine}
          width={metrics.sidebarWidth}
          height={metrics.mainHeight}
          folded={ui.folded}
          accounts={runtime.registry.several ? accounts : undefined}
          engineOf={runtime.registry.several ? runtime.registry.opened : undefined}
          unfoldedAccounts={ui.unfoldedAccounts}
        />
      ) : null}
      <Box flexDirection="column" width={metrics.mainWidth} height={metrics.mainHeight}>
        {metrics.listHeight && ui.screen === 'results' && ui.results ? (
          <SearchResultsList
            results={ui.results}
            cursor={ui.resultsCursor}
            width={metrics.mainWidth}
            height={metrics.listHeight}
            dateStyle={runtime.dateStyle}
          />
        ) : metrics.listHeight ? (
          <MessageList
            engine={engine}
            cursor={cursor}
            width={metrics.mainWidth}
            height={metrics.listHeight}
            tagged={ui.tagged}
            dateStyle={runtime.dateStyle}
            focused={ui.screen === 'list'}
            onRows={onRows}
          />
        ) : null}
        {metrics.readerHeight && ui.message ? (
          <ReaderPane
            pane={ui.message}
            reading={snapshot.reading}
            width={metrics.mainWidth}
            height={metrics.readerHeight}
            showAttachments={ui.screen === 'attachments'}
          />
        ) : null}
      </Box>
    </Box>
  );
  return (
    <ThemeContext.Provider value={runtime.theme}>
      <MailContext.Provider value={mail}>
        <Box flexDirection="column" width={metrics.columns} height={metrics.rows}>
          {main}
          <StatusLine
            width={metrics.columns}
            tagged={ui.tagged.size}
            layout={ui.layout}
            // While a prompt or question waits for the user, nothing is being done.
            busy={snapshot.prompt || snapshot.question ? null : snapshot.busy}
            stoppable={snapshot.stoppable}
            results={resultsStatus}
          />
          <MessageLine
            width={metrics.columns}
            prompt={snapshot.prompt}
            question={snapshot.question}
            pendingKeys={snapshot.pendingKeys}
            notice={notice}
            noticeLines={noticeLines}
            hint={HINT}
          />
        </Box>
      </MailContext.Provider>
    </ThemeContext.Provider>
  );
}
