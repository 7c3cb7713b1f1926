/**
 * Several accounts in one session: switching between them (aerc's Ctrl-n and
 * Ctrl-p between account tabs, `A` or `:account NAME` by name with Tab
 * completion) and folding one in the sidebar. The accounts themselves live
 * in the context (core/engine-registry through the UI controller).
 */
import type { AccountsApi, CommandContext, Completer } from './context.js';

/** With one account there is nothing to switch to: say so instead of doing nothing. */
function several(ctx: CommandContext): AccountsApi | null {
  const accounts = ctx.accounts;
  if (!accounts || accounts.names().length < 2) {
    ctx.ui.notify(
      'info',
      `${ctx.engine.account.name} is the only account; tmail account add sets up another.`,
    );
    return null;
  }
  return accounts;
}

/** Account names that fit what was typed: those starting with it first, then those containing it. */
export function completeAccount(input: string, names: readonly string[]): string[] {
  const wanted = input.toLowerCase();
  const starts = names.filter((n) => n.toLowerCase().startsWith(wanted));
  const contains = names.filter((n) => !starts.includes(n) && n.toLowerCase().includes(wanted));
  return [...starts, ...contains];
}

/** A completer over the session's account names. */
export function accountCompleter(ctx: CommandContext): Completer {
  return (input) => completeAccount(input, ctx.accounts?.names() ?? [ctx.engine.account.name]);
}

/** The account a typed name means: exact, else ignoring case, else the one it starts. */
function resolveAccount(ctx: CommandContext, accounts: AccountsApi, typed: string): string | null {
  const names = accounts.names();
  const exact = names.find((n) => n === typed);
  if (exact) return exact;
  const lower = typed.toLowerCase();
  const caseless = names.find((n) => n.toLowerCase() === lower);
  if (caseless) return caseless;
  const prefixed = names.filter((n) => n.toLowerCase().startsWith(lower));
  if (prefixed.length === 1) return prefixed[0]!;
  ctx.ui.notify(
    'error',
    `There is no account named ${typed}; Tab completes account names (${names.join(', ')}).`,
  );
  return null;
}

/** `:account NAME`: shows that account; without a name, asks for one. */
export async function showAccount(ctx: CommandContext, typed?: string): Promise<void> {
  const accounts = several(ctx);
  if (!accounts) return;
  let name = typed?.trim();
  if (!name) {
    const answer = await ctx.ui.prompt({
      label: 'Account: ',
      complete: accountCompleter(ctx),
      history: 'account',
    });
    name = answer?.trim();
    if (!name) return;
  }
  const account = resolveAccount(ctx, accounts, name);
  if (!account) return;
  if (account === accounts.shown()) {
    ctx.ui.notify('info', `Account ${account} is the one shown.`);
    return;
  }
  accounts.show(account);
}

/** The next (1) or previous (-1) account in the dotfile's order, wrapping as aerc's tabs do. */
export function adjacentAccount(ctx: CommandContext, step: 1 | -1): void {
  const accounts = several(ctx);
  if (!accounts) return;
  const names = accounts.names();
  const index = names.indexOf(accounts.shown());
  accounts.show(names[(index + step + names.length) % names.length]!);
}

/** `:fold-account [NAME]`: folds or unfolds an account (the shown one by default) in the sidebar. */
export function foldAccount(ctx: CommandContext, typed?: string): void {
  const accounts = several(ctx);
  if (!accounts) return;
  const name = typed?.trim() ? resolveAccount(ctx, accounts, typed.trim()) : accounts.shown();
  if (name) accounts.toggleFold(name);
}
