import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { useRunTempDir } from './test/support/run-tmp.js';

useRunTempDir('tmail-test-');

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// Four projects: pure unit tests, Ink UI tests on the fake backend, engine tests
// against the real Dovecot and Postfix, and end-to-end tests of the built binary
// in tmux. The server projects share one mail stack started by global setup;
// every test file makes its own users, so files can run in parallel.
const serverProject = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  define: { TMAIL_VERSION: JSON.stringify(pkg.version) },
  test: {
    reporters: process.env.CI ? ['verbose'] : ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.{ts,tsx}'] } },
      {
        extends: true,
        test: { name: 'ui', include: ['test/ui/**/*.test.{ts,tsx}'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: { name: 'engine', include: ['test/engine/**/*.test.ts'], ...serverProject },
      },
      {
        extends: true,
        // After the others (a group of its own), so that screens are not raced by a loaded machine.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          ...serverProject,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
