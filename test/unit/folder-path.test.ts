import { describe, expect, it } from 'vitest';
import {
  displayName,
  displayParent,
  folderNaming,
  toDisplayPath,
  toServerPath,
  type FolderNaming,
} from '../../src/core/folder-path.js';
import { TmailError } from '../../src/core/errors.js';

const courier: FolderNaming = { delimiter: '.', prefix: 'INBOX.' };
const dovecot: FolderNaming = { delimiter: '/', prefix: '' };
const dottedNoPrefix: FolderNaming = { delimiter: '.', prefix: '' };
const flat: FolderNaming = { delimiter: '', prefix: '' };

describe('folderNaming', () => {
  it('takes the personal namespace as the server gives it', () => {
    expect(folderNaming({ prefix: 'INBOX.', delimiter: '.' })).toEqual(courier);
    expect(folderNaming({ prefix: '', delimiter: '/' })).toEqual(dovecot);
  });

  it('adds the separator to a prefix given without it, and reads nothing as flat', () => {
    expect(folderNaming({ prefix: 'INBOX', delimiter: '.' })).toEqual(courier);
    expect(folderNaming(undefined)).toEqual(flat);
    expect(folderNaming({ prefix: null, delimiter: null })).toEqual(flat);
  });
});

describe('toDisplayPath', () => {
  it("shows Courier's folders with / and without its INBOX. prefix", () => {
    expect(toDisplayPath('INBOX', courier)).toBe('INBOX');
    expect(toDisplayPath('INBOX.Archive', courier)).toBe('Archive');
    expect(toDisplayPath('INBOX.Projects.Sub', courier)).toBe('Projects/Sub');
  });

  it('leaves a / server without a prefix as it is', () => {
    expect(toDisplayPath('Projects/Sub', dovecot)).toBe('Projects/Sub');
    expect(toDisplayPath('INBOX/Child', dovecot)).toBe('INBOX/Child');
    expect(toDisplayPath('v1.2', dovecot)).toBe('v1.2');
  });

  it('spells INBOX in capitals whatever the server sends', () => {
    expect(toDisplayPath('inbox', courier)).toBe('INBOX');
    expect(toDisplayPath('Inbox', dovecot)).toBe('INBOX');
  });

  it('shows a / inside one name on a . server as ∕, so / always means a level', () => {
    expect(toDisplayPath('INBOX.a/b.c', courier)).toBe('a\u2215b/c');
    expect(toDisplayPath('a/b.c', dottedNoPrefix)).toBe('a\u2215b/c');
  });

  it('keeps a flat server’s names whole', () => {
    expect(toDisplayPath('a/b.c', flat)).toBe('a/b.c');
  });
});

describe('toServerPath', () => {
  it("puts Courier's prefix and separator on what the user typed", () => {
    expect(toServerPath('Projects/Sub', courier)).toBe('INBOX.Projects.Sub');
    expect(toServerPath('Archive', courier)).toBe('INBOX.Archive');
    expect(toServerPath('inbox', courier)).toBe('INBOX');
  });

  it('takes INBOX/Archive on Courier as the same folder as Archive', () => {
    expect(toServerPath('INBOX/Archive', courier)).toBe('INBOX.Archive');
  });

  it('still takes a path typed as the server spells it', () => {
    expect(toServerPath('INBOX.Archive', courier)).toBe('INBOX.Archive');
    expect(toServerPath('INBOX.Projects.Sub', courier)).toBe('INBOX.Projects.Sub');
  });

  it('drops repeated, leading and trailing slashes', () => {
    expect(toServerPath('/Projects//Sub/', courier)).toBe('INBOX.Projects.Sub');
    expect(toServerPath('Projects//Sub', dovecot)).toBe('Projects/Sub');
  });

  it('changes nothing but the case of INBOX on a / server without a prefix', () => {
    expect(toServerPath('Projects/Sub', dovecot)).toBe('Projects/Sub');
    expect(toServerPath('inbox/Child', dovecot)).toBe('INBOX/Child');
    expect(toServerPath('v1.2', dovecot)).toBe('v1.2');
  });

  it('refuses a name holding the server separator, in one sentence', () => {
    const attempt = () => toServerPath('Releases/v1.2', courier);
    expect(attempt).toThrow(TmailError);
    expect(attempt).toThrow(
      'A folder name cannot contain "." on this server (it separates folders there); use / between folders, as in Releases/v1/2.',
    );
  });

  it('types a / inside a name back as ∕', () => {
    expect(toServerPath('a\u2215b/c', courier)).toBe('INBOX.a/b.c');
  });

  it('passes a flat server’s names through with the prefix', () => {
    expect(toServerPath('a/b', flat)).toBe('a/b');
    expect(toServerPath('a/b', { delimiter: '', prefix: 'P' })).toBe('Pa/b');
  });

  it('turns every display path back into the server path it came from', () => {
    const cases: Array<[FolderNaming, string[]]> = [
      [courier, ['INBOX', 'INBOX.Archive', 'INBOX.Projects.Sub', 'INBOX.a/b.c', 'INBOX.']],
      [dovecot, ['INBOX', 'INBOX/Child', 'Projects/Sub', 'v1.2']],
      [dottedNoPrefix, ['INBOX', 'Lists.rust', 'a/b.c']],
      [flat, ['INBOX', 'a/b.c']],
    ];
    for (const [naming, paths] of cases)
      for (const path of paths)
        expect(toServerPath(toDisplayPath(path, naming), naming), path).toBe(path);
  });
});

describe('displayParent and displayName', () => {
  it('cut display paths at /', () => {
    expect(displayParent('Projects/Sub', courier)).toBe('Projects');
    expect(displayParent('Archive', courier)).toBeNull();
    expect(displayParent('INBOX', dovecot)).toBeNull();
    expect(displayName('Projects/Sub', courier)).toBe('Sub');
    expect(displayName('a\u2215b', courier)).toBe('a\u2215b');
  });

  it('treat a flat server’s names as whole', () => {
    expect(displayParent('a/b', flat)).toBeNull();
    expect(displayName('a/b', flat)).toBe('a/b');
  });
});
