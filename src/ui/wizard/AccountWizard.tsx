/**
 * The account wizard: address, password, servers found and checked for real,
 * where to keep the password, a name, saved. Only settings that logged in are
 * saved. Esc cancels at any question.
 *
 *   email -> password -> searching -> store -> (command) -> name -> display name -> saved
 *                 ^  wrong password  |   \-> trust (self-signed) -> recheck
 *                 |                  \-> servers (nothing answered: edit by hand) -> recheck
 *
 *   Gmail and Microsoft (providers with OAuth2): email -> client id -> (client secret, Google)
 *   -> browser sign-in -> both servers checked with the token -> name -> display name -> saved.
 *   Gmail also takes an app password (an empty client id); Microsoft takes OAuth2 only.
 */
import { Box, Text, useInput } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import {
  findProvider,
  suggestAccountName,
  type Provider,
} from '../../core/config/account-setup.js';
import {
  accountNameIssue,
  checkAccountConfig,
  defaultPort,
  emailIssue,
  type AccountConfig,
  type PasswordSource,
  type ProbeResult,
  type Security,
  type ServerConfig,
} from '../../core/config/index.js';
import type { KeychainStatus } from '../../core/config/account-setup.js';
import { editField, initialField, type FieldState } from './field-edit.js';
import type { WizardServices, WizardTokens } from './services.js';
import { FieldText, TextField } from './TextField.js';

export interface AccountWizardProps {
  services: WizardServices;
  /** Called once: with the saved account, or null when the user cancelled. */
  onDone(account: AccountConfig | null): void;
}

type Step =
  | 'email'
  | 'password'
  | 'searching'
  | 'trust'
  | 'servers'
  | 'store'
  | 'command'
  | 'name'
  | 'displayName'
  | 'clientId'
  | 'clientSecret'
  | 'signin'
  | 'saving'
  | 'done';

/** The fields of the by-hand server form, in order. */
const SERVER_FIELDS = [
  ['imap', 'host', 'IMAP host'],
  ['imap', 'port', 'IMAP port'],
  ['imap', 'security', 'IMAP security (tls, starttls, plain)'],
  ['smtp', 'host', 'SMTP host'],
  ['smtp', 'port', 'SMTP port'],
  ['smtp', 'security', 'SMTP security (tls, starttls, plain)'],
  ['account', 'user', 'Login name (empty: the address)'],
] as const;

const PLACEHOLDER: ServerConfig = { host: 'localhost', port: 1, security: 'tls' };

function serverOf(result: ProbeResult): ServerConfig {
  return { host: result.host, port: result.port, security: result.security };
}

function describe(result: ProbeResult): string {
  const where = `${result.protocol} ${result.host}:${result.port} (${result.security})`;
  return result.ok ? `${where}: ${result.detail}` : `${where}: ${result.error.userMessage}`;
}

export function AccountWizard({ services, onDone }: AccountWizardProps) {
  const [step, setStep] = useState<Step>('email');
  const [error, setError] = useState<string | null>(null);
  const [lines, setLines] = useState<string[]>([]);
  const [provider, setProvider] = useState<Provider | undefined>();
  const [keychain, setKeychain] = useState<KeychainStatus | undefined>();
  const [storeChoice, setStoreChoice] = useState(0);
  /**
   * The server form: every field's text as typed, and which one has focus. In a ref, read
   * by the key handler: keys that arrive before React re-renders (Down and then typing,
   * Ctrl-U and then digits) must see what the keys before them did, not the last frame.
   */
  const form = useRef<{ fields: FieldState[]; index: number }>({ fields: [], index: 0 });
  const [, redrawForm] = useReducer((n: number) => n + 1, 0);
  const [savedFile, setSavedFile] = useState('');
  const [untrusted, setUntrusted] = useState<ProbeResult | undefined>();
  const draft = useRef<AccountConfig>({
    name: '',
    email: '',
    imap: PLACEHOLDER,
    smtp: PLACEHOLDER,
    password: { type: 'prompt' },
  });
  const password = useRef('');
  /** The OAuth2 sign-in's tokens, kept in memory until the account is saved. */
  const tokens = useRef<WizardTokens | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const discovery = useRef<ReturnType<WizardServices['discover']> | undefined>(undefined);
  const finished = useRef(false);

  // Asked at once, so the answer (or the timeout) is in by the time it matters.
  const keychainStatus = useRef(services.keychain());
  useEffect(() => {
    let live = true;
    keychainStatus.current.then((status) => live && setKeychain(status));
    return () => {
      live = false;
    };
  }, []);

  const finish = (account: AccountConfig | null) => {
    if (finished.current) return;
    finished.current = true;
    onDone(account);
  };

  useEffect(() => {
    if (step === 'done') finish(draft.current);
  });

  useInput((_input, key) => {
    if (key.escape && step !== 'saving' && step !== 'done') finish(null);
  });

  const storeOptions = (): Array<{ type: PasswordSource['type']; label: string }> => [
    ...(keychain?.available
      ? [{ type: 'keychain' as const, label: 'in the system keychain (recommended)' }]
      : []),
    { type: 'command', label: 'from a command that prints it (pass, gpg, a password manager)' },
    { type: 'prompt', label: 'nowhere: ask for it once each time tmail starts' },
  ];

  /** Acts on what a search or a re-check found. */
  const evaluate = (imap: ProbeResult | undefined, smtp: ProbeResult | undefined) => {
    const results = [imap, smtp].filter((r): r is ProbeResult => r !== undefined);
    if (imap) draft.current.imap = { ...serverOf(imap), ...userOf('imap') };
    if (smtp) draft.current.smtp = { ...serverOf(smtp), ...userOf('smtp') };
    setLines(results.map(describe));
    if (imap?.ok && smtp?.ok) {
      setError(null);
      setStep('store');
      return;
    }
    const failed = results.filter((r): r is ProbeResult & { ok: false } => !r.ok);
    const auth = failed.find((r) => r.error.code === 'AUTH_FAILED');
    if (auth) {
      setError(`${auth.error.userMessage} Type the password again, or Esc to stop.`);
      password.current = '';
      setStep('password');
      return;
    }
    const tls = failed.find((r) => r.error.code === 'TLS_UNTRUSTED');
    if (tls && !draft.current.allowInvalidCert) {
      setUntrusted(tls);
      setError(null);
      setStep('trust');
      return;
    }
    setError(
      'No working settings were found; check them below (Enter on the last one checks again).',
    );
    if (!imap) draft.current.imap = { host: '', port: 993, security: 'tls' };
    if (!smtp) draft.current.smtp = { host: '', port: 465, security: 'tls' };
    openServerForm();
  };

  const userOf = (protocol: 'imap' | 'smtp') => {
    const user = draft.current[protocol].user;
    return user === undefined ? {} : { user };
  };

  const search = async () => {
    setStep('searching');
    setError(null);
    setLines([]);
    const found = await (discovery.current ?? services.discover(draft.current.email));
    setProvider(found.provider);
    if (found.provider?.serverSavesSent) draft.current.serverSavesSent = true;
    const result = await services.findServers(
      structuredClone(draft.current),
      found,
      password.current,
      (protocol, candidate) =>
        setLines((shown) => [
          ...shown,
          `Trying ${protocol.toUpperCase()} ${candidate.host}:${candidate.port} (${candidate.security})...`,
        ]),
    );
    evaluate(result.imap, result.smtp);
  };

  const recheck = async () => {
    setStep('searching');
    setLines([`Checking ${draft.current.imap.host} and ${draft.current.smtp.host}...`]);
    const [imap, smtp] = await services.probe(structuredClone(draft.current), password.current);
    evaluate(imap, smtp);
  };

  const submitEmail = (value: string) => {
    const email = value.trim();
    const problem = emailIssue(email);
    if (problem) return setError(`The address ${problem}.`);
    draft.current.email = email;
    discovery.current = services.discover(email);
    discovery.current.then((found) => setProvider(found.provider)).catch(() => {});
    setError(null);
    const known = findProvider(email);
    if (known?.oauth2 && services.signIn) {
      setProvider(known);
      draft.current.imap = { ...known.imap };
      draft.current.smtp = { ...known.smtp };
      if (known.serverSavesSent) draft.current.serverSavesSent = true;
      draft.current.oauth2 = { provider: known.oauth2, clientId: '' };
      setStep('clientId');
      return;
    }
    setStep('password');
  };

  const submitClientId = (value: string) => {
    const clientId = value.trim();
    const known = findProvider(draft.current.email);
    if (!clientId) {
      if (known?.requiresOAuth2)
        return setError(`${known.name} needs the client id of your registered app.`);
      // An app password instead (Gmail allows it).
      delete draft.current.oauth2;
      draft.current.imap = PLACEHOLDER;
      draft.current.smtp = PLACEHOLDER;
      setError(null);
      setStep('password');
      return;
    }
    draft.current.oauth2 = { ...draft.current.oauth2!, clientId };
    setError(null);
    if (draft.current.oauth2.provider === 'google') setStep('clientSecret');
    else void oauthSignIn();
  };

  const submitClientSecret = (value: string) => {
    const clientSecret = value.trim();
    if (!clientSecret) return setError('Google needs the client secret of your app.');
    draft.current.oauth2 = { ...draft.current.oauth2!, clientSecret };
    setError(null);
    void oauthSignIn();
  };

  const oauthSignIn = async () => {
    draft.current.password = { type: 'oauth2' };
    setStep('signin');
    setLines([]);
    try {
      const account = structuredClone(draft.current);
      const got = await services.signIn!(account, (line) => setLines((shown) => [...shown, line]));
      tokens.current = got;
      setLines([
        `Signed in. Checking ${draft.current.imap.host} and ${draft.current.smtp.host}...`,
      ]);
      const results = await services.probeToken!(account, got.accessToken);
      setLines(results.map(describe));
      const bad = results.find((r): r is ProbeResult & { ok: false } => !r.ok);
      if (bad) {
        setError(`${bad.error.userMessage} Press Esc and check the app's permissions.`);
        return;
      }
      setStep('name');
    } catch (e) {
      setError(
        `${(e as { userMessage?: string }).userMessage ?? 'The sign-in failed.'} Type the client id again, or Esc to stop.`,
      );
      setStep('clientId');
    }
  };

  const submitPassword = (value: string) => {
    if (value === '') return setError('The password is empty.');
    password.current = value;
    void search();
  };

  /** Shows the server form with the draft's values, each selected (typing replaces it). */
  const openServerForm = () => {
    form.current = {
      fields: SERVER_FIELDS.map((_, index) => initialField(fieldValue(index))),
      index: 0,
    };
    redrawForm();
    setStep('servers');
  };

  /** Takes one field's text into the draft; the problem in one sentence, or null. */
  const commitServerField = (index: number): string | null => {
    const [part, key] = SERVER_FIELDS[index]!;
    const text = form.current.fields[index]!.text.trim();
    if (part === 'account') {
      if (text) {
        draft.current.user = text;
      } else {
        delete draft.current.user;
      }
    } else if (key === 'port') {
      const port = Number(text);
      if (!/^\d+$/.test(text) || port < 1 || port > 65535)
        return 'The port must be a number from 1 to 65535.';
      draft.current[part] = { ...draft.current[part], port };
    } else if (key === 'security') {
      if (text !== 'tls' && text !== 'starttls' && text !== 'plain')
        return 'The security must be tls, starttls or plain.';
      const server = draft.current[part];
      // The usual port follows the security when the port was the usual one.
      const port =
        server.port === defaultPort(part, server.security)
          ? defaultPort(part, text as Security)
          : server.port;
      draft.current[part] = { ...server, security: text as Security, port };
      if (port !== server.port) {
        const portIndex = SERVER_FIELDS.findIndex(([p, k]) => p === part && k === 'port');
        form.current.fields[portIndex] = { text: String(port), selected: false };
      }
    } else {
      draft.current[part] = { ...draft.current[part], host: text };
    }
    return null;
  };

  /** Enter in the form: the next field, or from the last one every field checked again. */
  const submitServerField = () => {
    const index = form.current.index;
    const problem = commitServerField(index);
    if (problem) return setError(problem);
    setError(null);
    if (index < SERVER_FIELDS.length - 1) {
      form.current.index = index + 1;
      redrawForm();
      return;
    }
    // Fields left with Up/Down were never taken in: take them all, in order.
    for (let i = 0; i < SERVER_FIELDS.length; i++) {
      const wrong = commitServerField(i);
      if (wrong) {
        form.current.index = i;
        redrawForm();
        return setError(wrong);
      }
    }
    const issues = checkAccountConfig({ ...draft.current, name: 'new' });
    if (issues.length) {
      const issue = issues[0]!;
      return setError(`${issue.path.replace(/^accounts\.new\./, '')}: ${issue.message}.`);
    }
    void recheck();
  };

  /** A key in the server form: Up/Down/Tab move between fields, keeping what each holds. */
  const serverFormKey = (input: string, key: Parameters<typeof editField>[2]) => {
    const current = form.current;
    if (key.upArrow || key.downArrow || key.tab) {
      const step = key.upArrow ? -1 : 1;
      current.index = Math.min(SERVER_FIELDS.length - 1, Math.max(0, current.index + step));
      redrawForm();
      return;
    }
    const result = editField(current.fields[current.index]!, input, key);
    if (result.ignored) return;
    current.fields[current.index] = result.state;
    redrawForm();
    if (result.submit) submitServerField();
  };

  const chooseStore = (type: PasswordSource['type']) => {
    setError(null);
    if (type === 'command') return setStep('command');
    draft.current.password = type === 'keychain' ? { type: 'keychain' } : { type: 'prompt' };
    setStep('name');
  };

  const submitCommand = async (value: string) => {
    const command = value.trim();
    if (!command) return setError('Type a command, or Esc to stop.');
    setError(null);
    setLines([`Running the command to check it...`]);
    const problem = await services.verifyCommand(command, password.current);
    setLines([]);
    if (problem) return setError(problem.userMessage);
    draft.current.password = { type: 'command', command };
    setStep('name');
  };

  const submitName = (value: string) => {
    const name = value.trim();
    const problem = accountNameIssue(name);
    if (problem) return setError(`The name ${problem}.`);
    if (services.accountNames().includes(name))
      return setError(`An account named ${name} already exists; choose another name.`);
    draft.current.name = name;
    setError(null);
    setStep('displayName');
  };

  const submitDisplayName = async (value: string) => {
    const displayName = value.trim();
    if (displayName) draft.current.displayName = displayName;
    setStep('saving');
    try {
      if (tokens.current && services.saveSignedIn) {
        const saved = await services.saveSignedIn(structuredClone(draft.current), tokens.current);
        setNotice(saved.notice ?? null);
        setSavedFile(saved.file);
      } else {
        setSavedFile(await services.save(structuredClone(draft.current), password.current));
      }
      setStep('done');
    } catch (e) {
      setError((e as { userMessage?: string }).userMessage ?? 'The account could not be saved.');
      setStep('store');
    }
  };

  useInput(
    (input, key) => {
      if (step === 'trust') {
        if (input === 'y' || input === 'Y') {
          draft.current.allowInvalidCert = true;
          void recheck();
        } else if (input === 'n' || input === 'N' || key.return) {
          setError('Then the settings below need a certificate the system trusts.');
          openServerForm();
        }
        return;
      }
      if (step === 'store') {
        const options = storeOptions();
        if (key.upArrow) setStoreChoice((i) => Math.max(0, i - 1));
        else if (key.downArrow || key.tab)
          setStoreChoice((i) => Math.min(options.length - 1, i + 1));
        else if (key.return) chooseStore(options[Math.min(storeChoice, options.length - 1)]!.type);
        else {
          const picked = options.find((o) => o.type[0] === input.toLowerCase());
          if (picked) chooseStore(picked.type);
        }
        return;
      }
      if (step === 'servers') serverFormKey(input, key);
    },
    { isActive: step === 'trust' || step === 'store' || step === 'servers' },
  );

  const fieldValue = (index: number): string => {
    const [part, key] = SERVER_FIELDS[index]!;
    if (part === 'account') return draft.current.user ?? '';
    const value = draft.current[part][key];
    return String(value);
  };

  // From the table, not the discovery's answer: that may come later and say less.
  const oauthProvider = draft.current.email ? findProvider(draft.current.email) : undefined;

  return (
    <Box flexDirection="column">
      <Text bold>tmail: add a mail account</Text>
      {draft.current.email && step !== 'email' ? <Text>Address: {draft.current.email}</Text> : null}
      {provider && step !== 'email' ? (
        <Text dimColor>
          {provider.name}
          {provider.note ? `: ${provider.note}` : ''}
        </Text>
      ) : null}

      {step === 'email' ? (
        <Box>
          <Text>Email address: </Text>
          <TextField key="email" placeholder="ann@example.com" onSubmit={submitEmail} />
        </Box>
      ) : null}

      {step === 'password' ? (
        <Box>
          <Text>Password: </Text>
          <TextField key={`password-${lines.length}`} mask onSubmit={submitPassword} />
        </Box>
      ) : null}

      {step === 'searching' || step === 'trust' || step === 'servers' || step === 'store'
        ? lines.map((line, i) => (
            <Text
              key={i}
              color={/: .*(refused|not|could|did|failed|no )/i.test(line) ? 'yellow' : undefined}
            >
              {line}
            </Text>
          ))
        : null}

      {step === 'trust' && untrusted ? (
        <Text>
          Trust the certificate of {untrusted.host}:{untrusted.port} for this account only (it is
          not checked by the system)? [y/N]
        </Text>
      ) : null}

      {step === 'servers' ? (
        <Box flexDirection="column">
          {SERVER_FIELDS.map(([, , label], index) => (
            <Box key={label}>
              <Text>{index === form.current.index ? '> ' : '  '}</Text>
              <Text>{label}: </Text>
              <FieldText
                state={form.current.fields[index] ?? initialField('')}
                active={index === form.current.index}
              />
            </Box>
          ))}
        </Box>
      ) : null}

      {step === 'store' ? (
        <Box flexDirection="column">
          {keychain && !keychain.available ? (
            <Text color="yellow">{keychain.error.userMessage}</Text>
          ) : null}
          {!keychain ? <Text dimColor>Asking the system keychain...</Text> : null}
          <Text>Where should tmail get the password?</Text>
          {storeOptions().map((option, index) => (
            <Text key={option.type}>
              {index === Math.min(storeChoice, storeOptions().length - 1) ? '> ' : '  '}[
              {option.type[0]}] {option.label}
            </Text>
          ))}
        </Box>
      ) : null}

      {step === 'command' ? (
        <Box flexDirection="column">
          {lines.map((line, i) => (
            <Text key={i} dimColor>
              {line}
            </Text>
          ))}
          <Box>
            <Text>Command: </Text>
            <TextField
              key="command"
              placeholder="pass show mail/work"
              onSubmit={(v) => void submitCommand(v)}
            />
          </Box>
        </Box>
      ) : null}

      {step === 'clientId' ? (
        <Box flexDirection="column">
          <Text>
            {oauthProvider?.name ?? 'This provider'} signs in with OAuth2, as an app you register
            yourself (docs/configuration.md says how, step by step).
          </Text>
          <Box>
            <Text>
              Client ID
              {oauthProvider?.requiresOAuth2 ? '' : ' (empty: use an app password instead)'}:{' '}
            </Text>
            <TextField key="clientId" onSubmit={submitClientId} />
          </Box>
        </Box>
      ) : null}

      {step === 'clientSecret' ? (
        <Box>
          <Text>Client secret: </Text>
          <TextField key="clientSecret" mask onSubmit={submitClientSecret} />
        </Box>
      ) : null}

      {step === 'signin' || (step === 'name' && tokens.current)
        ? lines.map((line, i) => <Text key={i}>{line}</Text>)
        : null}

      {step === 'name' ? (
        <Box>
          <Text>Account name: </Text>
          <TextField
            key="name"
            initial={suggestAccountName(draft.current.email, services.accountNames())}
            onSubmit={submitName}
          />
        </Box>
      ) : null}

      {step === 'displayName' ? (
        <Box>
          <Text>Your name, as shown in From (optional): </Text>
          <TextField key="display" onSubmit={(v) => void submitDisplayName(v)} />
        </Box>
      ) : null}

      {step === 'saving' ? <Text>Saving...</Text> : null}
      {step === 'done' ? (
        <Text color="green">
          Saved account {draft.current.name} in {savedFile}.
        </Text>
      ) : null}
      {step === 'done' && notice ? <Text>{notice}</Text> : null}

      {error ? <Text color="red">{error}</Text> : null}
      {step !== 'done' && step !== 'saving' && step !== 'searching' && step !== 'signin' ? (
        <Text dimColor>
          {step === 'store' || step === 'servers'
            ? 'Up/Down to choose, Enter to confirm, Esc to cancel'
            : step === 'trust'
              ? 'y to trust it, n to change the settings, Esc to cancel'
              : 'Enter to continue, Esc to cancel'}
        </Text>
      ) : null}
    </Box>
  );
}
