// Loaded with --require into a measured process: writes its peak RSS (KiB) on exit.
// Registered after the program's own start, so that it runs after the program's exit
// handlers (tmail may write its code cache there), and written whole by a rename, so
// that the reader never sees a half-written file. CommonJS, so that loading it does
// not set up Node's ES module loader, which tmail's own start does without.
'use strict';
const { renameSync, writeFileSync } = require('node:fs');

const file = process.env.TMAIL_RSS_FILE;
if (file) {
  setImmediate(() =>
    process.on('exit', () => {
      writeFileSync(`${file}.tmp`, String(process.resourceUsage().maxRSS));
      renameSync(`${file}.tmp`, file);
    }),
  );
}
