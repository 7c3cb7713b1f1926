/**
 * The message as a file, and its links: `:pipe` (mutt's `|`), `:save`, `:raw`,
 * `:links` and `:open-link`. The raw message comes from the server through the
 * engine (`source`); pipe and save act on the tagged messages when there are
 * any, in the order they arrived (lowest UID first, so a patch series reaches
 * `git am` in order).
 */
import { parseMailto } from '../core/compose/mailto.js';
import { plural } from '../core/engine/outcome.js';
import { mboxrd, saveTarget, writeMessages } from '../core/message-file.js';
import { openUrl, urlOpener } from '../core/open-url.js';
import { describePipeResult, pipeToCommand } from '../core/pipe-command.js';
import {
  isMisleading,
  linkLine,
  messageLinks,
  sanitizeLine,
  unopenableReason,
  type MessageLink,
} from '../core/text/index.js';
import { toTmailError } from '../core/errors.js';
import { expandHome, pathCompleter } from './completion.js';
import type { CommandContext } from './context.js';
import { reported } from './report.js';

/** The raw view shows at most this much of a message; `:save` writes it all. */
export const RAW_VIEW_MAX_BYTES = 4 * 1024 * 1024;

/** The messages pipe and save act on, oldest first. */
function fileTargets(ctx: CommandContext): number[] {
  return [...ctx.ui.targets()].sort((a, b) => a - b);
}

/** The raw source of each message, in order; null when they could not be fetched (reported). */
async function sources(ctx: CommandContext, uids: readonly number[]): Promise<Buffer[] | null> {
  const result = await ctx.engine.dispatch({ type: 'sources', uids: [...uids] });
  return reported(ctx, result) ? result.value : null;
}

/**
 * `:pipe CMD` and `|`: the raw message on the standard input of a shell
 * command that gets the terminal meanwhile; tagged messages go as one mbox
 * (mboxrd, From lines included, as mutt pipes them). Asks for the command
 * when none is given; says how it ended.
 */
export async function pipeMessages(ctx: CommandContext, given?: string): Promise<void> {
  const uids = fileTargets(ctx);
  if (!uids.length) return;
  const command =
    given ??
    (await ctx.ui.prompt({
      label: uids.length > 1 ? `Pipe ${uids.length} messages to: ` : 'Pipe to: ',
      history: 'pipe',
    }));
  if (!command?.trim()) return;
  const raws = await sources(ctx, uids);
  if (!raws) return;
  const input = raws.length === 1 ? raws[0]! : mboxrd(raws);
  let result;
  try {
    // A failed command's output is what the user needs next: keep it on screen until a key.
    result = await ctx.ui.handOver(() => pipeToCommand(command.trim(), input), {
      waitKey: (ended) => ended.status !== 0,
    });
  } catch (error) {
    ctx.ui.notify('error', toTmailError(error).userMessage);
    return;
  }
  ctx.ui.clearTags();
  ctx.ui.notify(result.status === 0 ? 'info' : 'error', describePipeResult(command.trim(), result));
}

/**
 * `:save PATH`: the raw message into a file (`.eml`), or appended to an mbox
 * (an existing mbox file, or a name ending in `.mbox`; tagged messages always
 * go as an mbox). An existing file that is not an mbox is replaced only
 * after a yes. `~` is the home folder.
 */
export async function saveMessages(ctx: CommandContext, given?: string): Promise<void> {
  const uids = fileTargets(ctx);
  if (!uids.length) return;
  const typed =
    given ??
    (await ctx.ui.prompt({
      label: uids.length > 1 ? `Save ${uids.length} messages to: ` : 'Save to: ',
      initial: '~/',
      complete: pathCompleter(ctx.home),
      history: 'save-message',
    }));
  const cleaned = typed?.trim().replace(/^"(.*)"$/, '$1');
  if (!cleaned) return;
  const path = expandHome(cleaned, ctx.home);
  try {
    const target = await saveTarget(path, uids.length);
    if (target.replaces && !(await ctx.ui.confirm(`${path} exists; overwrite it? (y/n)`))) {
      ctx.ui.notify('info', `Not saved; ${path} was left as it was.`);
      return;
    }
    const raws = await sources(ctx, uids);
    if (!raws) return;
    await writeMessages(path, raws, target, { overwrite: target.replaces });
    ctx.ui.clearTags();
    ctx.ui.notify(
      'info',
      target.format === 'mbox'
        ? `${target.replaces ? 'Wrote' : 'Appended'} ${plural(raws.length, 'message')} to the mbox ${path}.`
        : `Saved the message to ${path}.`,
    );
  } catch (error) {
    ctx.ui.notify('error', toTmailError(error).userMessage);
  }
}

/** The message `:raw` and `:links` are about: the open one, else the one under the cursor. */
function oneMessage(ctx: CommandContext): number | null {
  return ctx.ui.openUid() ?? ctx.ui.cursorUid();
}

/** `:raw`: the message's source in the pager, sanitised; q or Esc goes back. */
export async function showRaw(ctx: CommandContext): Promise<void> {
  const uid = oneMessage(ctx);
  if (uid === null) return;
  const result = await ctx.engine.dispatch({ type: 'source', uid });
  if (!reported(ctx, result)) return;
  const raw = result.value;
  let text = raw.subarray(0, RAW_VIEW_MAX_BYTES).toString('utf8');
  if (raw.length > RAW_VIEW_MAX_BYTES)
    text += `\n[${plural(raw.length - RAW_VIEW_MAX_BYTES, 'more byte')} not shown; :save writes the whole message.]`;
  ctx.ui.showPage(uid, `Source of message ${uid}`, text);
}

/** The links of the message being read; null (and a notice) when there is none to act on. */
function readLinks(ctx: CommandContext): { uid: number; links: MessageLink[] } | null {
  const uid = ctx.ui.openUid();
  const view = ctx.ui.openMessageView();
  if (uid === null || !view) {
    ctx.ui.notify('info', 'Open a message first; its links are numbered in the reader.');
    return null;
  }
  const links = messageLinks(view);
  if (!links.length) {
    ctx.ui.notify('info', 'This message has no links.');
    return null;
  }
  return { uid, links };
}

/** `:links`: every link of the message with its number, in the pager. */
export function showLinks(ctx: CommandContext): void {
  const found = readLinks(ctx);
  if (!found) return;
  const text = found.links.map((link, index) => `[${index + 1}] ${linkLine(link)}`).join('\n');
  ctx.ui.showPage(found.uid, `Links (${found.links.length}): :open-link N opens one`, text);
}

/**
 * `:open-link N`: opens link N with `$BROWSER`, else the desktop's opener;
 * the URL is one argument, never shell text. Only http, https and mailto
 * open; a mailto link starts a new message to its address instead, when
 * writing mail is available. A link whose text names another address asks first, showing where
 * it really goes.
 */
export async function openLink(ctx: CommandContext, given?: string): Promise<void> {
  const found = readLinks(ctx);
  if (!found) return;
  const { links } = found;
  const typed =
    given ??
    (links.length === 1
      ? '1'
      : await ctx.ui.prompt({ label: `Open link (1-${links.length}): `, history: 'link' }));
  if (!typed?.trim()) return;
  const number = Number(typed.trim().replace(/^\[(\d+)\]$/, '$1'));
  const link = Number.isInteger(number) ? links[number - 1] : undefined;
  if (!link) {
    ctx.ui.notify(
      'error',
      `There is no link ${sanitizeLine(typed.trim())}; this message has links 1 to ${links.length}.`,
    );
    return;
  }
  const refused = unopenableReason(link.url);
  if (refused) {
    ctx.ui.notify('error', refused);
    return;
  }
  if (isMisleading(link)) {
    const ok = await ctx.ui.confirm(
      `Link ${number} reads "${sanitizeLine(link.label)}" but goes to ${sanitizeLine(link.url)}. Open it? (y/n)`,
    );
    if (!ok) return;
  }
  if (/^mailto:/i.test(link.url) && ctx.composer) {
    // A mail address is written to here, as mutt and aerc do, not handed to a browser.
    await writeToMailto(ctx, link.url, `Link ${number} is not a mail address tmail can write to.`);
    return;
  }
  const opener = urlOpener(link.url);
  if (!opener) {
    ctx.ui.notify('error', 'No program opens links here; set $BROWSER to your browser.');
    return;
  }
  try {
    if (opener.terminal) await ctx.ui.handOver(() => openUrl(link.url, opener));
    else await openUrl(link.url, opener);
  } catch (error) {
    ctx.ui.notify('error', toTmailError(error).userMessage);
    return;
  }
  ctx.ui.notify('info', `Opened link ${number} with ${opener.command}.`);
}

/**
 * Starts a message with what a mailto: link gives (`:open-link` on one, or
 * `tmail mailto:…`); says `unreadable` when the link cannot be read.
 */
export async function writeToMailto(
  ctx: CommandContext,
  url: string,
  unreadable: string,
): Promise<void> {
  if (!ctx.composer) {
    ctx.ui.notify('error', 'Writing mail is not available here.');
    return;
  }
  const fields = parseMailto(url);
  if (!fields) {
    ctx.ui.notify('error', unreadable);
    return;
  }
  await ctx.composer.startWith(fields);
}

/** The handlers of this file, by command id. */
export const MESSAGE_FILE_HANDLERS = {
  'mail.pipe': (ctx: CommandContext) => pipeMessages(ctx),
  'mail.save': (ctx: CommandContext) => saveMessages(ctx),
  'mail.raw': showRaw,
  'message.links': showLinks,
  'message.open-link': (ctx: CommandContext) => openLink(ctx),
};
