/** docs/keys.md is generated from the keymap; this fails when it has drifted. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formattedKeysMarkdown } from './keys-doc.js';

describe('docs/keys.md', () => {
  it('is the keymap as it is (regenerate with npx tsx scripts/keys-doc.ts)', async () => {
    const path = fileURLToPath(new URL('../../docs/keys.md', import.meta.url));
    expect(readFileSync(path, 'utf8')).toBe(await formattedKeysMarkdown(path));
  });
});
