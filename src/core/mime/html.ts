/**
 * HTML bodies as readable plain text: links become numbered footnotes `[1]`
 * (listed separately), scripts, styles, hidden elements and tracking images
 * are dropped, and nothing is ever fetched. The result is not wrapped (the
 * renderer wraps to the terminal) and not sanitised (the renderer does that).
 */
import { compile, type FormatCallback } from 'html-to-text';
import { looksLikeAddress } from '../text/links.js';

/** The text of an HTML body and the links found in it. */
export interface HtmlText {
  text: string;
  /** Link targets in footnote order: `[1]` in the text is `links[0]`. */
  links: string[];
  /** The text shown for each link (the first anchor's, or one that reads like an address). */
  labels: string[];
  /** Why the text is incomplete, if it is. */
  notes: string[];
}

/** Longer HTML is cut before conversion (html-to-text would log to stderr and Ink owns it). */
const MAX_HTML_LENGTH = 4 * 1024 * 1024;
/** Deeper nesting makes html-to-text slow (seconds at a few thousand levels); fall back to stripping tags. */
const MAX_NESTING = 400;

interface LinkState {
  links: string[];
  labels: string[];
  numbers: Map<string, number>;
  /** Footnote number of links[0]. */
  first: number;
}
// The compiled converter is synchronous, so one collector per call is safe.
let current: LinkState | null = null;

function usefulLink(href: string): boolean {
  return /^(?:https?|mailto|ftp|tel|sms|xmpp|sips?):/i.test(href);
}

interface TextNode {
  type?: string;
  data?: string;
  children?: TextNode[];
}

/** The text inside an element, as the anchor shows it (whitespace collapsed, capped). */
function shownText(nodes: readonly TextNode[] | undefined, depth = 0): string {
  if (!nodes || depth > 50) return '';
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.data ?? '';
    else if (node.children) out += shownText(node.children, depth + 1);
    if (out.length > 500) break;
  }
  return depth ? out : out.replace(/\s+/g, ' ').trim().slice(0, 500);
}

const footnoteAnchor: FormatCallback = (elem, walk, builder) => {
  const href = String((elem.attribs as Record<string, string> | undefined)?.href ?? '').trim();
  walk(elem.children, builder);
  if (!current || !usefulLink(href)) return;
  const label = shownText(elem.children as TextNode[] | undefined);
  let number = current.numbers.get(href);
  if (number === undefined) {
    current.links.push(href);
    current.labels.push(label);
    number = current.first + current.links.length - 1;
    current.numbers.set(href, number);
  } else if (looksLikeAddress(label)) {
    // Another anchor to the same place whose text reads like an address: keep it, so a
    // misleading one is not hidden behind an innocent "click here".
    current.labels[number - current.first] = label;
  }
  builder.addInline(`[${number}]`, { noWordTransform: true });
};

function pixels(value: unknown): number | null {
  const n = parseInt(String(value ?? ''), 10);
  return Number.isFinite(n) ? n : null;
}

const HIDDEN_STYLE =
  /display\s*:\s*none|visibility\s*:\s*hidden|max-height\s*:\s*0|opacity\s*:\s*0(?![.\d])/i;

const imageOrNothing: FormatCallback = (elem, _walk, builder) => {
  const attribs = (elem.attribs ?? {}) as Record<string, string>;
  const width = pixels(attribs.width);
  const height = pixels(attribs.height);
  // Tracking pixels and spacers say nothing to a reader.
  if ((width !== null && width <= 3) || (height !== null && height <= 3)) return;
  if (HIDDEN_STYLE.test(attribs.style ?? '')) return;
  const alt = (attribs.alt ?? '').replace(/\s+/g, ' ').trim();
  if (alt) builder.addInline(`[image: ${alt}]`, { noWordTransform: true });
};

/** Elements hidden by their style (preheaders and the like) are skipped with their content. */
const skipIfHidden: FormatCallback = (elem, walk, builder) => {
  const attribs = (elem.attribs ?? {}) as Record<string, string>;
  if (HIDDEN_STYLE.test(attribs.style ?? '') || 'hidden' in attribs) return;
  const inline = builder.options.formatters['inline'];
  if (inline) inline(elem, walk, builder, {});
};

const skip = (selector: string) => ({ selector, format: 'skip' as const });

const convert = compile({
  wordwrap: false,
  preserveNewlines: false,
  limits: { maxInputLength: MAX_HTML_LENGTH * 2, maxDepth: MAX_NESTING, ellipsis: '…' },
  formatters: { footnoteAnchor, imageOrNothing, skipIfHidden },
  selectors: [
    { selector: 'a', format: 'footnoteAnchor' },
    { selector: 'img', format: 'imageOrNothing' },
    ...[
      'script',
      'style',
      'head',
      'title',
      'noscript',
      'template',
      'iframe',
      'object',
      'embed',
      'svg',
      'canvas',
      'audio',
      'video',
      'map',
      'button',
      'input',
      'select',
      'textarea',
    ].map(skip),
    { selector: 'span', format: 'skipIfHidden' },
    { selector: 'font', format: 'skipIfHidden' },
    { selector: 'div[style*="display:none"]', format: 'skip' },
    { selector: 'div[style*="display: none"]', format: 'skip' },
    { selector: 'table[style*="display:none"]', format: 'skip' },
    { selector: 'table[style*="display: none"]', format: 'skip' },
    { selector: 'td[style*="display:none"]', format: 'skip' },
    { selector: 'td[style*="display: none"]', format: 'skip' },
    { selector: 'p[style*="display:none"]', format: 'skip' },
    { selector: 'p[style*="display: none"]', format: 'skip' },
    { selector: '[hidden]', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'ul', options: { itemPrefix: ' • ' } },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: 'td', format: 'inlineSurround', options: { suffix: '  ' } },
    { selector: 'th', format: 'inlineSurround', options: { suffix: '  ' } },
  ],
});

/**
 * Converts an HTML body to readable text with footnoted links. `firstLink`
 * numbers the first footnote, so several HTML parts of one message share one
 * numbering. Never throws: HTML too deep or too broken for the converter is
 * reduced to its text by stripping the tags, with a note.
 */
export function htmlToReadableText(html: string, firstLink = 1): HtmlText {
  const notes: string[] = [];
  let input = html;
  if (input.length > MAX_HTML_LENGTH) {
    input = input.slice(0, MAX_HTML_LENGTH);
    notes.push('The HTML part is very long; only its first 4 MB are shown.');
  }
  const state: LinkState = { links: [], labels: [], numbers: new Map(), first: firstLink };
  let text: string;
  if (nestingDepth(input) > MAX_NESTING) {
    text = stripTags(input);
    notes.push('The HTML part is nested too deeply to lay out; its text is shown without layout.');
  } else {
    current = state;
    try {
      text = convert(input);
    } catch {
      text = stripTags(input);
      notes.push('The HTML part could not be converted; its text is shown without layout.');
    } finally {
      current = null;
    }
  }
  return { text: tidy(text), links: state.links, labels: state.labels, notes };
}

/** Trailing blanks off every line, at most two blank lines in a row, no blank start or end. */
function tidy(text: string): string {
  return text
    .replace(/[ \t\u00a0]+$/gm, '')
    .replace(/\n{4,}/g, '\n\n\n')
    .replace(/^\n+|\n+$/g, '');
}

const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
  // Closed implicitly by their next sibling; counting them would overstate depth.
  'p',
  'li',
  'td',
  'th',
  'tr',
  'option',
  'dt',
  'dd',
]);

/** An upper estimate of element nesting, from start and end tags. Linear. */
export function nestingDepth(html: string): number {
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(\/?)>/g;
  let depth = 0;
  let max = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    const name = m[2]!.toLowerCase();
    if (VOID_ELEMENTS.has(name) || m[3] === '/') continue;
    if (m[1]) depth = Math.max(0, depth - 1);
    else if (++depth > max) max = depth;
  }
  return max;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  copy: '©',
  reg: '®',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  laquo: '«',
  raquo: '»',
  euro: '€',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (match, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? parseInt(body.slice(2), 16)
          : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff
        ? String.fromCodePoint(code)
        : '\ufffd';
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? match;
  });
}

/** Text of HTML without a parser: for input the converter cannot handle. */
export function stripTags(html: string): string {
  const text = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style|head|title|template)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<(?:br|\/p|\/div|\/tr|\/li|\/h[1-6]|\/table|hr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/[ \t\r]+/g, ' ')
    .replace(/ *\n */g, '\n');
  return decodeEntities(text);
}
