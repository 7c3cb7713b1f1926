/**
 * The account wizard's entry points: `runAccountWizard()` renders it on its
 * own (for `tmail account add` and for the TUI before it has drawn anything),
 * and `AccountWizard` is the component, for a screen that embeds it.
 */
import { render } from 'ink';
import type { AccountConfig } from '../../core/config/index.js';
import { layoutReady } from '../layout-ready.js';
import { AccountWizard } from './AccountWizard.js';
import { defaultWizardServices, type WizardServices } from './services.js';

export { AccountWizard, type AccountWizardProps } from './AccountWizard.js';
export { defaultWizardServices, type WizardServices } from './services.js';

export interface RunWizardOptions {
  /** Replaces the real servers, keychain and dotfile (tests). */
  services?: WizardServices;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Renders the wizard until the account is saved or the user cancels (Esc or
 * Ctrl-C). Resolves to the saved account, or null.
 */
export async function runAccountWizard(
  options: RunWizardOptions = {},
): Promise<AccountConfig | null> {
  let saved: AccountConfig | null = null;
  await layoutReady();
  const app = render(
    <AccountWizard
      services={options.services ?? defaultWizardServices()}
      onDone={(account) => {
        saved = account;
        // Let the last frame (saved, or the question left) be drawn first.
        setImmediate(() => app.unmount());
      }}
    />,
    {
      exitOnCtrlC: true,
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.stdout ? { stdout: options.stdout } : {}),
    },
  );
  await app.waitUntilExit().catch(() => {});
  return saved;
}

/** `tmail account add` in a terminal: exit code 0 when an account was saved, 1 when cancelled. */
export async function runWizardCommand(): Promise<number> {
  const account = await runAccountWizard();
  if (!account) process.stderr.write('tmail: no account was added.\n');
  return account ? 0 : 1;
}
