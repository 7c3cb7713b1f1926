/**
 * `npm run screenshots`: real runs of the built tmail, photographed. A local
 * Dovecot + Postfix gets a demo mailbox; tmail runs in tmux at 100x30; keys
 * are typed as a person would; each screen is captured with its colours
 * (capture-pane -e), drawn as SVG cell by cell and turned into a PNG in
 * screenshots/ by ImageMagick:
 *
 *   list-with-sidebar.png   the message list with the folder sidebar
 *   message.png             an open message in the split layout
 *   help.png                the help screen generated from the keymap
 *   composer.png            the review screen of a reply written in $EDITOR
 *   accounts.png            two accounts in one session, both in the sidebar
 *   folded-thread.png       a mailing list shown as threads, every thread folded but one
 *
 * As root it installs what is missing (the mail servers, ImageMagick and
 * the DejaVu fonts) from Debian's packages.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { graphemes, graphemeWidth } from '../src/core/text/index.js';
import { testAccount } from '../test/support/accounts.js';
import { startMailStack } from '../test/support/mail-stack.js';
import { fillDemoMailbox } from '../test/support/demo-mailbox.js';
import { checker } from '../test/support/engine.js';
import { seedOverImap } from '../test/support/seed.js';
import { useRunTempDir } from '../test/support/run-tmp.js';
import { TmuxSession } from '../test/support/tmux.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(REPO, 'screenshots');
const COLUMNS = 100;
const ROWS = 30;
useRunTempDir('tmail-shots-');

// ---------------------------------------------------------------- ANSI to SVG

interface Cell {
  text: string;
  width: number;
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  inverse: boolean;
}

const THEME = {
  background: '#1d1f21',
  foreground: '#d8dee9',
  /** The 16 ANSI colours: black red green yellow blue magenta cyan white, then bright. */
  palette: [
    '#2e3440',
    '#e06c75',
    '#98c379',
    '#e5c07b',
    '#4f7dd1',
    '#c678dd',
    '#56b6c2',
    '#d8dee9',
    '#6b7280',
    '#ff7b86',
    '#b5e890',
    '#ffd88a',
    '#7aa2f7',
    '#e0a3ff',
    '#7fdbe6',
    '#ffffff',
  ],
};

function xterm256(n: number): string {
  if (n < 16) return THEME.palette[n]!;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v},${v},${v})`;
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
}

/** Reads tmux's `capture-pane -e` output into a grid of styled cells. */
function parseScreen(text: string, columns: number, rows: number): Cell[][] {
  const blank = (): Cell => ({
    text: ' ',
    width: 1,
    fg: null,
    bg: null,
    bold: false,
    dim: false,
    italic: false,
    underline: false,
    strike: false,
    inverse: false,
  });
  const grid: Cell[][] = [];
  const lines = text.replace(/\n$/, '').split('\n');
  let style = blank();
  for (let y = 0; y < rows; y++) {
    const row: Cell[] = [];
    const line = lines[y] ?? '';
    for (const part of line.split(/(\u001b\[[0-9;:]*m)/)) {
      const sgr = /^\u001b\[([0-9;:]*)m$/.exec(part);
      if (sgr) {
        const codes = sgr[1] === '' ? [0] : sgr[1]!.split(/[;:]/).map(Number);
        for (let i = 0; i < codes.length; i++) {
          const c = codes[i]!;
          if (c === 0) style = blank();
          else if (c === 1) style.bold = true;
          else if (c === 2) style.dim = true;
          else if (c === 3) style.italic = true;
          else if (c === 4) style.underline = true;
          else if (c === 7) style.inverse = true;
          else if (c === 9) style.strike = true;
          else if (c === 22) style.bold = style.dim = false;
          else if (c === 23) style.italic = false;
          else if (c === 24) style.underline = false;
          else if (c === 27) style.inverse = false;
          else if (c === 29) style.strike = false;
          else if (c >= 30 && c <= 37) style.fg = THEME.palette[c - 30]!;
          else if (c >= 90 && c <= 97) style.fg = THEME.palette[c - 90 + 8]!;
          else if (c >= 40 && c <= 47) style.bg = THEME.palette[c - 40]!;
          else if (c >= 100 && c <= 107) style.bg = THEME.palette[c - 100 + 8]!;
          else if (c === 39) style.fg = null;
          else if (c === 49) style.bg = null;
          else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
            const colour = xterm256(codes[i + 2]!);
            if (c === 38) style.fg = colour;
            else style.bg = colour;
            i += 2;
          } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
            const colour = `rgb(${codes[i + 2]},${codes[i + 3]},${codes[i + 4]})`;
            if (c === 38) style.fg = colour;
            else style.bg = colour;
            i += 4;
          }
        }
        continue;
      }
      for (const g of graphemes(part)) {
        const width = Math.max(1, graphemeWidth(g));
        row.push({ ...style, text: g, width });
        for (let k = 1; k < width; k++) row.push({ ...style, text: '', width: 0 });
      }
    }
    while (row.length < columns) row.push({ ...blank(), bg: null });
    grid.push(row.slice(0, columns));
  }
  return grid;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Draws the grid as SVG: a rectangle per background run, a text element per cell. */
function toSvg(grid: Cell[][], title: string): string {
  const font = 18;
  const cw = font * 0.6021;
  const lh = Math.round(font * 1.25);
  const pad = 16;
  const bar = 30;
  const width = Math.ceil(grid[0]!.length * cw + pad * 2);
  const height = grid.length * lh + pad * 2 + bar;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`,
    `<rect width="${width}" height="${height}" rx="10" fill="#111315"/>`,
    `<circle cx="22" cy="15" r="6" fill="#ff5f57"/><circle cx="42" cy="15" r="6" fill="#febc2e"/><circle cx="62" cy="15" r="6" fill="#28c840"/>`,
    `<text x="${width / 2}" y="21" font-family="DejaVu Sans" font-size="14" fill="#9aa0a6" stroke="none" text-anchor="middle">${escapeXml(title)}</text>`,
    `<rect x="0" y="${bar}" width="${width}" height="${height - bar}" fill="${THEME.background}"/>`,
  ];
  const colours = (cell: Cell): { fg: string; bg: string | null } =>
    cell.inverse
      ? { fg: cell.bg ?? THEME.background, bg: cell.fg ?? THEME.foreground }
      : { fg: cell.fg ?? THEME.foreground, bg: cell.bg };
  grid.forEach((row, y) => {
    const top = bar + pad + y * lh;
    // One rectangle per run of cells on the same background, so no seams show between cells.
    for (let x = 0; x < row.length;) {
      const bg = colours(row[x]!).bg;
      let end = x + 1;
      while (end < row.length && colours(row[end]!).bg === bg) end++;
      if (bg)
        out.push(
          `<rect x="${(pad + x * cw).toFixed(2)}" y="${top}" width="${(cw * (end - x)).toFixed(2)}" height="${lh}" fill="${bg}"/>`,
        );
      x = end;
    }
    row.forEach((cell, x) => {
      const { fg } = colours(cell);
      if (!cell.text.trim()) return;
      const attrs = [
        `x="${(pad + x * cw).toFixed(2)}"`,
        `y="${top + Math.round(lh * 0.76)}"`,
        `fill="${fg}"`,
        'stroke="none"',
        cell.bold ? 'font-weight="bold"' : '',
        cell.italic ? 'font-style="italic"' : '',
        cell.dim ? 'fill-opacity="0.6"' : '',
        cell.underline
          ? 'text-decoration="underline"'
          : cell.strike
            ? 'text-decoration="line-through"'
            : '',
      ].filter(Boolean);
      out.push(`<text ${attrs.join(' ')}>${escapeXml(cell.text)}</text>`);
    });
  });
  out.push('</svg>');
  return out
    .join('\n')
    .replace(
      '<svg ',
      `<svg font-family="DejaVu Sans Mono" font-size="${font}" xml:space="preserve" `,
    );
}

// ---------------------------------------------------------------- tools

function hasRealImageMagick(): boolean {
  try {
    return execFileSync('/usr/bin/convert', ['-version']).toString().includes('ImageMagick');
  } catch {
    return false;
  }
}

function ensureImageMagick(): void {
  if (hasRealImageMagick() && existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf'))
    return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'The screenshots need ImageMagick and the DejaVu fonts: run "sudo apt-get install -y imagemagick fonts-dejavu-core".',
    );
  }
  execFileSync(
    'sh',
    [
      '-c',
      'apt-get install -y -qq imagemagick fonts-dejavu-core || (apt-get update -qq && apt-get install -y -qq imagemagick fonts-dejavu-core)',
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
}

async function shoot(term: TmuxSession, name: string, title: string): Promise<void> {
  const screen = await term.capture(true);
  const svg = toSvg(parseScreen(screen, COLUMNS, ROWS), title);
  const svgFile = join(tmpdir(), `tmail-${name}.svg`);
  writeFileSync(svgFile, svg);
  execFileSync('/usr/bin/convert', ['-density', '96', svgFile, join(OUT, `${name}.png`)]);
  process.stderr.write(`  screenshots/${name}.png\n`);
}

// ---------------------------------------------------------------- the run

if (!existsSync(join(REPO, 'dist/tmail.cjs'))) throw new Error('Run npm run build first.');
ensureImageMagick();
mkdirSync(OUT, { recursive: true });
process.stderr.write('Starting the mail servers...\n');
const stack = await startMailStack();
let term: TmuxSession | undefined;
// Interrupted (Ctrl-C, a timeout): leave no tmux or tmail behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    term?.kill();
    void stack.stop().finally(() => process.exit(130));
  });
}
try {
  const alice = stack.users.alice!;
  await fillDemoMailbox(stack);

  const configDir = mkdtempSync(join(tmpdir(), 'tmail-shots-config-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tmail-shots-state-'));
  const { name, ...account } = testAccount(stack.info(), alice, { displayName: 'Alice' });
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({ defaultAccount: name, accounts: { [name]: account } }),
    { mode: 0o600 },
  );
  const editor = join(stateDir, 'editor.sh');
  writeFileSync(
    editor,
    `#!/bin/sh\nawk 'BEGIN { done = 0 } { print } /^$/ && !done { print "Thanks Grace, I will fix the changelog and run the benchmark again."; done = 1 }' "$1" > "$1.new" && mv "$1.new" "$1"\n`,
  );
  chmodSync(editor, 0o755);

  process.stderr.write('Running tmail in tmux...\n');
  term = await TmuxSession.start({
    command: [process.execPath, join(REPO, 'bin/tmail.cjs')],
    cwd: REPO,
    columns: COLUMNS,
    rows: ROWS,
    env: {
      TMAIL_CONFIG_DIR: configDir,
      TMAIL_STATE_DIR: stateDir,
      HOME: stateDir,
      EDITOR: editor,
      COLORTERM: 'truecolor',
    },
  });
  // The welcome message comes through Postfix, last: the rows are in their final order once it shows.
  await term.waitFor(
    (s) =>
      s.includes('Release 2.4 checklist') &&
      s.includes('Receipts') &&
      s.includes('Welcome to the tmail demo'),
  );
  await term.waitFor((s) => !s.includes('Opening INBOX'));
  await term.press('jj');
  // Wait until the cursor (a coloured background) is on the third row, Grace's reply.
  for (;;) {
    const third = (await term.capture(true)).split('\n')[2] ?? '';
    if (/\u001b\[[0-9;]*46[;m]/.test(third)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await shoot(term, 'list-with-sidebar', 'tmail: INBOX');

  await term.press('<Enter>');
  await term.see('Two things before we tag it');
  await shoot(term, 'message', 'tmail: reading a message');

  await term.press('?');
  await term.see('tmail keys');
  await shoot(term, 'help', 'tmail: help');

  await term.press('q');
  await term.gone('tmail keys');
  await term.press('r');
  await term.see('Reply: review before sending');
  await shoot(term, 'composer', 'tmail: reviewing a reply');

  await term.press('q');
  await term.see('Abandon this message?');
  await term.press('y');
  await term.press('q');
  await term.gone('Two things before we tag it');

  // A mailing list as threads: every thread folded (Esc-V), then the first thread with
  // replies unfolded again (Esc-v) to show the tree beside the folded rows.
  await term.press(':');
  await term.type('folder Lists/tmail-dev');
  await term.press('<Enter>');
  await term.see('Lists/tmail-dev │');
  await term.press(':');
  await term.type('thread on');
  await term.press('<Enter>');
  await term.see('│ threads');
  await term.press('<M-V>');
  const foldedRow = /\[\d+(, \d+ unread)?\] /;
  const screen = await term.waitFor((s) => foldedRow.test(s));
  const row = screen.split('\n').findIndex((line) => foldedRow.test(line));
  for (let i = 0; i < row; i++) await term.press('j');
  await term.press('<M-v>');
  await term.see('└─>');
  await shoot(term, 'folded-thread', 'tmail: threads, folded');

  await term.press('q');
  await term.exited();
  term.kill();

  // Two accounts in one session: Bob's mail beside Alice's. Bob is shown once
  // (Ctrl-n, which opens his connection), then Alice again (Ctrl-p).
  const bob = stack.users.bob!;
  const bobClient = await checker(stack.info(), bob);
  try {
    await seedOverImap(bobClient, 'INBOX', 9, {
      to: bob.email,
      seed: 11,
      end: Date.now() - 3600_000,
    });
  } finally {
    await bobClient.logout().catch(() => {});
  }
  const bobAccount = testAccount(stack.info(), bob, { displayName: 'Bob' });
  const { name: bobName, ...bobRest } = bobAccount;
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({ defaultAccount: name, accounts: { [name]: account, [bobName]: bobRest } }),
    { mode: 0o600 },
  );
  term = await TmuxSession.start({
    command: [process.execPath, join(REPO, 'bin/tmail.cjs')],
    cwd: REPO,
    columns: COLUMNS,
    rows: ROWS,
    env: {
      TMAIL_CONFIG_DIR: configDir,
      TMAIL_STATE_DIR: stateDir,
      HOME: stateDir,
      COLORTERM: 'truecolor',
    },
  });
  await term.waitFor((s) => s.includes('Release 2.4 checklist') && s.includes(`▸${bobName}`));
  await term.press('<C-n>');
  await term.waitFor((s) => s.includes(` ${bobName} │ INBOX`) && s.includes('9 messages'));
  await term.press('<C-p>');
  await term.waitFor(
    (s) =>
      s.includes(` ${name} │ INBOX`) &&
      s.includes('Release 2.4 checklist') &&
      /▾bob[\s\S]*Trash/.test(s),
  );
  await shoot(term, 'accounts', 'tmail: two accounts');
  await term.press('q');
  await term.exited();
} finally {
  term?.kill();
  await stack.stop();
}
