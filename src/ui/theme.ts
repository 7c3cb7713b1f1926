/**
 * Colours and attributes by role. `mono` uses only bold, dim, underline and
 * inverse, and is chosen by `ui.theme: "mono"` or by NO_COLOR
 * (https://no-color.org), so the UI reads on any terminal.
 */
import { createContext, useContext } from 'react';

/** The style props of Ink's <Text> that a theme sets. */
export interface TextStyle {
  color?: string;
  backgroundColor?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
  underline?: boolean;
  italic?: boolean;
  strikethrough?: boolean;
}

export type StyleRole =
  | 'status'
  | 'statusDim'
  | 'statusOffline'
  | 'selected'
  | 'unread'
  | 'flagged'
  | 'deleted'
  | 'tagged'
  | 'placeholder'
  | 'flags'
  | 'date'
  | 'sidebarTitle'
  | 'sidebarCurrent'
  | 'sidebarUnread'
  | 'separator'
  | 'readerTitle'
  | 'header'
  | 'quote1'
  | 'quote2'
  | 'signature'
  | 'link'
  | 'attachment'
  | 'section'
  | 'note'
  | 'match'
  | 'currentMatch'
  | 'error'
  | 'info'
  | 'prompt'
  | 'helpKey'
  | 'helpTitle'
  | 'dim';

export interface Theme {
  name: 'default' | 'mono';
  styles: Record<StyleRole, TextStyle>;
}

const MONO: Theme = {
  name: 'mono',
  styles: {
    status: { inverse: true },
    statusDim: { inverse: true },
    statusOffline: { inverse: true, bold: true },
    selected: { inverse: true },
    unread: { bold: true },
    flagged: { bold: true },
    deleted: { dimColor: true, strikethrough: true },
    tagged: { underline: true },
    placeholder: { dimColor: true },
    flags: {},
    date: {},
    sidebarTitle: { bold: true },
    sidebarCurrent: { inverse: true },
    sidebarUnread: { bold: true },
    separator: { dimColor: true },
    readerTitle: { inverse: true },
    header: { bold: true },
    quote1: { dimColor: true },
    quote2: { dimColor: true, italic: true },
    signature: { dimColor: true },
    link: { underline: true },
    attachment: { bold: true },
    section: { bold: true },
    note: { italic: true },
    match: { underline: true },
    currentMatch: { inverse: true },
    error: { bold: true },
    info: {},
    prompt: { bold: true },
    helpKey: { bold: true },
    helpTitle: { bold: true, underline: true },
    dim: { dimColor: true },
  },
};

const DEFAULT: Theme = {
  name: 'default',
  styles: {
    status: { backgroundColor: 'blue', color: 'whiteBright' },
    statusDim: { backgroundColor: 'blue', color: 'cyanBright' },
    statusOffline: { backgroundColor: 'red', color: 'whiteBright', bold: true },
    selected: { backgroundColor: 'cyan', color: 'black' },
    unread: { bold: true, color: 'whiteBright' },
    flagged: { color: 'yellow', bold: true },
    deleted: { color: 'gray', strikethrough: true },
    tagged: { color: 'magenta' },
    placeholder: { color: 'gray' },
    flags: { color: 'cyan' },
    date: { color: 'gray' },
    sidebarTitle: { bold: true, color: 'blue' },
    sidebarCurrent: { backgroundColor: 'blue', color: 'whiteBright' },
    sidebarUnread: { bold: true, color: 'whiteBright' },
    separator: { color: 'gray' },
    readerTitle: { backgroundColor: 'blue', color: 'whiteBright' },
    header: { color: 'cyan' },
    quote1: { color: 'green' },
    quote2: { color: 'gray' },
    signature: { color: 'gray' },
    link: { color: 'blue', underline: true },
    attachment: { color: 'magenta' },
    section: { bold: true },
    note: { color: 'yellow' },
    match: { backgroundColor: 'yellow', color: 'black' },
    currentMatch: { backgroundColor: 'magenta', color: 'whiteBright' },
    error: { color: 'redBright', bold: true },
    info: { color: 'green' },
    prompt: { bold: true },
    helpKey: { color: 'cyan', bold: true },
    helpTitle: { bold: true, underline: true },
    dim: { color: 'gray' },
  },
};

/**
 * The theme for a config value and environment: NO_COLOR (any non-empty
 * value) forces mono whatever the config says.
 */
export function pickTheme(
  name: 'default' | 'mono' | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Theme {
  if (env.NO_COLOR) return MONO;
  return name === 'mono' ? MONO : DEFAULT;
}

export const ThemeContext = createContext<Theme>(DEFAULT);

/** The style of a role in the current theme. */
export function useStyles(): Theme['styles'] {
  return useContext(ThemeContext).styles;
}
