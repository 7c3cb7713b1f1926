#!/usr/bin/env -S node --max-semi-space-size=4
// The flag keeps the young generation small: tmail's garbage is small and
// short-lived, and the default semi-space lets the process grow by tens of MB
// before a scavenge. 4 MB, not less: at 2 MB the scavenges while the bundle
// loads cost about 5% of the time to the first screen, for 3 MB less peak RSS.
// (Started as `node bin/tmail.cjs`, the default applies.) dist/boot.cjs runs
// the bundle with its code cache (src/boot.ts). Both are CommonJS: Node starts
// a CommonJS entry without setting up its ES module loader, some 15 ms sooner.
'use strict';
require('../dist/boot.cjs');
