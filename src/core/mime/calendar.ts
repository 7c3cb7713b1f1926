/**
 * A short summary of a text/calendar part (RFC 5545), shown as a notice above
 * the body: what kind of message it is (invitation, cancellation, reply),
 * the event's summary, start and end, location and organizer.
 */
import { formatDateTime } from '../text/format.js';

/** Options of {@link summarizeCalendar}. */
export interface CalendarOptions {
  /** IANA zone to show UTC and zoned times in; default the system's. */
  timeZone?: string;
}

interface Property {
  name: string;
  params: Record<string, string>;
  value: string;
}

const MAX_EVENTS = 3;

/** Unfolds content lines (a line starting with a space or tab continues the previous one). */
function contentLines(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\n[ \t]/g, '')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

function parseProperty(line: string): Property | null {
  // NAME;PARAM=value;PARAM="quoted:value":VALUE — the first colon outside quotes ends the name.
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon <= 0) return null;
  const [name = '', ...paramParts] = line.slice(0, colon).split(';');
  const params: Record<string, string> = {};
  for (const part of paramParts) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).toUpperCase()] = part.slice(eq + 1).replace(/^"|"$/g, '');
  }
  return { name: name.toUpperCase(), params, value: line.slice(colon + 1) };
}

function unescapeText(value: string): string {
  return value.replace(/\\([nN,;\\])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** Offset of `timeZone` at instant `ms`, in ms, or null when the zone is unknown. */
function zoneOffset(timeZone: string, ms: number): number | null {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(ms));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const asUtc = Date.UTC(
      get('year'),
      get('month') - 1,
      get('day'),
      get('hour'),
      get('minute'),
      get('second'),
    );
    return asUtc - Math.floor(ms / 1000) * 1000;
  } catch {
    return null;
  }
}

/** A DATE or DATE-TIME property as display text in the user's zone. */
function formatWhen(property: Property | undefined, options: CalendarOptions): string | null {
  if (!property) return null;
  const value = property.value.trim();
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (date) return `${Number(date[3])} ${monthName(Number(date[2]))} ${date[1]} (all day)`;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/.exec(value);
  if (!m) return value || null;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (m[7] === 'Z') return formatDateTime(wall, options);
  const zone = property.params.TZID;
  if (zone) {
    // The wall time is in TZID: find the instant, re-checking the offset across a DST change.
    const first = zoneOffset(zone, wall);
    if (first !== null) {
      let instant = wall - first;
      const second = zoneOffset(zone, instant);
      if (second !== null && second !== first) instant = wall - second;
      return formatDateTime(instant, options);
    }
    return `${formatDateTime(wall, { timeZone: 'UTC', short: true }).replace(/ [+-]\d\d:\d\d$/, '')} (${zone})`;
  }
  // A floating time: the same wall clock everywhere.
  return formatDateTime(wall, { timeZone: 'UTC', short: true }).replace(/ [+-]\d\d:\d\d$/, '');
}

/** The end without its date when it falls on the start's day: `… 14:00 – 15:00 +00:00`. */
function sameDay(start: string, end: string): string {
  const day = /^(.*?\d{4}) \d{2}:\d{2}/.exec(start)?.[1];
  return day && end.startsWith(`${day} `) ? end.slice(day.length + 1) : end;
}

function monthName(month: number): string {
  return (
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
      month - 1
    ] ?? '?'
  );
}

function person(property: Property | undefined): string | null {
  if (!property) return null;
  const address = property.value.replace(/^mailto:/i, '').trim();
  const name = property.params.CN?.trim();
  if (name && address) return `${name} <${address}>`;
  return name || address || null;
}

const METHOD_TITLES: Record<string, string> = {
  REQUEST: 'Calendar invitation',
  CANCEL: 'Calendar cancellation',
  REPLY: 'Calendar reply',
  COUNTER: 'Calendar counter-proposal',
  DECLINECOUNTER: 'Calendar counter-proposal declined',
  REFRESH: 'Calendar refresh request',
  ADD: 'Calendar update',
  PUBLISH: 'Calendar event',
};

/**
 * Summarises iCalendar text as a few lines, or returns null when it holds no
 * event. Never throws.
 */
export function summarizeCalendar(text: string, options: CalendarOptions = {}): string | null {
  const lines = contentLines(text);
  let method = '';
  const events: Property[][] = [];
  let event: Property[] | null = null;
  let nested = 0;
  for (const line of lines) {
    const property = parseProperty(line);
    if (!property) continue;
    if (property.name === 'METHOD' && !event) method = property.value.trim().toUpperCase();
    else if (property.name === 'BEGIN') {
      if (property.value.trim().toUpperCase() === 'VEVENT' && !event) {
        event = [];
        nested = 0;
      } else if (event) nested++;
    } else if (property.name === 'END') {
      if (event && nested === 0 && property.value.trim().toUpperCase() === 'VEVENT') {
        events.push(event);
        event = null;
      } else if (event) nested--;
    } else if (event && nested === 0) event.push(property);
  }
  if (!events.length) return null;
  const out: string[] = [METHOD_TITLES[method] ?? 'Calendar event'];
  for (const props of events.slice(0, MAX_EVENTS)) {
    const get = (name: string): Property | undefined => props.find((p) => p.name === name);
    const summary = get('SUMMARY');
    if (summary) out.push(`Event: ${unescapeText(summary.value).replace(/\s+/g, ' ').trim()}`);
    const start = formatWhen(get('DTSTART'), options);
    const end = formatWhen(get('DTEND'), options);
    if (start) out.push(end ? `When: ${start} – ${sameDay(start, end)}` : `When: ${start}`);
    const location = get('LOCATION');
    if (location) out.push(`Where: ${unescapeText(location.value).replace(/\s+/g, ' ').trim()}`);
    const organizer = person(get('ORGANIZER'));
    if (organizer) out.push(`Organizer: ${organizer}`);
    const status = get('STATUS')?.value.trim().toUpperCase();
    if (status === 'CANCELLED') out.push('Status: cancelled');
  }
  if (events.length > MAX_EVENTS) out.push(`(and ${events.length - MAX_EVENTS} more events)`);
  return out.join('\n');
}
