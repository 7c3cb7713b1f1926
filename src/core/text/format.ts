/**
 * Small formatters shared by the reader, the message list and `tmail read`.
 * They return display strings that are already sanitised.
 */
import type { Address } from '../types.js';
import { sanitizeLine } from './sanitize.js';

/** `Name <address>`, or the bare address when there is no name; sanitised. */
export function formatAddress(address: Address): string {
  const name = sanitizeLine(address.name).trim();
  const email = sanitizeLine(address.address).trim();
  if (!name) return email;
  if (!email || name === email) return name;
  return `${name} <${email}>`;
}

/**
 * A comma-separated list of addresses, at most `max` of them followed by
 * `(and N more)`, so a message to 5,000 people does not fill the screen.
 */
export function formatAddressList(addresses: readonly Address[], max = Infinity): string {
  const shown = addresses.slice(0, Math.max(0, max)).map(formatAddress);
  const rest = addresses.length - shown.length;
  const list = shown.join(', ');
  if (rest <= 0) return list;
  const more = `(and ${rest.toLocaleString('en-US')} more)`;
  return list ? `${list} ${more}` : more;
}

/** A byte count for people: `512 B`, `1.2 KB`, `20 MB` (powers of 1024). */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Options for {@link formatDateTime}. */
export interface DateFormatOptions {
  /** IANA time zone, e.g. `Europe/Berlin`; default the system's zone. */
  timeZone?: string;
  /** Leave out the weekday. */
  short?: boolean;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let formatter = formatterCache.get(key);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'longOffset',
      });
    } catch {
      // An unknown zone name from the config must not break the reader.
      formatter = partsFormatter(undefined);
    }
    formatterCache.set(key, formatter);
  }
  return formatter;
}

/**
 * `Tue, 2 Jan 2024 10:00 +01:00` in the given (or the system's) time zone.
 * English names and a numeric offset, so the output does not depend on the
 * locale and says which zone it is in.
 */
export function formatDateTime(ms: number, options: DateFormatOptions = {}): string {
  if (!Number.isFinite(ms)) return '(unknown)';
  const parts: Record<string, string> = {};
  for (const part of partsFormatter(options.timeZone).formatToParts(new Date(ms))) {
    parts[part.type] = part.value;
  }
  const offset = (parts.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  const date = `${parts.day} ${parts.month} ${parts.year} ${parts.hour}:${parts.minute} ${offset}`;
  return options.short ? date : `${parts.weekday}, ${date}`;
}
