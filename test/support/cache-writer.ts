/**
 * A second process writing to a local store (test/unit/cache-store.test.ts):
 * `node --import tsx cache-writer.ts FILE FOLDER COUNT` stores COUNT envelopes
 * in FOLDER, ten per transaction, changing flags as it goes, and prints what
 * it told the user (one line per notice) before `done`.
 */
import { openAccountCache } from '../../src/core/cache/index.js';
import { SEEN } from '../../src/core/types.js';
import { testEnvelope } from './cache-fixtures.js';

const [file, folder, count] = process.argv.slice(2) as [string, string, string];
const cache = openAccountCache('writer', {
  file,
  busyTimeoutMs: 10_000,
  onNotice: (text) => process.stdout.write(`notice: ${text}\n`),
});
const key = { path: folder, uidValidity: '7' };
cache.applyFolderState({ ...key, uidNext: 1 });
for (let uid = 1; uid <= Number(count); uid += 10) {
  const batch = Array.from({ length: 10 }, (_, i) =>
    testEnvelope(uid + i, { subject: `${folder} message ${uid + i}` }),
  );
  cache.applyEnvelopes(key, batch);
  cache.applyFlagChanges(
    key,
    batch.map((e) => ({ uid: e.uid, flags: [SEEN] })),
  );
}
cache.close();
process.stdout.write('done\n');
