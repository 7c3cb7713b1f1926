/**
 * A one-line text input for the wizard: typing, backspace, Ctrl-U, Enter to
 * submit; `mask` hides what is typed. The value lives in a ref as well as in
 * state, because Ink can deliver several keys before React re-renders, and a
 * fast typist's keys must not be lost (or `abc` and Enter may come as one).
 */
import { Text, useInput } from 'ink';
import { useRef, useState } from 'react';

export interface TextFieldProps {
  /** The value the field starts with. */
  initial?: string;
  /** Hide the typed characters behind `*`. */
  mask?: boolean;
  /** Shown dimmed while the field is empty. */
  placeholder?: string;
  /** Only the active field takes keys. */
  isActive?: boolean;
  onSubmit(value: string): void;
  onChange?(value: string): void;
}

export function TextField({
  initial = '',
  mask = false,
  placeholder,
  isActive = true,
  onSubmit,
  onChange,
}: TextFieldProps) {
  const value = useRef(initial);
  const [shown, setShown] = useState(initial);

  const set = (next: string) => {
    value.current = next;
    setShown(next);
    onChange?.(next);
  };

  useInput(
    (input, key) => {
      if (key.return) return onSubmit(value.current);
      if (key.backspace || key.delete) return set([...value.current].slice(0, -1).join(''));
      if (key.ctrl && input === 'u') return set('');
      if (key.ctrl || key.escape || key.tab || key.upArrow || key.downArrow) return;
      if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return;
      let next = value.current;
      for (const ch of input) {
        if (ch === '\r' || ch === '\n') {
          set(next);
          return onSubmit(next);
        }
        if (ch === '\u007f' || ch === '\b') next = [...next].slice(0, -1).join('');
        // Control characters never belong in a field (and must not reach the screen).
        else if (ch >= ' ' && !/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(ch)) next += ch;
      }
      set(next);
    },
    { isActive },
  );

  const text = mask ? '*'.repeat([...shown].length) : shown;
  return (
    <Text>
      {text === '' && placeholder ? <Text dimColor>{placeholder}</Text> : text}
      {isActive ? <Text inverse> </Text> : null}
    </Text>
  );
}
