import { describe, expect, it } from 'vitest';
import { htmlToReadableText } from '../../src/core/mime/html.js';
import {
  isMisleading,
  numberTextUrls,
  textUrls,
  unopenableReason,
} from '../../src/core/text/links.js';
import { urlOpener } from '../../src/core/open-url.js';

describe('URLs written out in text', () => {
  it('are found without the punctuation of the sentence around them', () => {
    const text = 'See https://a.test/x?y=1, (https://b.test/p_(1)) and <mailto:me@c.test>.';
    expect(textUrls(text).map((u) => u.url)).toEqual([
      'https://a.test/x?y=1',
      'https://b.test/p_(1)',
      'mailto:me@c.test',
    ]);
  });

  it('leave out an HTML anchor’s own text, which its footnote numbers already', () => {
    expect(textUrls('https://a.test[1] and https://b.test')).toEqual([
      { url: 'https://b.test', end: 36 },
    ]);
  });

  it('get their number after them, the same number for the same URL', () => {
    const links = [
      { url: 'https://html.test', label: 'x' },
      { url: 'https://a.test', label: '' },
    ];
    expect(numberTextUrls('go https://a.test now, https://a.test again', links)).toBe(
      'go https://a.test[2] now, https://a.test[2] again',
    );
  });
});

describe('misleading links', () => {
  it('are anchors whose text names another host than their target', () => {
    expect(isMisleading({ url: 'https://evil.test/', label: 'https://bank.test/login' })).toBe(
      true,
    );
    expect(isMisleading({ url: 'https://evil.test/', label: 'bank.test' })).toBe(true);
    expect(isMisleading({ url: 'mailto:x@evil.test', label: 'help@bank.test' })).toBe(true);
    expect(isMisleading({ url: 'https://www.bank.test/a', label: 'bank.test' })).toBe(false);
    expect(isMisleading({ url: 'https://evil.test/', label: 'Click here' })).toBe(false);
    expect(isMisleading({ url: 'https://evil.test/', label: '' })).toBe(false);
  });

  it('keep the text that reads like an address when several anchors share a target', () => {
    const html =
      '<a href="https://evil.test">Click here</a> <a href="https://evil.test">https://bank.test</a>';
    const out = htmlToReadableText(html);
    expect(out.links).toEqual(['https://evil.test']);
    expect(out.labels).toEqual(['https://bank.test']);
  });
});

describe('opening a link', () => {
  it('only http, https and mailto, never with control characters', () => {
    expect(unopenableReason('https://a.test/x y')).toBeNull();
    expect(unopenableReason('mailto:a@b.test')).toBeNull();
    expect(unopenableReason('javascript:alert(1)')).toMatch(/only http, https and mailto/);
    expect(unopenableReason('file:///etc/passwd')).toMatch(/only http/);
    expect(unopenableReason('https://a.test/\u001b]0;x\u0007')).toMatch(/control characters/);
  });

  it('uses $BROWSER (first of a : list, %s for the URL) with the URL as one argument', () => {
    const url = `https://a.test/a b';rm -rf ~;'`;
    expect(urlOpener(url, { BROWSER: 'w3m' }, 'linux')).toEqual({
      command: 'w3m',
      args: [url],
      terminal: true,
    });
    expect(urlOpener(url, { BROWSER: 'firefox --new-tab %s:lynx' }, 'linux')).toEqual({
      command: 'firefox',
      args: ['--new-tab', url],
      terminal: true,
    });
    expect(urlOpener(url, {}, 'linux')).toEqual({
      command: 'xdg-open',
      args: [url],
      terminal: false,
    });
    expect(urlOpener(url, {}, 'darwin')).toEqual({ command: 'open', args: [url], terminal: false });
  });
});
