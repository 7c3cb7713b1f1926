/**
 * The Date header, read by our own parser: the RFC 5322 form with its obsolete
 * variants and the zones senders really write, ISO 8601 and ctime. mailparser
 * would put the time of parsing in for a date it cannot read, and imapflow
 * leaves the list's dates to V8's parser; both the list and the reader use
 * this one instead, so a message shows the same time everywhere. No
 * mailparser here: the list path imports this without loading it.
 */

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

const ZONES: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
};

/**
 * A numeric zone as senders really write it: `+0200`, and also without a
 * leading zero (`-600`), with a colon (`+02:00`), hours only (`+2`), or after
 * a zone name (`GMT+0200`, `UTC+2`). Null when `zone` is none of these.
 */
function numericZone(zone: string): number | null {
  const numeric = /^(?:(?:GMT|UTC?) ?)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (!numeric) return null;
  const hours = Number(numeric[2]);
  const minutes = Number(numeric[3] ?? 0);
  if (hours > 14 || minutes > 59) return null;
  const offset = hours * 60 + minutes;
  return numeric[1] === '-' ? -offset : offset;
}

function zoneMinutes(zone: string | undefined): number {
  if (!zone) return 0;
  const numeric = numericZone(zone);
  if (numeric !== null) return numeric;
  // RFC 5322 4.3: unknown and military zones mean "no zone information", i.e. -0000.
  return ZONES[zone.toUpperCase()] ?? 0;
}

function fullYear(year: string): number {
  const n = Number(year);
  if (year.length === 2) return n < 50 ? 2000 + n : 1900 + n;
  if (year.length === 3) return 1900 + n;
  return n;
}

function build(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  zone: number,
): number | null {
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || year < 1000) return null;
  const ms = Date.UTC(year, month, day, hour, minute, Math.min(second, 59)) - zone * 60_000;
  const check = new Date(Date.UTC(year, month, day));
  // 31 Feb is not a date, whatever Date.UTC makes of it.
  if (check.getUTCDate() !== day) return null;
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Parses a Date header (RFC 5322, with the obsolete forms: two-digit years,
 * named zones, comments), ISO 8601, or ctime format. Null when it is none of
 * these; mailparser would put the time of parsing there instead.
 */
export function parseMailDate(value: string | undefined): number | null {
  if (!value) return null;
  const text = value
    .replace(/\([^()]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const rfc =
    /^(?:[A-Za-z]{2,9},? ?)?(\d{1,2})[ -]([A-Za-z]{3})[a-z]*\.?[ -](\d{2,4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?((?:(?:GMT|UTC?) ?)?[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}))?(?![\d:])/.exec(
      text,
    );
  if (rfc) {
    const month = MONTHS[rfc[2]!.toLowerCase()];
    if (month === undefined) return null;
    return build(
      fullYear(rfc[3]!),
      month,
      Number(rfc[1]),
      Number(rfc[4]),
      Number(rfc[5]),
      Number(rfc[6] ?? 0),
      zoneMinutes(rfc[7]),
    );
  }
  if (
    /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
  ) {
    const ms = Date.parse(text.replace(' ', 'T'));
    return Number.isFinite(ms) ? ms : null;
  }
  const ctime =
    /^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) (?:((?:(?:GMT|UTC?) ?)?[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}) )?(\d{4})$/.exec(
      text,
    );
  if (ctime) {
    const month = MONTHS[ctime[1]!.toLowerCase()];
    if (month === undefined) return null;
    return build(
      Number(ctime[7]),
      month,
      Number(ctime[2]),
      Number(ctime[3]),
      Number(ctime[4]),
      Number(ctime[5]),
      zoneMinutes(ctime[6]),
    );
  }
  // Other forms (e.g. `2024/01/02 10:00`) only when they carry a year and a
  // time: V8's parser also makes a date of `garbage 2024`.
  if (/\d{4}/.test(text) && /\d{1,2}:\d{2}/.test(text)) {
    const ms = Date.parse(text);
    return Number.isFinite(ms) ? ms : null;
  }
  return null;
}
