/**
 * The list drawn before React and Ink have loaded. On a start from the local
 * cache the rows are known some 60 ms before the UI that draws them is ready
 * (loading Ink and React, then their first render and layout): in that time
 * the rows on screen are drawn here, from the same row looks as the list
 * component (list-row.ts) and with the same styles as Ink's <Text>, at the
 * place the list takes on the screen. The UI's first frame then covers it
 * and adds what is around the list (sidebar, status line); the rows
 * themselves do not change, and whatever of this paint the frame does not
 * cover is erased behind it (coverFirstFrame).
 */
import chalk from 'chalk';
import type { FolderRoles } from '../core/config/types.js';
import { roleOfFolder } from '../core/folder-role.js';
import type { MailState } from '../core/store/state.js';
import type { Layout } from '../commands/index.js';
import { computeLayout } from './layout.js';
import { INITIAL_CURSOR } from './list-nav.js';
import {
  rowColumns,
  rowLook,
  rowSlots,
  startOfToday,
  type DateStyle,
  type RowLook,
} from './list-row.js';
import type { TextStyle, Theme } from './theme.js';

/** `text` in chalk's style of that name (`red`, `bgBlue`, `bold`); as it was for a name chalk lacks. */
function chalkStyle(name: string, text: string): string {
  const style = (chalk as unknown as Record<string, unknown>)[name];
  return typeof style === 'function' ? (style as (text: string) => string)(text) : text;
}

/**
 * `text` as Ink's <Text> with these props writes it: the same chalk calls in
 * the same order (ink/build/components/Text.js), for the named colours the
 * themes use.
 */
export function styleText(text: string, style: TextStyle): string {
  let out = text;
  if (style.dimColor) out = chalk.dim(out);
  if (style.color) out = chalkStyle(style.color, out);
  if (style.backgroundColor) {
    const name = style.backgroundColor;
    out = chalkStyle(`bg${name[0]!.toUpperCase()}${name.slice(1)}`, out);
  }
  if (style.bold) out = chalk.bold(out);
  if (style.italic) out = chalk.italic(out);
  if (style.underline) out = chalk.underline(out);
  if (style.strikethrough) out = chalk.strikethrough(out);
  if (style.inverse) out = chalk.inverse(out);
  return out;
}

/** A row's look as the terminal gets it: each span in its role, the whole in the row's. */
export function drawLook(look: RowLook, theme: Theme): string {
  const inner = look.spans
    .map((span) => (span.role ? styleText(span.text, theme.styles[span.role]) : span.text))
    .join('');
  return look.role ? styleText(inner, theme.styles[look.role]) : inner;
}

export interface EarlyPaintInput {
  state: MailState;
  /** The account's folder roles from the dotfile (Sent and Drafts show recipients). */
  configuredRoles?: FolderRoles;
  columns: number;
  rows: number;
  sidebar: boolean;
  layout: Layout;
  dateStyle: DateStyle;
  theme: Theme;
}

/**
 * The escape sequences that draw the list's rows where the UI will draw them
 * on its first frame, ending with the cursor at the top left (where Ink
 * starts its frame); null when there are no rows with envelopes to show.
 */
export function earlyListPaint(input: EarlyPaintInput): string | null {
  const { state } = input;
  const view = state.view;
  if (!view || view.total === 0) return null;
  const metrics = computeLayout({
    columns: input.columns,
    rows: input.rows,
    sidebar: input.sidebar,
    layout: input.layout,
    screen: 'list',
  });
  const slots = rowSlots(view, INITIAL_CURSOR, metrics.listHeight, new Set());
  if (!slots.some((slot) => slot.envelope)) return null;
  const role = roleOfFolder(view.path, state.folders, input.configuredRoles);
  const options = {
    columns: rowColumns(metrics.mainWidth, input.dateStyle),
    dateStyle: input.dateStyle,
    showRecipient: role === 'sent' || role === 'drafts',
    width: metrics.mainWidth,
    today: startOfToday(),
    focused: true,
    offline: state.connection.status === 'offline',
  };
  let out = '';
  slots.forEach((slot, y) => {
    out += `\u001b[${y + 1};${metrics.sidebarWidth + 1}H${drawLook(rowLook(slot, options), input.theme)}`;
  });
  return `${out}\u001b[H`;
}

/**
 * The UI's first frame over an early paint: each of its lines erases the
 * rest of its row, and the screen below it is erased, so that nothing of the
 * paint the frame does not cover stays (Ink leaves trailing blanks unwritten).
 * Erasing behind the text, not before it, keeps the rows from flickering.
 */
export function coverFirstFrame(frame: string): string {
  return `${frame.replace(/\n/g, '\u001b[K\n')}\u001b[K\u001b[J`;
}
