/** docs/keys.md is generated from the keymap; this fails when it has drifted. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { keysMarkdown } from '../../src/ui/keys-markdown.js';

describe('docs/keys.md', () => {
  it('is the keymap as it is (regenerate with npx tsx scripts/keys-doc.ts)', () => {
    const file = readFileSync(new URL('../../docs/keys.md', import.meta.url), 'utf8');
    expect(file).toBe(keysMarkdown());
  });
});
