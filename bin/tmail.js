#!/usr/bin/env -S node --max-semi-space-size=2
// The flag keeps the young generation small: tmail's garbage is small and
// short-lived, and the default semi-space lets the process grow by tens of MB
// before a scavenge. (Started as `node bin/tmail.js`, the default applies.)
import '../dist/tmail.js';
