/**
 * What the UI shows, apart from mail data (which lives in the engine's
 * store): the screen, the layout, the open message and its scroll and find
 * state, tags and local notices. A pure reducer; the controller turns command
 * calls into these actions.
 */
import type { Layout, Screen, SearchResults } from '../commands/index.js';
import type { Notice } from '../core/store/state.js';
import { INITIAL_CURSOR, type ListCursor } from './list-nav.js';
import { appendNotice } from './message-log.js';

/** Text shown in the reader's pager over the message (raw source, links, a text attachment). */
export interface Page {
  title: string;
  /** Not sanitised: the reader sanitises what it shows. */
  text: string;
  /** The screen closing the page returns to (`list` closes the message too). */
  back: Screen;
  /** The message's scroll position to return to. */
  scrollBack: number;
}

export interface MessagePane {
  uid: number;
  allHeaders: boolean;
  /** First body line shown. */
  scroll: number;
  find: string | null;
  /** Index of the current find match, or -1. */
  match: number;
  /** Selected attachment in the attachments view. */
  attachment: number;
  /** Pager text shown instead of the message, if any. */
  page?: Page | null;
}

export interface UiState {
  screen: Screen;
  /** Where help returns to. */
  behindHelp: Screen;
  layout: Layout;
  sidebar: boolean;
  folded: ReadonlySet<string>;
  /**
   * With several accounts: those whose folders the sidebar shows (the others
   * are one line each). At start only the account shown first.
   */
  unfoldedAccounts: ReadonlySet<string>;
  message: MessagePane | null;
  /**
   * The last search across folders, shown on the `results` screen and kept
   * when it is left (`:search -a` alone shows it again).
   */
  results: SearchResults | null;
  /** The results' cursor: `uid` holds the row (hits have no one folder's UIDs). */
  resultsCursor: ListCursor;
  helpScroll: number;
  /** What the help screen shows: the keys, or the message log (`:messages`). */
  helpPage: 'keys' | 'messages';
  /** Every notice of this run, the UI's and the engine's, oldest first (`:messages`). */
  log: readonly Notice[];
  tagged: ReadonlySet<number>;
  /** The UI's own last notice (the engine has its own). */
  notice: Notice | null;
  /** Notices from before this moment are not shown (a key press dismisses them). */
  dismissedAt: number;
  /** Bumped to force a full repaint (after a suspend or Ctrl-L). */
  redraw: number;
}

export function initialUiState(
  options: { layout?: Layout; sidebar?: boolean; account?: string } = {},
): UiState {
  return {
    screen: 'list',
    behindHelp: 'list',
    layout: options.layout ?? 'split',
    sidebar: options.sidebar ?? true,
    folded: new Set(),
    unfoldedAccounts: new Set(options.account === undefined ? [] : [options.account]),
    message: null,
    results: null,
    resultsCursor: INITIAL_CURSOR,
    helpScroll: 0,
    helpPage: 'keys',
    log: [],
    tagged: new Set(),
    notice: null,
    dismissedAt: 0,
    redraw: 0,
  };
}

export type UiAction =
  | { type: 'open-message'; uid: number; then?: 'attachments' | 'headers' }
  | { type: 'close-message' }
  | { type: 'message-scroll'; scroll: number }
  | { type: 'find'; query: string | null; match: number; scroll?: number }
  | { type: 'toggle-headers' }
  | { type: 'show-attachments' }
  | { type: 'close-attachments' }
  | { type: 'select-attachment'; index: number }
  /** Another message shows in the open pane (an attached one, or its enclosing one again). */
  | { type: 'swap-message'; screen: 'message' | 'attachments'; attachment?: number }
  | { type: 'show-page'; title: string; text: string; back: Screen }
  | { type: 'close-page' }
  /** New results of a search across folders, shown with the cursor on the first. */
  | { type: 'show-results'; results: SearchResults }
  /** The last results again, where the cursor was. */
  | { type: 'reshow-results' }
  | { type: 'results-cursor'; cursor: ListCursor }
  | { type: 'close-results' }
  | { type: 'show-help'; page?: 'keys' | 'messages'; scroll?: number }
  | { type: 'close-help' }
  | { type: 'help-scroll'; scroll: number }
  | { type: 'show-compose' }
  | { type: 'close-compose' }
  | { type: 'layout'; layout: Layout | 'toggle' }
  | { type: 'sidebar'; visible: boolean | 'toggle' }
  | { type: 'toggle-fold'; path: string }
  | { type: 'fold-account'; name: string; folded: boolean | 'toggle' }
  | { type: 'toggle-tag'; uid: number }
  | { type: 'clear-tags' }
  /** Tags these messages too (tag by pattern, tag all). */
  | { type: 'add-tags'; uids: readonly number[] }
  | { type: 'remove-tags'; uids: readonly number[] }
  | { type: 'notify'; notice: Notice }
  /** A notice said elsewhere (the engine), for the log only. */
  | { type: 'log-notice'; notice: Notice }
  | { type: 'dismiss-notices'; at: number }
  | { type: 'redraw' };

export function reduceUi(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'open-message': {
      const same = state.message?.uid === action.uid ? state.message : null;
      const message: MessagePane = same
        ? {
            ...same,
            page: null,
            allHeaders: action.then === 'headers' ? !same.allHeaders : same.allHeaders,
          }
        : {
            uid: action.uid,
            allHeaders: action.then === 'headers',
            scroll: 0,
            find: null,
            match: -1,
            attachment: 0,
          };
      return {
        ...state,
        message,
        screen: action.then === 'attachments' ? 'attachments' : 'message',
      };
    }
    case 'close-message':
      if (!state.message && state.screen === 'list') return state;
      return { ...state, message: null, screen: 'list' };
    case 'message-scroll':
      if (!state.message || state.message.scroll === action.scroll) return state;
      return { ...state, message: { ...state.message, scroll: action.scroll } };
    case 'find':
      if (!state.message) return state;
      return {
        ...state,
        message: {
          ...state.message,
          find: action.query,
          match: action.match,
          scroll: action.scroll ?? state.message.scroll,
        },
      };
    case 'toggle-headers':
      if (!state.message) return state;
      return {
        ...state,
        message: {
          ...state.message,
          allHeaders: !state.message.allHeaders,
          scroll: 0,
          match: -1,
          page: null,
        },
      };
    case 'show-page': {
      if (!state.message) return state;
      const { title, text, back } = action;
      const scrollBack = state.message.page ? state.message.page.scrollBack : state.message.scroll;
      const from = state.message.page ? state.message.page.back : back;
      return {
        ...state,
        screen: 'message',
        message: {
          ...state.message,
          page: { title, text, back: from, scrollBack },
          scroll: 0,
          find: null,
          match: -1,
        },
      };
    }
    case 'close-page': {
      const page = state.message?.page;
      if (!state.message || !page) return state;
      if (page.back === 'list') return { ...state, message: null, screen: 'list' };
      return {
        ...state,
        screen: page.back === 'attachments' ? 'attachments' : 'message',
        message: { ...state.message, page: null, scroll: page.scrollBack, find: null, match: -1 },
      };
    }
    case 'show-attachments':
      if (!state.message) return state;
      return { ...state, screen: 'attachments' };
    case 'close-attachments':
      return state.screen === 'attachments' ? { ...state, screen: 'message' } : state;
    case 'select-attachment':
      if (!state.message) return state;
      return { ...state, message: { ...state.message, attachment: action.index } };
    case 'swap-message':
      if (!state.message) return state;
      return {
        ...state,
        screen: action.screen,
        message: {
          ...state.message,
          page: null,
          allHeaders: false,
          scroll: 0,
          find: null,
          match: -1,
          attachment: action.attachment ?? 0,
        },
      };
    case 'show-results':
      return {
        ...state,
        results: action.results,
        resultsCursor: INITIAL_CURSOR,
        screen: 'results',
        message: null,
      };
    case 'reshow-results':
      if (!state.results) return state;
      return { ...state, screen: 'results', message: null };
    case 'results-cursor':
      return action.cursor === state.resultsCursor
        ? state
        : { ...state, resultsCursor: action.cursor };
    case 'close-results':
      return state.screen === 'results' ? { ...state, screen: 'list' } : state;
    case 'show-help':
      if (state.screen === 'help')
        return action.page && action.page !== state.helpPage
          ? { ...state, helpPage: action.page, helpScroll: action.scroll ?? 0 }
          : state;
      return {
        ...state,
        screen: 'help',
        behindHelp: state.screen,
        helpPage: action.page ?? 'keys',
        helpScroll: action.scroll ?? 0,
      };
    case 'close-help':
      return state.screen === 'help' ? { ...state, screen: state.behindHelp } : state;
    case 'help-scroll':
      return { ...state, helpScroll: action.scroll };
    case 'show-compose':
      return { ...state, screen: 'compose' };
    case 'close-compose':
      return state.screen === 'compose'
        ? { ...state, screen: state.message ? 'message' : 'list' }
        : state;
    case 'layout': {
      const layout =
        action.layout === 'toggle' ? (state.layout === 'split' ? 'full' : 'split') : action.layout;
      return layout === state.layout ? state : { ...state, layout };
    }
    case 'sidebar': {
      const sidebar = action.visible === 'toggle' ? !state.sidebar : action.visible;
      return sidebar === state.sidebar ? state : { ...state, sidebar };
    }
    case 'toggle-fold': {
      const folded = new Set(state.folded);
      if (folded.has(action.path)) folded.delete(action.path);
      else folded.add(action.path);
      return { ...state, folded };
    }
    case 'fold-account': {
      const open = state.unfoldedAccounts.has(action.name);
      const fold = action.folded === 'toggle' ? open : action.folded;
      if (fold !== open) return state;
      const unfoldedAccounts = new Set(state.unfoldedAccounts);
      if (fold) unfoldedAccounts.delete(action.name);
      else unfoldedAccounts.add(action.name);
      return { ...state, unfoldedAccounts };
    }
    case 'toggle-tag': {
      const tagged = new Set(state.tagged);
      if (tagged.has(action.uid)) tagged.delete(action.uid);
      else tagged.add(action.uid);
      return { ...state, tagged };
    }
    case 'clear-tags':
      return state.tagged.size ? { ...state, tagged: new Set() } : state;
    case 'add-tags': {
      if (action.uids.every((uid) => state.tagged.has(uid))) return state;
      const tagged = new Set(state.tagged);
      for (const uid of action.uids) tagged.add(uid);
      return { ...state, tagged };
    }
    case 'remove-tags': {
      if (!action.uids.some((uid) => state.tagged.has(uid))) return state;
      const tagged = new Set(state.tagged);
      for (const uid of action.uids) tagged.delete(uid);
      return { ...state, tagged };
    }
    case 'notify':
      return { ...state, notice: action.notice, log: appendNotice(state.log, action.notice) };
    case 'log-notice':
      return { ...state, log: appendNotice(state.log, action.notice) };
    case 'dismiss-notices':
      return { ...state, dismissedAt: action.at };
    case 'redraw':
      return { ...state, redraw: state.redraw + 1 };
  }
}
