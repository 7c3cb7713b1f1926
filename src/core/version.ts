// Set by the bundler (scripts/build.mjs) and by vitest.config.ts from package.json.
declare const TMAIL_VERSION: string | undefined;

/** tmail's version, e.g. `0.1.0`. */
export const VERSION: string = typeof TMAIL_VERSION === 'string' ? TMAIL_VERSION : '0.0.0-dev';
