/**
 * Which role a folder plays for tmail. The account's `folders` setting comes
 * first, then what the server says (SPECIAL-USE or a well-known name): the
 * rule the engine follows to find the folder for a role, read the other way.
 * So a server's Drafts is not tmail's Drafts when the account names another.
 */
import type { FolderRoles } from './config/types.js';
import type { FolderRole, Mailbox } from './types.js';

export function roleOfFolder(
  path: string,
  folders: readonly Pick<Mailbox, 'path' | 'role'>[],
  configured: FolderRoles | undefined,
): FolderRole | null {
  const settings = Object.entries(configured ?? {}).filter(([, value]) => Boolean(value));
  const named = settings.find(([, value]) => value === path);
  if (named) return named[0] as FolderRole;
  const role = folders.find((folder) => folder.path === path)?.role ?? null;
  return role && settings.some(([key]) => key === role) ? null : role;
}
