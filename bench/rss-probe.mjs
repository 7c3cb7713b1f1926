// Loaded with --import into a measured process: writes its peak RSS (KiB) on exit.
import { writeFileSync } from 'node:fs';

const file = process.env.TMAIL_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
