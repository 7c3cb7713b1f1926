/**
 * A one-line text input for the wizard: typing, Backspace, Ctrl-U, Ctrl-W,
 * Enter to submit; `mask` hides what is typed. A pre-filled value is shown
 * selected and the first typed character replaces it (field-edit.ts). The
 * value lives in a ref as well as in state, because Ink can deliver several
 * keys before React re-renders, and a fast typist's keys must not be lost
 * (or `abc` and Enter may come as one).
 */
import { Text, useInput } from 'ink';
import { useRef, useState } from 'react';
import { editField, initialField, type FieldState } from './field-edit.js';

export interface TextFieldProps {
  /** The value the field starts with (selected: typing replaces it). */
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
  const field = useRef<FieldState>(initialField(initial));
  const [shown, setShown] = useState<FieldState>(field.current);

  useInput(
    (input, key) => {
      const before = field.current;
      const result = editField(before, input, key);
      if (result.ignored) return;
      field.current = result.state;
      if (result.state !== before) {
        setShown(result.state);
        if (result.state.text !== before.text) onChange?.(result.state.text);
      }
      if (result.submit) onSubmit(result.state.text);
    },
    { isActive },
  );

  return <FieldText state={shown} mask={mask} placeholder={placeholder} active={isActive} />;
}

/** A field's text as shown: selected text in inverse, the cursor a block after it. */
export function FieldText({
  state,
  mask = false,
  placeholder,
  active,
}: {
  state: FieldState;
  mask?: boolean;
  placeholder?: string;
  active: boolean;
}) {
  const text = mask ? '*'.repeat([...state.text].length) : state.text;
  if (text === '' && placeholder)
    return (
      <Text>
        <Text dimColor>{placeholder}</Text>
        {active ? <Text inverse> </Text> : null}
      </Text>
    );
  if (active && state.selected) return <Text inverse>{text}</Text>;
  return (
    <Text>
      {text}
      {active ? <Text inverse> </Text> : null}
    </Text>
  );
}
