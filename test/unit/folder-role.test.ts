import { describe, expect, it } from 'vitest';
import { roleOfFolder } from '../../src/core/folder-role.js';

const serverFolders = [
  { path: 'INBOX', role: 'inbox' as const },
  { path: 'Drafts', role: 'drafts' as const },
  { path: 'Sent', role: 'sent' as const },
  { path: 'Outgoing', role: null },
];

describe('roleOfFolder', () => {
  it("takes the server's role when the account names none", () => {
    expect(roleOfFolder('Sent', serverFolders, undefined)).toBe('sent');
    expect(roleOfFolder('Drafts', serverFolders, {})).toBe('drafts');
    expect(roleOfFolder('Outgoing', serverFolders, undefined)).toBeNull();
    expect(roleOfFolder('Nowhere', serverFolders, undefined)).toBeNull();
  });

  it("puts the account's setting first, and then the server's folder for that role is not it", () => {
    const configured = { sent: 'Outgoing' };
    expect(roleOfFolder('Outgoing', serverFolders, configured)).toBe('sent');
    expect(roleOfFolder('Sent', serverFolders, configured)).toBeNull();
    // Other roles still come from the server.
    expect(roleOfFolder('Drafts', serverFolders, configured)).toBe('drafts');
    // An empty setting names nothing.
    expect(roleOfFolder('Sent', serverFolders, { sent: '' })).toBe('sent');
  });
});
