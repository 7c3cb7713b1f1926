/**
 * Writes docs/keys.md from the keymap, so the key table in the docs is the
 * table tmail uses and cannot drift from it. Run after changing a binding:
 *
 *   npx tsx scripts/keys-doc.ts
 *
 * (test/ui/keys-doc.test.ts fails when the file is out of date.)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formattedKeysMarkdown } from '../test/ui/keys-doc.js';

const target = fileURLToPath(new URL('../docs/keys.md', import.meta.url));
writeFileSync(target, await formattedKeysMarkdown(target));
process.stdout.write(`Wrote ${target}\n`);
