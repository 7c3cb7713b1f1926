/**
 * Where everything goes for a terminal size: pure, so a resize is just a new
 * set of numbers, and usable at 80x24.
 */
import type { Layout, Screen } from '../commands/index.js';

export interface LayoutInput {
  columns: number;
  rows: number;
  sidebar: boolean;
  layout: Layout;
  screen: Screen;
  /** Rows of the message line at the bottom (a long notice wraps onto up to 3); default 1. */
  messageRows?: number;
  /** The list's part of the height in the split layout (ui.splitList); default a third. */
  splitList?: number | `${number}%`;
}

/** The list's share of the height in the split layout when the dotfile names none. */
export const DEFAULT_SPLIT_LIST = '33%';
/** The reader keeps at least this many rows below a split list, whatever the setting. */
const MIN_READER_ROWS = 5;

export interface LayoutMetrics {
  columns: number;
  rows: number;
  /** Width of the sidebar including its separator column; 0 when hidden. */
  sidebarWidth: number;
  /** Width of the list and reader. */
  mainWidth: number;
  /** Rows above the status and message lines. */
  mainHeight: number;
  /** Rows of the message list; 0 when the list is not shown. */
  listHeight: number;
  /** Rows of the reader's body (below its title bar); 0 when no reader is shown. */
  readerHeight: number;
}

/** Below this width the sidebar hides itself: the list needs the room more. */
export const SIDEBAR_MIN_COLUMNS = 60;

export function computeLayout(input: LayoutInput): LayoutMetrics {
  const columns = Math.max(20, input.columns);
  const rows = Math.max(5, input.rows);
  const messageRows = Math.max(1, Math.min(input.messageRows ?? 1, rows - 3));
  const mainHeight = rows - 1 - messageRows;
  const wholeScreen = input.screen === 'help' || input.screen === 'compose';
  const sidebarWidth =
    input.sidebar && !wholeScreen && columns >= SIDEBAR_MIN_COLUMNS
      ? Math.min(30, Math.max(16, Math.round(columns * 0.2)))
      : 0;
  const mainWidth = columns - sidebarWidth;
  let listHeight = 0;
  let readerHeight = 0;
  if (input.screen === 'list' || input.screen === 'results') {
    listHeight = mainHeight;
  } else if (input.screen === 'message' || input.screen === 'attachments') {
    if (input.layout === 'split' && mainHeight >= 12) {
      listHeight = splitListRows(mainHeight, input.splitList ?? DEFAULT_SPLIT_LIST);
    }
    readerHeight = Math.max(1, mainHeight - listHeight - 1);
  }
  return { columns, rows, sidebarWidth, mainWidth, mainHeight, listHeight, readerHeight };
}

/**
 * Rows of the list above the message in the split layout: the setting's rows or share of
 * the main height, at least 3 and never so many that the reader (below its title bar) gets
 * fewer than MIN_READER_ROWS.
 */
export function splitListRows(mainHeight: number, setting: number | `${number}%`): number {
  const wanted =
    typeof setting === 'number'
      ? setting
      : Math.round((mainHeight * Number(setting.slice(0, -1))) / 100);
  return Math.max(3, Math.min(wanted, mainHeight - 1 - MIN_READER_ROWS));
}

/** Width of the reader's text: the pane less a margin column on the left. */
export function readerTextWidth(metrics: Pick<LayoutMetrics, 'mainWidth'>): number {
  return Math.max(10, metrics.mainWidth - 1);
}
