/**
 * Put in place of `terminal-size` by the build (scripts/build.mjs). Ink asks
 * it for the width only when its stdout has no `columns`, which does not
 * happen in tmail: the reader and the account wizard run only on a terminal.
 * The package loads child_process when imported (to ask `tput` and
 * `resize`), some 3 ms of every start of the reader.
 */
export default function terminalSize(): { columns: number; rows: number } {
  return {
    columns: Number(process.env.COLUMNS) || 80,
    rows: Number(process.env.LINES) || 24,
  };
}
