/**
 * The links of a message, numbered as the reader shows them: first the
 * anchors of HTML bodies (already footnoted `[n]` by the HTML conversion),
 * then the URLs written out in the text, each numbered where it stands. The
 * renderer and the `:links` and `:open-link` commands share this numbering.
 *
 * URLs are hostile input: a link opens only when its scheme is http, https or
 * mailto and it holds no control character, and a link whose shown text
 * names another address than its target is flagged so the user sees where it
 * really goes.
 */
import type { MessageView } from '../types.js';

/** One link of a message. */
export interface MessageLink {
  /** Where it goes, exactly as written in the message. */
  url: string;
  /** The text shown for it (an HTML anchor's text), or '' when the URL itself is shown. */
  label: string;
}

/**
 * A URL written out in text: a scheme we number, then anything up to
 * whitespace, a quote, angle brackets, square brackets (our own `[n]`
 * footnotes follow links) or a control character.
 */
const URL_IN_TEXT = /\b(?:https?:\/\/|mailto:)[^\s<>"'`[\]\u0000-\u001f\u007f-\u009f]+/gi;
const FOOTNOTE = /^\[\d+\]/;

/** One URL found in text: where it ends, and the URL without the punctuation around it. */
export interface TextUrl {
  url: string;
  /** Offset just past the URL in the text. */
  end: number;
}

/** Trailing punctuation belongs to the sentence, not the URL; a `)` only when unbalanced. */
function trimUrl(url: string): string {
  let out = url;
  for (;;) {
    const last = out.at(-1);
    if (last && '.,;:!?'.includes(last)) out = out.slice(0, -1);
    else if (last === ')' && (out.match(/\)/g)?.length ?? 0) > (out.match(/\(/g)?.length ?? 0))
      out = out.slice(0, -1);
    else return out;
  }
}

/**
 * The URLs written out in `text`, in order. A URL directly followed by a
 * footnote `[n]` is an HTML anchor's own text and is left out (the anchor is
 * numbered already).
 */
export function textUrls(text: string): TextUrl[] {
  const out: TextUrl[] = [];
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const url = trimUrl(match[0]);
    if (url.length < 9 || /^(?:https?:\/\/|mailto:)$/i.test(url)) continue;
    const end = match.index + url.length;
    if (FOOTNOTE.test(text.slice(end, end + 12))) continue;
    out.push({ url, end });
  }
  return out;
}

const cache = new WeakMap<MessageView, MessageLink[]>();
const numbers = new WeakMap<readonly MessageLink[], Map<string, number>>();

/** URL to its number in `links` (the first one with that target), built once per list. */
function numberOf(links: readonly MessageLink[]): Map<string, number> {
  let map = numbers.get(links);
  if (!map) {
    map = new Map();
    links.forEach((link, index) => {
      if (!map!.has(link.url)) map!.set(link.url, index + 1);
    });
    numbers.set(links, map);
  }
  return map;
}

/** Every link of the message in reader order: `[1]` is the first. */
export function messageLinks(view: MessageView): MessageLink[] {
  const cached = cache.get(view);
  if (cached) return cached;
  const links: MessageLink[] = view.links.map((url, index) => ({
    url,
    label: view.linkLabels?.[index] ?? '',
  }));
  const seen = new Set(links.map((l) => l.url));
  for (const block of view.blocks) {
    if (block.kind === 'notice') continue;
    for (const { url } of textUrls(block.text)) {
      if (seen.has(url)) continue;
      seen.add(url);
      links.push({ url, label: '' });
    }
  }
  cache.set(view, links);
  return links;
}

/**
 * `text` with `[n]` after each URL written out in it, numbered as in
 * `links`. Not sanitised: the caller sanitises what it shows.
 */
export function numberTextUrls(text: string, links: readonly MessageLink[]): string {
  const urls = textUrls(text);
  if (!urls.length) return text;
  const byUrl = numberOf(links);
  let out = '';
  let at = 0;
  for (const { url, end } of urls) {
    const number = byUrl.get(url);
    if (number === undefined) continue;
    out += `${text.slice(at, end)}[${number}]`;
    at = end;
  }
  return out + text.slice(at);
}

/** The host a piece of shown text names, if it looks like a URL, a domain or an address. */
function namedHost(text: string): string | null {
  const t = text.trim();
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\s:@]+@)?([^/?#\s:]+)/i.exec(t);
  if (url) return url[2]!.toLowerCase();
  const mail = /^(?:mailto:)?[^\s@]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i.exec(t);
  if (mail) return mail[1]!.toLowerCase();
  const domain = /^(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?:[/?#:]\S*)?$/i.exec(t);
  if (domain) return domain[0].replace(/[/?#:].*$/, '').toLowerCase();
  return null;
}

/** The host a link goes to (the domain of a mailto address), lower case; null when unreadable. */
function targetHost(url: string): string | null {
  const mail = /^mailto:(?:[^@?]*@)?([^?&\s]+)/i.exec(url);
  if (mail) return mail[1]!.toLowerCase();
  try {
    return new URL(url).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

const bare = (host: string) => host.replace(/^www\./, '').replace(/\.$/, '');

/** True when text shown for a link looks like a URL or address (a candidate for a misleading label). */
export function looksLikeAddress(text: string): boolean {
  return namedHost(text) !== null;
}

/**
 * True when the link's shown text names another place than its target: an
 * anchor reading `https://bank.example` that goes to `https://evil.example`.
 * Text that names no address ("Click here") is not misleading by itself.
 */
export function isMisleading(link: MessageLink): boolean {
  if (!link.label) return false;
  const shown = namedHost(link.label);
  if (shown === null) return false;
  const target = targetHost(link.url);
  return target === null || bare(shown) !== bare(target);
}

/** Why a link will not be opened, in one sentence; null when it may be opened. */
export function unopenableReason(url: string): string | null {
  // Checked before the scheme: a control character must never reach a program's argv.
  if (/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(url))
    return 'That link holds control characters, so tmail does not open it.';
  if (!/^(?:https?:\/\/|mailto:)/i.test(url))
    return 'tmail opens only http, https and mailto links; that one is not.';
  return null;
}
