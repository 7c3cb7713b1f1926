/**
 * The one-line editor of prompts and the command line, as a pure reducer:
 * edits by code point, Tab completion that cycles through the choices, and
 * history recall.
 */
import type { Completer } from '../commands/index.js';

export interface PromptState {
  label: string;
  /** The answer so far, as code points (so the cursor never splits a surrogate pair). */
  chars: readonly string[];
  cursor: number;
  secret: boolean;
  complete: Completer | null;
  /** The choices Tab is cycling through, and which is shown. */
  choices: readonly string[] | null;
  choice: number;
  /** Earlier answers, oldest first, and where recall is (history.length = the live line). */
  history: readonly string[];
  historyIndex: number;
  /** The line being typed before recall started. */
  draft: readonly string[];
  /** A word after the answer about completion: `looking up…`, or why a source gave nothing. */
  note: string | null;
}

export function createPrompt(options: {
  label: string;
  initial?: string;
  secret?: boolean;
  complete?: Completer;
  history?: readonly string[];
}): PromptState {
  const chars = [...(options.initial ?? '')];
  const history = options.history ?? [];
  return {
    label: options.label,
    chars,
    cursor: chars.length,
    secret: options.secret ?? false,
    complete: options.complete ?? null,
    choices: null,
    choice: 0,
    history,
    historyIndex: history.length,
    draft: chars,
    note: null,
  };
}

export function promptValue(state: PromptState): string {
  return state.chars.join('');
}

export type PromptEdit = { type: 'insert'; text: string } | { type: 'command'; command: string };

export type PromptOutcome =
  { kind: 'edit'; state: PromptState } | { kind: 'accept'; value: string } | { kind: 'cancel' };

function withChars(state: PromptState, chars: readonly string[], cursor: number): PromptState {
  return {
    ...state,
    chars,
    cursor: Math.max(0, Math.min(chars.length, cursor)),
    choices: null,
    note: null,
  };
}

/** The prompt showing the first (or, going back, the last) of `choices`. */
export function applyChoices(
  state: PromptState,
  choices: readonly string[],
  step: 1 | -1,
): PromptState {
  if (!choices.length) return { ...state, choices: [], note: null };
  const choice = step > 0 ? 0 : choices.length - 1;
  const chars = [...choices[choice]!];
  return { ...state, chars, cursor: chars.length, choices, choice, note: null };
}

/** True when Tab would ask the completer (rather than cycle through choices already there). */
export function needsCompletion(state: PromptState): boolean {
  return state.complete !== null && !(state.choices && state.choices.length > 1);
}

function completeStep(state: PromptState, step: 1 | -1): PromptState {
  if (!state.complete) return state;
  if (state.choices && state.choices.length > 1) {
    const choice = (state.choice + step + state.choices.length) % state.choices.length;
    const chars = [...state.choices[choice]!];
    return { ...state, chars, cursor: chars.length, choice };
  }
  const choices = state.complete(promptValue(state));
  // An answer that comes later is applied by the controller (see applyChoices).
  if (!Array.isArray(choices)) return state;
  return applyChoices(state, choices, step);
}

/** Applies a key (a `prompt.*` command, or text to insert). */
export function editPrompt(state: PromptState, edit: PromptEdit): PromptOutcome {
  const edited = (next: PromptState): PromptOutcome => ({ kind: 'edit', state: next });
  const { chars, cursor } = state;
  if (edit.type === 'insert') {
    const text = [...edit.text];
    return edited(
      withChars(
        state,
        [...chars.slice(0, cursor), ...text, ...chars.slice(cursor)],
        cursor + text.length,
      ),
    );
  }
  switch (edit.command) {
    case 'prompt.accept':
      return { kind: 'accept', value: promptValue(state) };
    case 'prompt.cancel':
      return { kind: 'cancel' };
    case 'prompt.complete':
      return edited(completeStep(state, 1));
    case 'prompt.complete-prev':
      return edited(completeStep(state, -1));
    case 'prompt.backspace':
      if (cursor === 0) return chars.length ? edited(state) : { kind: 'cancel' };
      return edited(
        withChars(state, [...chars.slice(0, cursor - 1), ...chars.slice(cursor)], cursor - 1),
      );
    case 'prompt.delete':
      return edited(
        withChars(state, [...chars.slice(0, cursor), ...chars.slice(cursor + 1)], cursor),
      );
    case 'prompt.delete-word': {
      let start = cursor;
      while (start > 0 && chars[start - 1] === ' ') start--;
      while (start > 0 && chars[start - 1] !== ' ' && chars[start - 1] !== '/') start--;
      if (start === cursor && start > 0) start--;
      return edited(withChars(state, [...chars.slice(0, start), ...chars.slice(cursor)], start));
    }
    case 'prompt.clear':
      return edited(withChars(state, chars.slice(cursor), 0));
    case 'prompt.left':
      return edited({ ...state, cursor: Math.max(0, cursor - 1) });
    case 'prompt.right':
      return edited({ ...state, cursor: Math.min(chars.length, cursor + 1) });
    case 'prompt.home':
      return edited({ ...state, cursor: 0 });
    case 'prompt.end':
      return edited({ ...state, cursor: chars.length });
    case 'prompt.history-prev':
    case 'prompt.history-next': {
      const step = edit.command === 'prompt.history-prev' ? -1 : 1;
      const index = Math.max(0, Math.min(state.history.length, state.historyIndex + step));
      if (index === state.historyIndex) return edited(state);
      const draft = state.historyIndex === state.history.length ? chars : state.draft;
      const next = index === state.history.length ? draft : [...state.history[index]!];
      return edited({ ...withChars(state, next, next.length), historyIndex: index, draft });
    }
    default:
      return edited(state);
  }
}
