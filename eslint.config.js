// Lint rules, including the architecture's import boundaries
// (see the Boundaries table in README.md): the core never imports React or Ink,
// each mail library is imported from exactly one core folder, and the UI never
// reaches past the engine to the protocol code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const mailLibraryOwners = {
  'src/core/imap': ['imapflow'],
  'src/core/smtp': ['nodemailer'],
  'src/core/mime': ['mailparser', 'html-to-text'],
  'src/core/secrets': ['@github/keytar'],
  'src/core/config': ['conf'],
  // The local cache's store (issue 16); loaded only when a store is opened.
  'src/core/cache': ['better-sqlite3'],
};
const allMailLibraries = Object.values(mailLibraryOwners).flat();

/** A no-restricted-imports rule that forbids the given module names and path patterns. */
function forbid(paths, patterns = []) {
  return [
    'error',
    {
      paths: paths.map((name) => ({
        name,
        message: 'This import crosses an architecture boundary.',
      })),
      patterns: patterns.map((group) => ({
        group: [group],
        message: 'This import crosses an architecture boundary.',
      })),
    },
  ];
}

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '.tmp/**', '.tmp*'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The launcher is CommonJS (bin/tmail.cjs says why).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-control-regex': 'off',
    },
  },
  {
    // Ink owns stdout: the program logs to a file through core/log.
    files: ['src/**/*.{ts,tsx}'],
    rules: { 'no-console': 'error' },
  },
  // Each mail library belongs to one core folder; the rest of the core uses none directly.
  ...Object.entries(mailLibraryOwners).map(([folder, owned]) => ({
    files: [`${folder}/**/*.{ts,tsx}`],
    rules: {
      'no-restricted-imports': forbid(
        ['react', 'ink', ...allMailLibraries.filter((lib) => !owned.includes(lib))],
        ['**/ui/**', '**/commands/**', '**/keymap/**', 'react/*', 'ink/*'],
      ),
    },
  })),
  {
    files: ['src/core/**/*.{ts,tsx}'],
    ignores: Object.keys(mailLibraryOwners).map((folder) => `${folder}/**`),
    rules: {
      'no-restricted-imports': forbid(
        ['react', 'ink', ...allMailLibraries],
        ['**/ui/**', '**/commands/**', '**/keymap/**', 'react/*', 'ink/*'],
      ),
    },
  },
  {
    files: ['src/keymap/**/*.ts'],
    rules: {
      'no-restricted-imports': forbid(
        ['react', 'ink', ...allMailLibraries],
        ['**/ui/**', '**/commands/**', '**/core/*/**', '**/cli/**'],
      ),
    },
  },
  {
    files: ['src/commands/**/*.{ts,tsx}', 'src/cli/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': forbid(
        ['react', 'ink', ...allMailLibraries],
        ['**/ui/**', 'react/*', 'ink/*'],
      ),
    },
  },
  {
    files: ['src/*.{ts,tsx}'],
    rules: { 'no-restricted-imports': forbid(allMailLibraries) },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': forbid(allMailLibraries, [
        '**/core/imap/**',
        '**/core/smtp/**',
        '**/core/mime/**',
        '**/core/secrets/**',
      ]),
    },
  },
);
