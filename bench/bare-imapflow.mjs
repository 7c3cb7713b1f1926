// The least any Node mail client can do: connect, log in, select, fetch the
// newest 50 envelopes. tmail's start-up is measured against this.
import { ImapFlow } from 'imapflow';

const [host, port, user, pass, folder = 'INBOX'] = process.argv.slice(2);
const client = new ImapFlow({
  host,
  port: Number(port),
  secure: false,
  doSTARTTLS: false,
  auth: { user, pass },
  logger: false,
});
await client.connect();
const mailbox = await client.mailboxOpen(folder);
const from = Math.max(1, mailbox.exists - 49);
let count = 0;
for await (const message of client.fetch(`${from}:*`, { uid: true, envelope: true, flags: true })) {
  if (message.envelope) count++;
}
await client.logout();
if (count === 0 && mailbox.exists > 0) process.exit(1);
