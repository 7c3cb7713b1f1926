/**
 * The tables of the local store. Its version is SQLite's `user_version`: a
 * store of an older version is rebuilt (it is only a cache), one of a newer
 * tmail is left alone and not used.
 *
 * One row per folder and per cached message; the message's id is also its
 * rowid in the full-text index `search`, which is contentless (the text lives
 * once, in `messages` and `bodies`) with contentless_delete so that rows can be
 * replaced when a body arrives or is dropped.
 *
 * A folder's `uid_set` is its whole UID list (every message, cached or not)
 * as of the sync that `highest_modseq` and `uid_next` describe, kept current
 * while the folder is open, as ascending ranges (uid-set.ts); NULL when not
 * known. A re-sync works out the list from it and the server's changes
 * instead of reading it again, and the offline list shows every row.
 */

/** Bumped whenever a table changes; older stores are rebuilt. */
export const SCHEMA_VERSION = 4;

export const SCHEMA = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE folders (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  uid_validity TEXT NOT NULL,
  highest_modseq TEXT,
  uid_next INTEGER,
  total INTEGER,
  unread INTEGER,
  synced_at INTEGER,
  uid_set TEXT
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  folder INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  date INTEGER NOT NULL,
  arrival INTEGER NOT NULL,
  size INTEGER NOT NULL,
  flags TEXT NOT NULL,
  modseq TEXT,
  subject TEXT NOT NULL,
  sort_subject TEXT NOT NULL,
  sort_from TEXT NOT NULL,
  addresses TEXT NOT NULL,
  message_id TEXT NOT NULL,
  in_reply_to TEXT NOT NULL,
  refs TEXT,
  attachments INTEGER NOT NULL,
  preview TEXT,
  structure TEXT,
  UNIQUE (folder, uid)
);
CREATE INDEX messages_by_date ON messages (folder, date);
CREATE INDEX messages_newest ON messages (date);
CREATE TABLE bodies (
  message INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  view TEXT,
  bytes INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE INDEX bodies_by_use ON bodies (used);
CREATE TABLE attachments (
  message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  part TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  data BLOB NOT NULL,
  bytes INTEGER NOT NULL,
  used INTEGER NOT NULL,
  PRIMARY KEY (message, part)
);
CREATE INDEX attachments_by_use ON attachments (used);
CREATE VIRTUAL TABLE search USING fts5 (
  subject, sender, recipient, cc, body,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_unindex AFTER DELETE ON messages BEGIN
  DELETE FROM search WHERE rowid = old.id;
END;
`;
