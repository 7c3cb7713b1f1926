/**
 * `tmail query TEXT`: the addresses that match, best first, from tmail's
 * address book and the account's addressBookCommand, one per line as
 * `address<TAB>name` (aerc's format; `--mutt` adds the status line mutt's
 * query_command skips), so that editors and other programs can use them.
 */
import { AddressBook, addressCommandFor, queryAddresses } from '../core/addressbook/index.js';
import { getAccount, loadConfig } from '../core/config/index.js';
import type { AccountConfig, TmailConfig } from '../core/config/types.js';
import { isTmailError } from '../core/errors.js';
import { sanitizeLine } from '../core/text/sanitize.js';
import { COMMON_OPTIONS, parseCommandArgs, positiveInt } from './args.js';
import { out, usageError, type CliIo } from './io.js';
import { json } from './output.js';

const USAGE = `Usage: tmail query TEXT [--limit N] [--mutt] [--account NAME] [--json]

Prints the addresses matching TEXT, best first, one per line as address<TAB>name:
from tmail's address book (everyone written to or read from, ranked by how often
and how lately) and from the addressBookCommand of the account, when one is set.
  --mutt    print a first status line, as mutt's query_command format wants
  --limit   at most N addresses (default 20)`;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('query', args, {
    ...COMMON_OPTIONS,
    mutt: { type: 'boolean' },
    limit: { type: 'string' },
  });
  if (values.help) {
    out(io, USAGE);
    return 0;
  }
  const text = positionals.join(' ');
  if (!text.trim()) throw usageError('give the text to look for; see tmail query --help');
  const limit = positiveInt('limit', values.limit, 20);
  // The address book works without any account; the command needs the dotfile.
  let config: TmailConfig | undefined;
  let account: AccountConfig | undefined;
  try {
    config = loadConfig();
    account = getAccount(config, values.account);
  } catch (error) {
    if (!isTmailError(error) || error.code !== 'CONFIG_MISSING' || values.account) throw error;
  }
  const result = await queryAddresses(text, {
    book: new AddressBook(),
    command: addressCommandFor(account, config),
    limit,
  });
  if (result.notice) io.stderr.write(`tmail: ${sanitizeLine(result.notice)}\n`);
  if (values.json) {
    json(
      io,
      result.matches.map((m) => ({
        address: m.address,
        name: m.name,
        ...(m.comment ? { comment: m.comment } : {}),
        source: m.source,
      })),
    );
    return 0;
  }
  if (values.mutt) {
    const n = result.matches.length;
    out(io, `tmail: ${n} address${n === 1 ? '' : 'es'} found`);
  }
  for (const m of result.matches) {
    out(io, [m.address, m.name, ...(m.comment ? [m.comment] : [])].map(sanitizeLine).join('\t'));
  }
  return 0;
}
