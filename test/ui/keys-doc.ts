/** docs/keys.md as the repository keeps it: generated from the keymap, then formatted by Prettier. */
import prettier from 'prettier';
import { keysMarkdown } from '../../src/ui/keys-markdown.js';

export async function formattedKeysMarkdown(file: string): Promise<string> {
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(keysMarkdown(), { ...options, parser: 'markdown' });
}
