#!/usr/bin/env -S node --max-semi-space-size=4
// The flag keeps the young generation small: tmail's garbage is small and
// short-lived, and the default semi-space lets the process grow by tens of MB
// before a scavenge. 4 MB, not less: at 2 MB the scavenges while the bundle
// loads cost about 5% of the time to the first screen, for 3 MB less peak RSS.
// (Started as `node bin/tmail.js`, the default applies.) dist/boot.js runs the
// bundle with its code cache (src/boot.ts).
import '../dist/boot.js';
