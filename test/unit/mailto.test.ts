import { describe, expect, it } from 'vitest';
import { parseMailto } from '../../src/core/compose/mailto.js';

describe('mailto: links (RFC 6068)', () => {
  it('takes the addresses of the path and of to, cc and bcc, percent-decoded as UTF-8', () => {
    const fields = parseMailto(
      'mailto:a@example.test,b@example.test?to=c@example.test&CC=%22Jos%C3%A9%20N%C3%BA%C3%B1ez%22%20%3Cjose@example.test%3E&bcc=d@example.test',
    );
    expect(fields).toEqual({
      to: [
        { name: '', address: 'a@example.test' },
        { name: '', address: 'b@example.test' },
        { name: '', address: 'c@example.test' },
      ],
      cc: [{ name: 'José Núñez', address: 'jose@example.test' }],
      bcc: [{ name: '', address: 'd@example.test' }],
      subject: '',
      text: '',
      inReplyTo: '',
    });
  });

  it('keeps a plus as a plus, the body’s line breaks, and the subject on one line', () => {
    const fields = parseMailto(
      'mailto:list+subscribe@example.test?subject=Hi%0D%0ABcc:%20x@evil.test&body=one%0D%0Atwo%0Athree%1B[2J',
    )!;
    expect(fields.to).toEqual([{ name: '', address: 'list+subscribe@example.test' }]);
    expect(fields.subject).toBe('Hi Bcc: x@evil.test');
    expect(fields.bcc).toEqual([]);
    expect(fields.text).toBe('one\ntwo\nthree[2J');
  });

  it('ignores the header fields it does not show, and an In-Reply-To that is no Message-ID', () => {
    const fields = parseMailto(
      'mailto:a@example.test?reply-to=evil@evil.test&from=evil@evil.test&X-Mailer=x&in-reply-to=%3Cid@example.test%3E',
    )!;
    expect(JSON.stringify(fields)).not.toContain('evil');
    expect(fields.inReplyTo).toBe('<id@example.test>');
    expect(parseMailto('mailto:a@example.test?in-reply-to=not%20an%20id')!.inReplyTo).toBe('');
  });

  it('refuses what is not a mailto: link or is not percent-encoded properly', () => {
    expect(parseMailto('https://example.test/')).toBeNull();
    expect(parseMailto('mailto:a@example.test?subject=%E0%A4%A')).toBeNull();
    expect(parseMailto('mailto:%ZZ@example.test')).toBeNull();
  });
});
