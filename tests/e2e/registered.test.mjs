// Browser end-to-end test of registered mail (issue 14): Alice writes a registered message from
// the Compose screen to Bob (a member) and to a guest; both first see only the notice (sender,
// registered, deadline) with Accept and Refuse; Bob accepts and reads it; the guest unlocks in
// the pickup portal and refuses; Alice sees both signed receipts in her Sent view. Mail comes
// from the server's .eml outbox. Screens are photographed (desktop and 360 px) into
// test-artifacts/screenshots and checked with axe-core.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { enrolledMember, launchBrowser, newPage as newPageOf, screen, test } from './browser.mjs';
import { Server } from './harness.mjs';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const GUEST = 'gina@example.net';
const GUEST_MUC = 'orchard-gate-58';
const SUBJECT = 'Notice of termination';

let server;
let browser;
const problems = []; // CSP violations and script errors

before(async () => {
  server = await new Server().start();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const newPage = () => newPageOf(browser, problems);
const member = async (email, name) => (await enrolledMember(server, browser, problems, email, name)).page;

let alice;
let bob;
let guest;
let messageId;

test('members are enrolled', async () => {
  alice = await member(ALICE, 'Alice Adams');
  bob = await member(BOB, 'Bob Brown');
});

test('compose a registered message to a member and a guest', async () => {
  await alice.goto(server.base + '/compose');
  await alice.getByLabel('To').fill(`${BOB}, ${GUEST},`);
  await alice.getByLabel('Subject').fill(SUBJECT);
  await alice.getByLabel('Message').fill('We terminate the contract as of the end of the month.');
  await alice.getByLabel('Registered: recipients must accept it first').check();
  await alice.getByLabel('Days to accept').fill('5');
  await screen(alice, 'compose-registered');
  await alice.getByRole('button', { name: 'Send sealed message' }).click();
  const panel = alice.getByRole('group', { name: `Unlock code for ${GUEST}` });
  await panel.waitFor();
  await panel.getByLabel('I will type a code').check();
  await panel.getByLabel(`Code for ${GUEST}`).fill(GUEST_MUC);
  await alice.getByRole('button', { name: 'Send with these unlock codes' }).click();
  await alice.getByRole('heading', { name: SUBJECT }).waitFor();
  messageId = new URL(alice.url()).pathname.split('/').pop();
});

test('the member sees only the notice, then accepts and reads', async () => {
  await bob.goto(server.base + '/mailbox/inbox');
  await bob.getByText('Registered mail (accept to open)').waitFor();
  assert.equal(await bob.getByText(SUBJECT).count(), 0, 'no subject in the inbox before acceptance');
  await bob.getByText('Registered mail (accept to open)').click();
  await bob.getByRole('heading', { name: 'Registered mail', exact: true }).waitFor();
  await bob.getByRole('heading', { name: 'Registered mail from Alice Adams <alice@example.org>' }).waitFor();
  assert.equal(await bob.getByTestId('message-text').count(), 0, 'no text before acceptance');
  assert.equal(await bob.getByText(SUBJECT).count(), 0);
  await screen(bob, 'message-registered');
  await bob.getByRole('button', { name: 'Accept and open' }).click();
  await bob.getByRole('heading', { name: SUBJECT }).waitFor();
  assert.match(await bob.getByTestId('message-text').textContent(), /We terminate the contract/);
  await bob.getByText('Registered mail — you accepted it.').waitFor();
  await screen(bob, 'message-registered-accepted');
});

test('the guest unlocks, sees only the notice, and refuses', async () => {
  const link = server.outboxMatch(GUEST, /\/pickup#([A-Za-z0-9_-]{43})/)[1];
  const mail = server.outboxMatch(GUEST, /\/pickup#/).input;
  assert.ok(!mail.includes(SUBJECT), 'the notification does not name the subject');
  guest = await newPage();
  await guest.goto(`${server.base}/pickup#${link}`);
  await guest.getByLabel('Message Unlock Code').fill(GUEST_MUC);
  await guest.getByRole('button', { name: 'Open the message' }).click();
  await guest.getByRole('heading', { name: 'Registered mail', exact: true }).waitFor();
  assert.equal(await guest.getByTestId('message-text').count(), 0, 'no text before acceptance');
  assert.equal(await guest.getByText(SUBJECT).count(), 0);
  await screen(guest, 'pickup-registered');
  await guest.getByRole('button', { name: 'Refuse' }).click();
  await guest.getByText('You refused this message. Its content is not shown.').waitFor();
  assert.equal(await guest.getByText(SUBJECT).count(), 0);
  await screen(guest, 'pickup-registered-refused');
});

test('the sender sees both receipts in Sent', async () => {
  const accepted = alice.getByText('Receipt: accepted (registered)');
  const refused = alice.getByText('Receipt: refused (registered)');
  // Receipts follow each event within a second or two: reload until both are listed.
  const deadline = Date.now() + 30000;
  for (;;) {
    await alice.goto(`${server.base}/messages/${messageId}`);
    await alice.getByRole('heading', { name: SUBJECT }).waitFor();
    await alice.waitForLoadState('networkidle');
    if ((await accepted.count()) === 1 && (await refused.count()) === 1) break;
    assert.ok(Date.now() < deadline, 'both receipts within 30 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  const href = await accepted.getAttribute('href');
  const res = await alice.context().request.get(server.base + href);
  assert.equal(res.status(), 200);
  assert.ok(res.headers()['content-type'].startsWith('application/pkcs7-mime'));
  assert.ok((await res.body()).includes(Buffer.from(`recipient: ${BOB}`)));
  await screen(alice, 'sent-registered-receipts');
});

test('no CSP violation or script error', () => {
  assert.deepEqual(problems, []);
});
