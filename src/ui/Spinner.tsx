/** A spinner that ticks only while it is on screen. */
import { Text } from 'ink';
import { useEffect, useState } from 'react';
import type { TextStyle } from './theme.js';

export const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function Spinner({ style }: { style?: TextStyle }) {
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setFrame((f) => (f + 1) % SPINNER_FRAMES.length), 100);
    return () => clearInterval(timer);
  }, []);
  return <Text {...style}>{SPINNER_FRAMES[frame]}</Text>;
}
