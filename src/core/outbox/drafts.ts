/**
 * The local drafts store, `stateDir()/drafts/<id>.json`: the compose screen
 * saves the draft here after every edit, so that a crash, a closed terminal or
 * a lost connection while writing loses nothing. A draft leaves the store when
 * it is queued for sending or postponed to the server.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Draft } from '../compose/draft.js';
import { editorFileName } from '../compose/editor.js';
import { editorTextToDraft } from '../compose/editor-text.js';
import { TmailError } from '../errors.js';
import { createLogger } from '../log.js';
import { statePath } from '../paths.js';
import { writeFileAtomic } from '../fs-atomic.js';

const log = createLogger('drafts');
const DRAFT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The directory of local drafts: `stateDir()/drafts`. */
export function localDraftsDir(): string {
  return statePath('drafts');
}

function draftPath(id: string, dir: string): string {
  if (!DRAFT_ID.test(id)) throw new TmailError('INVALID_MESSAGE', `"${id}" is not a draft id.`);
  return join(dir, `${id}.json`);
}

/** Saves (atomically replaces) a draft. */
export async function saveLocalDraft(draft: Draft, dir: string = localDraftsDir()): Promise<void> {
  try {
    await writeFileAtomic(draftPath(draft.id, dir), JSON.stringify(draft));
  } catch (error) {
    if (error instanceof TmailError) throw error;
    throw new TmailError('FILE_ERROR', 'The draft could not be saved.', { cause: error });
  }
}

/** One saved draft, or undefined. */
export async function loadLocalDraft(
  id: string,
  dir: string = localDraftsDir(),
): Promise<Draft | undefined> {
  try {
    return JSON.parse(await readFile(draftPath(id, dir), 'utf8')) as Draft;
  } catch {
    return undefined;
  }
}

/** Every saved draft (of one account when given), most recently changed first. */
export async function listLocalDrafts(
  account?: string,
  dir: string = localDraftsDir(),
): Promise<Draft[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw new TmailError('FILE_ERROR', 'The saved drafts could not be read.', { cause: error });
  }
  const drafts: Draft[] = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const draft = await loadLocalDraft(name.slice(0, -'.json'.length), dir);
    if (!draft) {
      log.warn('unreadable local draft', { name });
      continue;
    }
    if (account === undefined || draft.account === account) drafts.push(draft);
  }
  return drafts.sort((a, b) => b.updated - a.updated);
}

function editingPath(dir: string): string {
  return join(dir, 'editing');
}

/**
 * Where the editor's file of a draft lives while the editor is open: inside the
 * drafts store, not the system's temp directory, so that a tmail stopped while
 * the editor was open (a crash, a closed terminal) leaves what the editor had
 * saved where {@link recoverLocalDrafts} finds it. Made when missing.
 */
export async function editingDir(dir: string = localDraftsDir()): Promise<string> {
  const editing = editingPath(dir);
  await mkdir(editing, { recursive: true, mode: 0o700 });
  return editing;
}

/**
 * The saved drafts (as {@link listLocalDrafts}), each with the text its editor
 * had saved when tmail stopped during an edit: that text goes into the draft,
 * which is saved again, and the editor's leftover file is removed.
 */
export async function recoverLocalDrafts(
  account?: string,
  dir: string = localDraftsDir(),
): Promise<Draft[]> {
  const drafts = await listLocalDrafts(account, dir);
  const editing = editingPath(dir);
  let sessions: string[];
  try {
    sessions = await readdir(editing);
  } catch {
    return drafts;
  }
  const recovered: Draft[] = [];
  for (const draft of drafts) {
    let current = draft;
    for (const session of sessions) {
      let text: string;
      try {
        text = await readFile(join(editing, session, editorFileName(draft.id)), 'utf8');
      } catch {
        continue;
      }
      current = editorTextToDraft(text, current);
      await saveLocalDraft(current, dir);
      await rm(join(editing, session), { recursive: true, force: true });
      log.info('draft recovered from the editor', { id: draft.id });
    }
    recovered.push(current);
  }
  return recovered.sort((a, b) => b.updated - a.updated);
}

/** Removes a saved draft; harmless when it is not there. */
export async function deleteLocalDraft(id: string, dir: string = localDraftsDir()): Promise<void> {
  await rm(draftPath(id, dir), { force: true });
}
