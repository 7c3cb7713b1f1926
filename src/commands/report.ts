/** Reporting a dispatch result in the status line, shared by every handler file. */
import type { DispatchResult } from '../core/engine/actions.js';
import type { CommandContext } from './context.js';

/** Reports a failed dispatch in the status line; true when it succeeded. */
export function reported<T>(
  ctx: CommandContext,
  result: DispatchResult<T>,
): result is { ok: true; value: T } {
  if (result.ok) return true;
  if (!result.cancelled) ctx.ui.notify('error', result.error.userMessage);
  return false;
}
