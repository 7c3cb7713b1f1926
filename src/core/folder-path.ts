/**
 * Folder paths as the user sees and types them, and as the server names them.
 *
 * Everything above the IMAP backend speaks in display paths: folders separated
 * by `/` whatever the server's own separator, without the personal namespace
 * prefix (Courier keeps every folder under `INBOX.`, so its `INBOX.Lists.rust`
 * is shown as `Lists/rust`), INBOX always spelled INBOX. The backend turns them
 * into server paths on the way out and back on the way in (core/imap), so this
 * is the only place that knows both. mutt lets you type `/` on any server and
 * Thunderbird hides Courier's `INBOX.`; tmail does both.
 *
 * Two names have no plain spelling in display paths:
 * - a `/` inside one folder's name on a server whose separator is something
 *   else (possible on some `.` servers) is shown as `∕` (U+2215 DIVISION SLASH)
 *   and typed back the same way (the folder prompt completes it), so that `/`
 *   always means "one level down";
 * - a typed name that holds the server's separator inside one folder's name
 *   (`v1.2` on Courier, which would make `v1` and under it `2`) is refused in
 *   one sentence instead of quietly making two levels.
 *
 * A server path typed as the server spells it (`INBOX.Archive` on Courier, from
 * an older configuration file or a script) still reaches the same folder.
 */
import { TmailError } from './errors.js';

/** How one server names folders: its separator and the personal namespace prefix. */
export interface FolderNaming {
  /** The server's hierarchy separator (`/`, `.`); empty when its folders are flat. */
  delimiter: string;
  /**
   * The personal namespace prefix, separator included: `INBOX.` on Courier (and
   * Cyrus without altnamespace), empty on Dovecot and Cyrus with altnamespace.
   */
  prefix: string;
}

/** The separator of display paths. */
export const DISPLAY_SEPARATOR = '/';
/** How a `/` inside one folder's name is shown where `/` is not the server's separator. */
export const LITERAL_SLASH = '\u2215';

/** Naming as the server's NAMESPACE (or LIST "" "") answer gives it; missing parts are flat, no prefix. */
export function folderNaming(
  namespace: { prefix?: string | null; delimiter?: string | null } | null | undefined,
): FolderNaming {
  const delimiter = namespace?.delimiter ?? '';
  let prefix = namespace?.prefix ?? '';
  // A prefix is a folder name followed by the separator; some servers leave the separator off.
  if (prefix && delimiter && !prefix.endsWith(delimiter)) prefix += delimiter;
  return { delimiter, prefix };
}

/** Naming that changes nothing (a `/` server without a prefix): the fake backend's. */
export const PLAIN_NAMING: FolderNaming = { delimiter: DISPLAY_SEPARATOR, prefix: '' };

function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

/** The display path of a folder the server names `serverPath`. */
export function toDisplayPath(serverPath: string, naming: FolderNaming): string {
  if (isInbox(serverPath)) return 'INBOX';
  const { delimiter, prefix } = naming;
  // The prefix itself (`INBOX.` listed as a folder on its own) keeps the server's name.
  if (prefix && serverPath === prefix) return serverPath;
  const rest =
    prefix && serverPath.startsWith(prefix) ? serverPath.slice(prefix.length) : serverPath;
  if (!delimiter || delimiter === DISPLAY_SEPARATOR) return rest;
  return rest
    .split(delimiter)
    .map((segment) => segment.replaceAll(DISPLAY_SEPARATOR, LITERAL_SLASH))
    .join(DISPLAY_SEPARATOR);
}

/**
 * The server path of the folder typed (or shown) as `displayPath`. Repeated,
 * leading and trailing `/` are dropped, as a file path's would be. Throws a
 * TmailError (USAGE) for a name the server would read as more than one folder.
 */
export function toServerPath(displayPath: string, naming: FolderNaming): string {
  const { delimiter, prefix } = naming;
  if (isInbox(displayPath)) return 'INBOX';
  // Typed as the server spells it: `INBOX.Archive` on Courier.
  if (prefix && displayPath.startsWith(prefix) && !displayPath.includes(DISPLAY_SEPARATOR))
    return displayPath;
  if (!delimiter) return prefix + displayPath;
  const segments = displayPath.split(DISPLAY_SEPARATOR).filter((segment) => segment !== '');
  if (!segments.length) return displayPath;
  if (segments.length === 1 && isInbox(segments[0]!)) return 'INBOX';
  // Where the personal namespace is INBOX's own children, `INBOX/Archive` is `Archive`.
  if (
    segments.length > 1 &&
    isInbox(segments[0]!) &&
    prefix.toUpperCase() === `INBOX${delimiter}`
  ) {
    segments.shift();
  }
  if (delimiter !== DISPLAY_SEPARATOR) {
    const clash = segments.find((segment) => segment.includes(delimiter));
    if (clash !== undefined) {
      throw new TmailError(
        'USAGE',
        `A folder name cannot contain "${delimiter}" on this server (it separates folders there); use / between folders, as in ${segments.map((s) => s.replaceAll(delimiter, DISPLAY_SEPARATOR)).join(DISPLAY_SEPARATOR)}.`,
      );
    }
  }
  const server = segments
    .map((segment) =>
      delimiter === DISPLAY_SEPARATOR ? segment : segment.replaceAll(LITERAL_SLASH, '/'),
    )
    .join(delimiter);
  return isInbox(segments[0]!) ? `INBOX${server.slice(5)}` : prefix + server;
}

/** The parent of a display path, or null at the top. */
export function displayParent(displayPath: string, naming: FolderNaming): string | null {
  if (!naming.delimiter || isInbox(displayPath)) return null;
  const at = displayPath.lastIndexOf(DISPLAY_SEPARATOR);
  return at > 0 ? displayPath.slice(0, at) : null;
}

/** The last folder name of a display path (what the sidebar shows on a row). */
export function displayName(displayPath: string, naming: FolderNaming): string {
  if (!naming.delimiter) return displayPath;
  return displayPath.slice(displayPath.lastIndexOf(DISPLAY_SEPARATOR) + 1);
}
