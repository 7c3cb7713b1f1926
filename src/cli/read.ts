/**
 * `tmail read UID`: what the message view shows, as text (or fields as JSON),
 * the raw source, all headers, or the attachments saved to a folder. Output is
 * sanitised exactly like the screen.
 */
import { resolve } from 'node:path';
import { renderMessageText } from '../core/text/render-message.js';
import { sanitizeLine, sanitizeText } from '../core/text/sanitize.js';
import type { MessageView } from '../core/types.js';
import { COMMON_OPTIONS, parseCommandArgs, parseUids } from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { withMail } from './mail-session.js';
import { json } from './output.js';

const USAGE = `Usage: tmail read UID [--folder F] [--raw | --headers] [--save-attachments DIR] [--peek] [--account NAME] [--json]

Shows a message: the main headers, the text, and its attachments.
  --raw                    the message source, as received (byte for byte to a file
                           or pipe; control bytes made visible on a terminal)
  --headers                every header line
  --save-attachments DIR   save every attachment into DIR (never overwriting a file)
  --peek                   do not mark the message as read`;

function messageJson(view: MessageView): Record<string, unknown> {
  return {
    uid: view.uid,
    subject: view.subject,
    from: view.from,
    to: view.to,
    cc: view.cc,
    replyTo: view.replyTo,
    date: view.date === null ? null : new Date(view.date).toISOString(),
    messageId: view.messageId,
    inReplyTo: view.inReplyTo,
    references: view.references,
    text: view.text,
    links: view.links,
    attachments: view.attachments.map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      sizeExact: a.sizeExact === true,
      inline: a.inline,
    })),
    notes: view.notes,
  };
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('read', args, {
    ...COMMON_OPTIONS,
    folder: { type: 'string', short: 'f' },
    raw: { type: 'boolean' },
    headers: { type: 'boolean' },
    'save-attachments': { type: 'string' },
    peek: { type: 'boolean' },
  });
  if (values.help) {
    out(io, USAGE);
    return 0;
  }
  const uids = parseUids(positionals);
  if (uids.length !== 1) throw usageError('read takes exactly one UID');
  const uid = uids[0]!;
  const saveDir = values['save-attachments'];
  const folder = values.folder ?? 'INBOX';
  const terminal = Boolean((io.stdout as { isTTY?: boolean }).isTTY);

  await withMail(
    io,
    values.account,
    async (engine) => {
      await engine.request({ type: 'open-folder', path: folder, rows: 0, list: false });
      if (values.raw) {
        const source = await engine.request({ type: 'source', uid });
        if (values.json) json(io, { uid, source: source.toString('utf8') });
        else if (terminal) io.stdout.write(sanitizeText(source.toString('utf8')) + '\n');
        // To a file or a pipe the source goes byte for byte: ESC is part of ISO-2022-JP.
        else io.stdout.write(source);
        return;
      }
      const view = await engine.request({ type: 'read', uid, peek: values.peek ?? false });
      const saved: string[] = [];
      if (saveDir) {
        const dir = resolve(saveDir);
        for (const attachment of view.attachments) {
          saved.push(
            await engine.request({
              type: 'save-attachment',
              uid,
              attachmentId: attachment.id,
              dir,
            }),
          );
        }
      }
      if (values.json) {
        json(
          io,
          values.headers
            ? { uid, headers: view.headers }
            : { ...messageJson(view), ...(saveDir ? { saved } : {}) },
        );
        return;
      }
      if (values.headers) {
        for (const { key, value } of view.headers)
          out(io, `${sanitizeLine(key)}: ${sanitizeLine(value)}`);
      } else {
        // A file or a pipe gets whole lines: nothing wrapped, no name cut short.
        const width = terminal ? ((io.stdout as { columns?: number }).columns ?? 80) : Infinity;
        for (const line of renderMessageText(view, { width })) out(io, line);
      }
      for (const path of saved) out(io, `Saved ${sanitizeLine(path)}`);
    },
    { fromCache: true },
  );
  return 0;
}
