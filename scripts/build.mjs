// Bundles the CLI into dist/ with esbuild. One bundled entry starts much faster
// than resolving ink, react and imapflow from node_modules file by file (see
// the start-up notes in the README). It is one CommonJS script, dist/tmail.cjs,
// so that dist/boot.cjs can run it with V8's code cache (src/boot.ts): Node 20
// can keep the compiled code of a script, not of an ES module, once it has run.
// Modules still run only when first needed (mailparser, nodemailer, the TUI):
// esbuild turns each dynamic import into a call that evaluates them then, and
// V8 compiles a function when it is first called.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

/**
 * libmime (used by imapflow) builds iconv-lite's whole GBK codec when it is
 * imported, only to recognise double-byte decoders later: about 25 ms and
 * several MB at every start. Build it the first time a charset is decoded
 * instead. If libmime's code changes shape, the file is left as it is.
 */
const lazyGbkPlugin = {
  name: 'tmail-lazy-gbk',
  setup(b) {
    b.onLoad({ filter: /[\\/]libmime[\\/]dist[\\/](cjs|esm)[\\/]charset\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const declaration = /const DBCS_DECODER = ([\w.]+)\.getCodec\('gbk'\)\.decoder;/;
      const match = declaration.exec(source);
      if (!match || !source.includes('codec.decoder === DBCS_DECODER')) {
        console.warn(`tmail build: ${args.path} changed; GBK is built at start-up again`);
        return undefined;
      }
      const patched = source
        .replace(
          declaration,
          `let DBCS_DECODER_BUILT; const dbcsDecoder = () => (DBCS_DECODER_BUILT ??= ${match[1]}.getCodec('gbk').decoder);`,
        )
        .replaceAll('codec.decoder === DBCS_DECODER', 'codec.decoder === dbcsDecoder()');
      return { contents: patched, loader: 'js' };
    });
  },
};

/**
 * ansi-tokenize and slice-ansi build an Intl.Segmenter when they are imported:
 * the first one loads ICU's break-iterator data, about 11 ms of every start.
 * Here the segmenter is built the first time it is needed. ansi-tokenize also
 * reads the escape codes of every frame with it; on ASCII text (no CR LF pair)
 * every character is a grapheme of its own (UAX #29: no ASCII character extends
 * or joins another), so those strings are split without ICU. slice-ansi needs
 * it only for lines cut by a clip. If either module changes shape, it is left
 * as it is.
 */
const lazySegmenterPlugin = {
  name: 'tmail-lazy-segmenter',
  setup(b) {
    b.onLoad(
      {
        filter:
          /[\\/](@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize|slice-ansi[\\/]tokenize-ansi)\.js$/,
      },
      async (args) => {
        const source = await readFile(args.path, 'utf8');
        const declaration = /const (\w+) = new Intl\.Segmenter\(([^()]*)\);/;
        const match = declaration.exec(source);
        const name = match?.[1] ?? '';
        const uses = name ? source.split(name).length - 2 : 0;
        const tokenizer = /ansi-tokenize/.test(args.path);
        // ansi-tokenize only iterates the segments; slice-ansi may call containing().
        const loops = source.split(`of ${name}.segment(`).length - 1;
        const calls = source.split(`${name}.segment(`).length - 1;
        if (!match || uses === 0 || calls !== uses || (tokenizer && loops !== calls)) {
          console.warn(
            `tmail build: ${args.path} changed; its Intl.Segmenter is built at start-up again`,
          );
          return undefined;
        }
        const built = `(${name}Built ??= new Intl.Segmenter(${match[2]}))`;
        const segment = tokenizer
          ? `(text) => /^[\\x00-\\x7f]*$/.test(text) && !text.includes('\\r\\n') ? Array.from(text, (segment, index) => ({ segment, index, input: text })) : ${built}.segment(text)`
          : `(text) => ${built}.segment(text)`;
        const lazy = `let ${name}Built; const ${name} = { segment: ${segment} };`;
        return { contents: source.replace(declaration, lazy), loader: 'js' };
      },
    );
  },
};

/**
 * What makes the bundle a script: a CommonJS file has no top-level await.
 * yoga (Ink's layout engine, WebAssembly) awaits its own loading at the top of
 * its module; here it starts loading on import, fills in its object when done
 * and says so through `__tmailLayoutReady`, which src/ui/layout-ready.ts waits
 * for before every render (nothing of Ink's uses yoga before a render). Ink's
 * reconciler awaits React's devtools and its package.json only when DEV=true;
 * tmail ships without devtools, so those lines go. If either file changes
 * shape, the build stops.
 */
const NO_TOP_LEVEL_AWAIT = [
  {
    file: /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/,
    edits: [
      [
        'const Yoga = wrapAssembly(await loadYoga());',
        'const Yoga = {}; globalThis.__tmailLayoutReady = loadYoga().then((lib) => { Object.assign(Yoga, wrapAssembly(lib)); });',
      ],
    ],
  },
  {
    file: /[\\/]ink[\\/]build[\\/]reconciler\.js$/,
    edits: [
      ["await import('./devtools.js');", 'void 0;'],
      ['await loadPackageJson()', '{ name: undefined, version: undefined }'],
    ],
  },
];

/** A dependency's file with each `[from, to]` edit made; each `from` must be there once. */
async function editedSource(path, edits) {
  let source = await readFile(path, 'utf8');
  for (const [from, to] of edits) {
    if (source.split(from).length !== 2) throw new Error(`${path} changed: ${from}`);
    source = source.replace(from, to);
  }
  return source;
}

/**
 * imapflow stops expanding a UID set from the server at 16.7 million numbers
 * (EXPANDED_RANGE_LIMIT): a server claiming 4,294,967,295 messages and
 * answering a plain SEARCH with 1:4294967295 still made it build an array of
 * 16.7 million (610 MB peak). tmail refuses any answer above 5,000,000 UIDs
 * (MAX_EXPANDED in src/core/imap/sequence.ts); one more is enough to see it.
 */
const IMAPFLOW_LIMITS = {
  file: /imapflow[\\/]dist[\\/]esm[\\/]tools\.js$/,
  edits: [
    [
      'export const EXPANDED_RANGE_LIMIT = 0x1000000;',
      'export const EXPANDED_RANGE_LIMIT = 5000001;',
    ],
  ],
};

const imapflowLimitsPlugin = {
  name: 'tmail-imapflow-limits',
  setup(b) {
    b.onLoad({ filter: IMAPFLOW_LIMITS.file }, async (args) => ({
      contents: await editedSource(args.path, IMAPFLOW_LIMITS.edits),
      loader: 'js',
    }));
  },
};

const noTopLevelAwaitPlugin = {
  name: 'tmail-no-top-level-await',
  setup(b) {
    for (const { file, edits } of NO_TOP_LEVEL_AWAIT) {
      b.onLoad({ filter: file }, async (args) => ({
        contents: await editedSource(args.path, edits),
        loader: 'js',
      }));
    }
  },
};

/**
 * Libraries imapflow imports at start-up but needs only in rare cases: pino for
 * its default logger (tmail always passes its own), socks for a SOCKS proxy,
 * encoding-japanese for ISO-2022-JP text. Bundled with the rest, the parser
 * still reads all of their code at every start (about 20 ms, measured on the
 * session code's import). Each is built into dist/vendor/ instead, and the one
 * line of imapflow that uses it loads it there on first use. If imapflow's code
 * changes shape, the build stops rather than ship a broken client.
 */
const LATE_MODULES = [
  {
    name: 'pino',
    file: /imapflow[\\/]dist[\\/]esm[\\/]logger\.js$/,
    edits: [
      ["import pino from 'pino';", "const pino = (...args) => __tmailLate('pino')(...args);"],
    ],
  },
  {
    name: 'socks',
    file: /imapflow[\\/]dist[\\/]esm[\\/]proxy-connection\.js$/,
    edits: [
      ["import { SocksClient } from 'socks';", ''],
      ['SocksClient.createConnection(', "__tmailLate('socks').SocksClient.createConnection("],
    ],
  },
  {
    name: 'encoding-japanese',
    file: /imapflow[\\/]dist[\\/]esm[\\/]jp-decoder\.js$/,
    edits: [
      ["import encodingJapanese from 'encoding-japanese';", ''],
      ['encodingJapanese.convert(', "__tmailLate('encoding-japanese').convert("],
    ],
  },
];

const lateModulesPlugin = {
  name: 'tmail-late-modules',
  setup(b) {
    for (const { name, file, edits } of LATE_MODULES) {
      b.onLoad({ filter: file }, async (args) => {
        const source = await editedSource(args.path, edits);
        // Every use must be one of the rewritten ones (pino's binding stays, as a wrapper).
        const binding = edits[0][0].match(/import \{? ?(\w+)/)[1];
        const rest = source.replace(/__tmailLate\('[^']+'\)(\.\w+)?/g, '');
        if (name !== 'pino' && new RegExp(`\\b${binding}\\b`).test(rest))
          throw new Error(`${args.path} uses ${name} in a new way`);
        return { contents: source, loader: 'js' };
      });
    }
  },
};

/**
 * Libraries a start drawn from the cache does not run: the MIME decoders
 * (mailparser, html-to-text, and libmime and iconv-lite, which imapflow shares),
 * conf (with ajv and semver) for writing the dotfile, nodemailer for sending.
 * In the bundle their source is read at every start, used or not, and the start
 * costs some 14 ms per MB of bundle here. Each is built into a file of its own
 * in dist/vendor/, and every import of it, from tmail's code, the bundle's
 * libraries or another of these files, becomes a require of that file, loaded
 * when first needed (on connecting, opening a message, sending).
 */
const VENDORED = [
  'conf',
  'nodemailer',
  'nodemailer/lib/smtp-connection',
  'nodemailer/lib/smtp-connection/index.js',
  'nodemailer/lib/mail-composer/index.js',
  'mailparser',
  'html-to-text',
  'libmime',
  'iconv-lite',
];
const VENDORED_PACKAGES = [...new Set(VENDORED.map((specifier) => specifier.split('/')[0]))];
/** One file per module, however it is named (`x` and `x/index.js` are one module). */
const vendorFile = (specifier) =>
  specifier
    .replace(/\/index\.js$/, '')
    .replace(/\.js$/, '')
    .replace(/[/]/g, '-');

/**
 * `dir`: where the vendor files are, seen from the file being built; `own`: the
 * vendor file being built, whose library is bundled into it.
 */
function vendoredPlugin(dir, own) {
  return {
    name: 'tmail-vendored',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^(${VENDORED_PACKAGES.join('|')})(/|$)`) }, (args) => {
        if (VENDORED.includes(args.path) && vendorFile(args.path) === own) return undefined;
        if (VENDORED.includes(args.path))
          return { path: `${dir}${vendorFile(args.path)}.cjs`, external: true };
        // A library's own use of another part of one of them stays where it is.
        if (/[\\/]node_modules[\\/]/.test(args.importer)) return undefined;
        throw new Error(
          `${args.importer} imports ${args.path}: add it to VENDORED in scripts/build.mjs`,
        );
      });
    },
  };
}

/**
 * React is CommonJS, and esbuild gives every module that imports it a wrapper
 * of its own with a copy of each of its exports: some 60 importers (tmail's
 * components and Ink's), some 6 ms of every start. Here react and
 * react/jsx-runtime are each one ES module that requires the package once and
 * exports what it exports (the names are read from the installed package), so
 * that the importers link to it directly.
 */
const reactOnceNamespace = 'tmail-react-once';
const reactOncePlugin = {
  name: 'tmail-react-once',
  setup(b) {
    const require = createRequire(import.meta.url);
    b.onResolve({ filter: /^react(\/jsx-runtime)?$/ }, (args) =>
      args.namespace === reactOnceNamespace
        ? undefined
        : { path: args.path, namespace: reactOnceNamespace },
    );
    b.onLoad({ filter: /.*/, namespace: reactOnceNamespace }, (args) => {
      const file = require.resolve(args.path);
      const names = Object.keys(require(file)).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
      return {
        contents: `const m = require(${JSON.stringify(file)});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`,
        loader: 'js',
        resolveDir: dirname(file),
      };
    });
  },
};

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const distDir = fileURLToPath(new URL('../dist', import.meta.url));

/** What every output here shares: bundled, for Node 20, minified but for names. */
const COMMON = {
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
};

const result = await build({
  ...COMMON,
  entryPoints: { tmail: 'src/cli.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  // import() of a bundled module becomes a call that evaluates it; of a built-in, a require.
  supported: { 'dynamic-import': false },
  sourcemap: 'linked',
  // Native or optional modules stay outside the bundle and load at run time.
  external: ['@github/keytar', 'better-sqlite3', 'react-devtools-core'],
  // Ink and its helpers measure text with string-width, which costs about 80 ms of
  // start-up (an Intl.Segmenter and an RGI_Emoji pattern); tmail's own measure
  // gives the same widths and keeps every column measured one way.
  alias: {
    'string-width': './src/core/text/terminal-width.ts',
    // Ink draws only a final frame when CI is set; tmail on a terminal is interactive.
    'is-in-ci': './src/ui/not-in-ci.ts',
    // Ink's fallback for a stdout without a size, which tmail never has (see the file).
    'terminal-size': './src/ui/terminal-size.ts',
  },
  define: {
    'process.env.NODE_ENV': '"production"',
    TMAIL_VERSION: JSON.stringify(pkg.version),
    'import.meta.url': '__tmailModuleUrl',
  },
  // The file is the module wrapper's function itself, as src/boot.ts compiles it: no
  // copy of 3 MB of source to wrap it at every start.
  banner: {
    js: "(function (exports, require, module, __filename, __dirname) { 'use strict'; const __tmailModuleUrl = require('node:url').pathToFileURL(__filename).href; const __tmailLate = (name) => require(`./vendor/${name}.cjs`);",
  },
  footer: { js: '})' },
  plugins: [
    noTopLevelAwaitPlugin,
    imapflowLimitsPlugin,
    inkOutputPlugin,
    lazyGbkPlugin,
    lazySegmenterPlugin,
    lateModulesPlugin,
    vendoredPlugin('./vendor/'),
    reactOncePlugin,
  ],
});

/**
 * The bundle must be ASCII: src/boot.ts reads it as one byte per character, which
 * keeps 3 MB of source at 3 MB in memory (any other character would make V8 store
 * the whole text at two bytes per character). esbuild escapes strings but leaves
 * regular expressions as written (folder names and reply prefixes in several
 * languages); an escape means the same character there.
 */
for (const file of result.outputFiles) {
  if (!file.path.endsWith('.cjs')) continue;
  const text = file.text;
  const ascii = text.replace(
    /[^\x00-\x7f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  if (ascii !== text) file.contents = Buffer.from(ascii, 'latin1');
}

// The files of dist/vendor/: the late modules (the path in __tmailLate is relative to
// dist/) and the vendored libraries. Each file's exports are what `require` gives in
// Node (the CommonJS build where a library has one; an ES module's default export
// otherwise), the shape that the bundle's imports and __tmailLate's callers expect.
const vendorSpecifiers = [...LATE_MODULES.map(({ name }) => name), ...VENDORED];
for (const specifier of new Map(vendorSpecifiers.map((s) => [vendorFile(s), s])).values()) {
  const vendored = await build({
    ...COMMON,
    stdin: {
      contents: `const m = require(${JSON.stringify(specifier)}); module.exports = m && m.__esModule && 'default' in m ? m.default : m;`,
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      sourcefile: `vendor-${vendorFile(specifier)}.cjs`,
    },
    outfile: `dist/vendor/${vendorFile(specifier)}.cjs`,
    format: 'cjs',
    plugins: [lazyGbkPlugin, vendoredPlugin('./', vendorFile(specifier))],
  });
  result.outputFiles.push(...vendored.outputFiles);
}

// The start: runs dist/tmail.cjs with the code cache (src/boot.ts).
const boot = await build({
  ...COMMON,
  entryPoints: { boot: 'src/boot.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
});
result.outputFiles.push(...boot.outputFiles);

/**
 * Puts the new files in place one by one with a rename, never emptying dist/ first:
 * a test run going on in this checkout (`npm test` twice at once) keeps starting a
 * whole tmail while another build replaces it. Files of older builds go last.
 */
function publish(files) {
  const written = new Set();
  for (const { path, contents } of files) {
    const temp = `${path}.${process.pid}.tmp`;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temp, contents);
    renameSync(temp, path);
    written.add(resolve(path));
  }
  const sweep = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        sweep(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true, force: true });
      } else if (!written.has(path) && !entry.name.endsWith('.tmp')) rmSync(path, { force: true });
    }
  };
  sweep(distDir);
}

publish(result.outputFiles);
