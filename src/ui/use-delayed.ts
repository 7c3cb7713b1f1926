/** Small timing hooks: a value that appears only after a delay, and a ticking clock. */
import { useEffect, useState } from 'react';

/**
 * `value` once it has been set for `delayMs` (null before), so that work that
 * finishes quickly never flashes a spinner.
 */
export function useDelayed<T>(value: T | null, delayMs: number): T | null {
  const [shown, setShown] = useState<T | null>(null);
  useEffect(() => {
    if (value === null) {
      setShown(null);
      return;
    }
    const timer = setTimeout(() => setShown(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return value === null ? null : shown;
}

/** The time, refreshed every `intervalMs` while `active`. */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
  return now;
}
