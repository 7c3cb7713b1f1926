/**
 * Editing one line of text in the wizard, as a pure function of the keys, so
 * that a field and the server form edit alike and a test can feed it keys.
 *
 * A pre-filled value starts selected, as in a dialog box: the first typed
 * character replaces it (a suggested account name `example` and `alice`
 * typed make `alice`, not `examplealice`), Backspace or Ctrl-U clears it, and
 * an arrow key, Home or End keeps it to edit at its end.
 *
 * Ink hands over everything that arrived in one read as one input: Ctrl-U
 * and the digits typed right after it come as "\x15" + "2993", so control
 * characters are acted on inside the chunk, in order (skipping them turned
 * 993 into 9932993).
 */

/** The text of a field, and whether all of it is selected (typing replaces it). */
export interface FieldState {
  text: string;
  selected: boolean;
}

/** The parts of Ink's key description that editing looks at. */
export interface FieldKey {
  return?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  escape?: boolean;
  tab?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
}

/** A field's starting state: a pre-filled value is selected. */
export function initialField(text: string): FieldState {
  return { text, selected: text !== '' };
}

/** Characters never kept in a field: C0/C1 controls, DEL and the bidi overrides. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function dropLastChar(text: string): string {
  return [...text].slice(0, -1).join('');
}

/** Ctrl-W: the last word and the spaces after it. */
function dropLastWord(text: string): string {
  return text.replace(/\S*\s*$/, '');
}

/**
 * Applies one input from Ink to a field. `submit` is true when Enter came
 * (the state is the text up to it); `ignored` when the key is not an edit
 * (arrows up and down, Tab, Esc: the caller's to handle).
 */
export function editField(
  state: FieldState,
  input: string,
  key: FieldKey,
): { state: FieldState; submit: boolean; ignored: boolean } {
  const same = (ignored: boolean) => ({ state, submit: false, ignored });
  if (key.return) return { state, submit: true, ignored: false };
  if (key.backspace || key.delete)
    return {
      state: { text: state.selected ? '' : dropLastChar(state.text), selected: false },
      submit: false,
      ignored: false,
    };
  if (key.leftArrow || key.rightArrow || key.home || key.end)
    return { state: { ...state, selected: false }, submit: false, ignored: false };
  if (key.ctrl && input === 'u')
    return { state: { text: '', selected: false }, submit: false, ignored: false };
  if (key.ctrl && input === 'w')
    return {
      state: { text: state.selected ? '' : dropLastWord(state.text), selected: false },
      submit: false,
      ignored: false,
    };
  if (key.ctrl || key.meta || key.escape || key.tab || key.upArrow || key.downArrow)
    return same(true);
  if (key.pageUp || key.pageDown) return same(true);
  let { text, selected } = state;
  for (const ch of input) {
    if (ch === '\r' || ch === '\n')
      return { state: { text, selected }, submit: true, ignored: false };
    if (ch === '\u0015') text = '';
    else if (ch === '\u0017') text = selected ? '' : dropLastWord(text);
    else if (ch === '\u007f' || ch === '\b') text = selected ? '' : dropLastChar(text);
    else if (UNSAFE.test(ch)) continue;
    else text = (selected ? '' : text) + ch;
    selected = false;
  }
  return { state: { text, selected }, submit: false, ignored: false };
}
