// Loaded with --import into a measured process: writes its peak RSS (KiB) on exit.
// Registered after the program's own start, so that it runs after the program's exit
// handlers (tmail may write its code cache there), and written whole by a rename, so
// that the reader never sees a half-written file.
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env.TMAIL_RSS_FILE;
if (file) {
  setImmediate(() =>
    process.on('exit', () => {
      writeFileSync(`${file}.tmp`, String(process.resourceUsage().maxRSS));
      renameSync(`${file}.tmp`, file);
    }),
  );
}
