/**
 * Handing the terminal to the user's editor. The TUI suspends Ink around
 * {@link runEditor} (or {@link editDraft}); the editor inherits the TTY and
 * gets it back to tmail when it exits.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TmailError } from '../errors.js';
import type { Draft } from './draft.js';
import { draftToEditorText, editorTextToDraft } from './editor-text.js';

/** The name of a draft's file in the editor (`.eml`, so editors pick their mail mode). */
export function editorFileName(draftId: string): string {
  return `tmail-${draftId.replace(/[^A-Za-z0-9_-]/g, '')}.eml`;
}

/** The editor command line: `$VISUAL`, else `$EDITOR`, else `vi`. */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/**
 * Runs the editor on `file` with the terminal inherited, and resolves with its
 * exit code (128 + the signal number when a signal ended it). The command goes
 * through `sh -c` because editors are often configured with arguments
 * (`code --wait`, `emacsclient -t`); the file is passed as `$1`, so no path
 * is ever pasted into shell text.
 */
export function runEditor(file: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const command = editorCommand(env);
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${command} "$1"`, 'sh', file], {
      stdio: 'inherit',
      env,
    });
    child.once('error', (error) =>
      reject(
        new TmailError('FILE_ERROR', `The editor (${command}) could not be started.`, {
          cause: error,
        }),
      ),
    );
    child.once('exit', (code, signal) => {
      if (code !== null) resolve(code);
      else resolve(128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

export interface EditResult {
  /** The edited draft; the draft as it was when the editor failed. */
  draft: Draft;
  /**
   * The editor's exit code; anything but 0 means the edit was abandoned. Above 128
   * (killed by a signal) the editor's file is left in place to be recovered.
   */
  exitCode: number;
  /** True when the text came back different. */
  changed: boolean;
}

export interface EditOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory for the temporary file; the system's temp directory by default. */
  tmpDir?: string;
  /** Runs the editor (tests replace it); {@link runEditor} by default. */
  run?: (file: string, env: NodeJS.ProcessEnv) => Promise<number>;
}

/**
 * Writes the draft to a private temporary file (`.eml`, so editors pick their
 * mail mode), runs the editor on it, and reads it back. The file is removed
 * afterwards; the caller autosaves the result.
 */
export async function editDraft(draft: Draft, options: EditOptions = {}): Promise<EditResult> {
  const env = options.env ?? process.env;
  const dir = await mkdtemp(join(options.tmpDir ?? tmpdir(), 'tmail-edit-'));
  const file = join(dir, editorFileName(draft.id));
  let keep = false;
  try {
    const before = draftToEditorText(draft);
    await writeFile(file, before, { mode: 0o600 });
    const exitCode = await (options.run ?? runEditor)(file, env);
    // Killed by a signal (the terminal closed under it, most likely): what it had saved
    // stays on disk, where the drafts store takes it back at the next start.
    keep = exitCode > 128;
    if (exitCode !== 0) return { draft, exitCode, changed: false };
    const after = await readFile(file, 'utf8');
    if (after === before) return { draft, exitCode, changed: false };
    return { draft: editorTextToDraft(after, draft), exitCode, changed: true };
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}
