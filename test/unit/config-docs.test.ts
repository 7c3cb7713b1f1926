/**
 * The complete example of docs/configuration.md is a file tmail loads: a
 * documented setting that the schema refused would send readers astray.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/core/config/index.js';

describe('docs/configuration.md', () => {
  it('has a complete example that loads, identities, address book command and compose block included', () => {
    const text = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const section = text.slice(text.indexOf('## A complete example'));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
    expect(json).toBeDefined();
    const result = validateConfig(JSON.parse(json!));
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    expect(result.config.accounts.work?.identities?.[0]?.email).toBe('ann@example.org');
    expect(result.config.compose?.prompts).toEqual(['to', 'subject']);
    expect(result.config.addressBookCommand).toContain('%s');
  });
});
