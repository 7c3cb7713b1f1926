// Bundles the CLI into dist/ with esbuild. One bundled entry starts much faster
// than resolving ink, react and imapflow from node_modules file by file
// (see the start-up notes in the README); code splitting keeps mailparser,
// nodemailer and the TUI in chunks that load only when first needed.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Puts tmail's frame buffer (src/ui/ink-output.ts: same interface and output,
 * but it rebuilds only the rows that changed) in place of Ink's own.
 */
const inkOutputPlugin = {
  name: 'tmail-ink-output',
  setup(b) {
    const replacement = fileURLToPath(new URL('../src/ui/ink-output.ts', import.meta.url));
    b.onResolve({ filter: /^\.\/output\.js$/ }, (args) =>
      /[\\/]ink[\\/]build[\\/]/.test(args.importer) ? { path: replacement } : undefined,
    );
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { tmail: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minify: false,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  // Native or optional modules stay outside the bundle and load at run time.
  external: ['@github/keytar', 'react-devtools-core'],
  // Ink and its helpers measure text with string-width, which costs about 80 ms of
  // start-up (an Intl.Segmenter and an RGI_Emoji pattern); tmail's own measure
  // gives the same widths and keeps every column measured one way.
  alias: { 'string-width': './src/core/text/terminal-width.ts' },
  define: {
    'process.env.NODE_ENV': '"production"',
    TMAIL_VERSION: JSON.stringify(pkg.version),
  },
  // Some bundled dependencies are CommonJS and call require(); ESM has none.
  banner: {
    js: "import { createRequire as __tmailCreateRequire } from 'node:module'; const require = __tmailCreateRequire(import.meta.url);",
  },
  plugins: [inkOutputPlugin],
  logLevel: 'warning',
});
