/**
 * Put in place of `is-in-ci` by the build (scripts/build.mjs). Ink asks that
 * package, once at import, whether it runs in CI, and if so draws only a final
 * frame. tmail draws with Ink only on the terminal it was started on (the
 * reader and the account wizard refuse to start without one), so it is
 * interactive whatever the CI variables say.
 */
const isInCi = false;
export default isInCi;
