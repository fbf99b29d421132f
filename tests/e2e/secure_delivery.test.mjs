// Browser end-to-end test of secure delivery (issue 12): Alice has imported a contact's S/MIME
// certificate (openssl-made CA) and another contact's OpenPGP key (gpg-made); partner.example is
// a TLS partner whose server does not answer. In Compose each address shows, as it is added, the
// method it will get; Alice sends one message to four recipients of four methods (a member,
// S/MIME, OpenPGP, enforced TLS) and sees in Sent how each one fares: in Bob's inbox, the two
// encrypted copies taken (read back from the .eml outbox by `openssl cms` and `gpg`), the TLS
// copy waiting for its partner, never sent in clear. Screens are photographed (desktop and
// 360 px) into test-artifacts/screenshots and checked with axe-core.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before } from 'node:test';
import { enrolledMember, launchBrowser, screen, test } from './browser.mjs';
import { Server } from './harness.mjs';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';
const CAROL = 'carol@smime.example';
const DAVE = 'dave@pgp.example';
const ERIN = 'erin@partner.example';
const SUBJECT = 'Quarterly statement';
const TEXT = 'The statement for the third quarter is attached in spirit.';

let server;
let browser;
let dir;
const problems = []; // CSP violations and script errors

// A loopback port nobody listens on: the partner's server is down.
async function closedPort() {
  const socket = net.createServer();
  await new Promise((resolve) => socket.listen(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: dir, ...options });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const gnupg = () => path.join(dir, 'gnupg');
const gpg = (...args) => run('gpg', ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '',
  '--trust-model', 'always', ...args], { env: { ...process.env, GNUPGHOME: gnupg(), LC_ALL: 'C' } });

before(async () => {
  server = await new Server(`
[[delivery.tls_partner]]
domain = "partner.example"
host = "127.0.0.1:${await closedPort()}"
`).start();
  browser = await launchBrowser();
  dir = fs.mkdtempSync(path.join(server.tmp, 'keys-'));
  fs.mkdirSync(gnupg(), { mode: 0o700 });
  // Carol: a P-256 certificate from her organisation's CA (which Sealpost does not know, so
  // Alice verifies the fingerprint with Carol).
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Smime Example CA', '-days', '30',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'carol.key']);
  fs.writeFileSync(path.join(dir, 'carol.ext'), '[ext]\nbasicConstraints=critical,CA:FALSE\n' +
    'keyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=emailProtection\n' +
    `subjectAltName=email:${CAROL}\n`);
  run('openssl', ['req', '-new', '-key', 'carol.key', '-subj', '/CN=Carol', '-out', 'carol.csr']);
  run('openssl', ['x509', '-req', '-in', 'carol.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', 'carol.ext', '-extensions', 'ext', '-out', 'carol.pem']);
  // Dave: an Ed25519/Cv25519 key made by GnuPG.
  gpg('--quick-gen-key', DAVE, 'ed25519', 'cert,sign', 'never');
  const fpr = String(gpg('--with-colons', '--list-keys', DAVE)).split('\n').find((l) => l.startsWith('fpr:')).split(':')[9];
  gpg('--quick-add-key', fpr, 'cv25519', 'encr', 'never');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const ok = async (res, status) => {
  assert.equal(res.status(), status, `${res.url()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
};
const member = (email, name) => enrolledMember(server, browser, problems, email, name);

let alice;
let bob;
let messageId;

test('members are enrolled and Alice imports her contacts\' keys', async () => {
  alice = await member(ALICE, 'Alice Adams');
  bob = await member(BOB, 'Bob Brown');
  const rq = alice.page.context().request;
  const api = server.base + '/api/v1';
  const cert = await ok(await rq.post(api + '/contacts/keys', {
    headers: { ...alice.csrf, 'Content-Type': 'application/x-pem-file' },
    data: fs.readFileSync(path.join(dir, 'carol.pem')),
  }), 201);
  await ok(await rq.post(`${api}/contacts/keys/${cert.id}/verify`,
    { headers: alice.csrf, data: { fingerprint: cert.fingerprint } }), 200);
  await ok(await rq.post(`${api}/contacts/keys?address=${encodeURIComponent(DAVE)}`, {
    headers: { ...alice.csrf, 'Content-Type': 'application/pgp-keys' },
    data: gpg('--export', DAVE),
  }), 201);
});

test('Compose shows each recipient\'s method as it is added', async () => {
  const page = alice.page;
  await page.goto(server.base + '/compose');
  await page.getByLabel('To').fill(`${BOB}, ${CAROL}, ${DAVE}, ${ERIN}, gina@guest.example,`);
  const hint = (address) => page.getByRole('list', { name: 'Recipients' }).locator('li')
    .filter({ hasText: address }).getByTestId('method-hint');
  await hint(BOB).getByText('Member').waitFor();
  await hint(CAROL).getByText('S/MIME').waitFor();
  await hint(DAVE).getByText('OpenPGP').waitFor();
  await hint(ERIN).getByText(/^TLS to /).waitFor();
  await hint('gina@guest.example').getByText(/Secure pickup/).waitFor();
  await page.getByLabel('Subject').fill(SUBJECT);
  await page.getByLabel('Message').fill(TEXT);
  await screen(page, 'compose-methods');

  // Pickup for everyone: every non-member's hint turns to pickup.
  await page.getByLabel('Secure pickup for everyone').check();
  await hint(CAROL).getByText(/Secure pickup/).waitFor();
  await hint(ERIN).getByText(/Secure pickup/).waitFor();
  await hint(BOB).getByText('Member').waitFor();
  await page.getByLabel('Secure pickup for everyone').uncheck();
  await hint(CAROL).getByText('S/MIME').waitFor();
  // The guest leaves: four recipients, four methods, no unlock code needed.
  await page.getByRole('button', { name: 'Remove gina@guest.example' }).click();
});

test('one message to four recipients of four methods', async () => {
  const page = alice.page;
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForURL(/\/messages\/\w+/);
  messageId = new URL(page.url()).pathname.split('/').pop();
  assert.equal(server.sql("SELECT DISTINCT message_id FROM secure_copies;"), messageId);
  assert.match(messageId, /\w{8}/);
  assert.equal(server.sql(`SELECT count(*) FROM secure_copies WHERE message_id = '${messageId}';`), '3');
});

test('Sent shows each recipient\'s method and state', async () => {
  const page = alice.page;
  await page.goto(`${server.base}/messages/${messageId}`);
  const row = (address) => page.getByTestId('recipient-status').filter({ hasText: address });
  await row(BOB).getByText('Sealpost member.').waitFor();
  // The encrypted copies leave within seconds (the .eml outbox stands in for the relay).
  for (let i = 0; i < 40; i++) {
    const left = Number(server.sql(`SELECT count(*) FROM secure_copies WHERE message_id = '${messageId}' AND state <> 1 AND recipient <> '${ERIN}';`));
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await page.reload();
  await row(CAROL).getByText(/Encrypted email \(S\/MIME\)/).waitFor();
  await row(CAROL).getByTestId('recipient-state').getByText('Delivered').waitFor();
  await row(DAVE).getByText(/Encrypted email \(OpenPGP\)/).waitFor();
  await row(DAVE).getByTestId('recipient-state').getByText('Delivered').waitFor();
  // The partner's server is down: the TLS copy waits, with the reason and the next try.
  await row(ERIN).getByText(/enforced TLS/).waitFor();
  await row(ERIN).getByTestId('recipient-state').getByText(/Retrying|Email not sent yet/).waitFor();
  await screen(page, 'sent-methods');
});

test('the copies are readable by their recipients\' own tools, and the TLS copy never left', async () => {
  const copyFile = (address) => {
    const id = server.sql(`SELECT id FROM secure_copies WHERE message_id = '${messageId}' AND recipient = '${address}';`);
    const name = fs.readdirSync(server.outboxDir).find((f) => f.endsWith(`-${id.slice(0, 12)}.eml`));
    assert.ok(name, `the copy to ${address} is in the outbox`);
    return path.join(server.outboxDir, name);
  };
  // What Carol and Dave know of Alice: her certificate's CA (the platform root) and her OpenPGP
  // key, both as Sealpost publishes them.
  const rq = alice.page.context().request;
  const root = await rq.get(server.base + '/api/v1/pki/root.pem');
  assert.equal(root.status(), 200);
  fs.writeFileSync(path.join(dir, 'root.pem'), await root.body());
  const key = await rq.get(server.base + '/api/v1/account/keys/openpgp.asc');
  assert.equal(key.status(), 200);
  fs.writeFileSync(path.join(dir, 'alice.asc'), await key.body());
  gpg('--import', 'alice.asc');
  // S/MIME: openssl decrypts with Carol's key, then verifies Alice's signature to the root.
  run('openssl', ['cms', '-decrypt', '-in', copyFile(CAROL), '-inkey', 'carol.key', '-recip', 'carol.pem',
    '-binary', '-out', 'carol.signed']);
  const inner = run('openssl', ['cms', '-verify', '-in', 'carol.signed', '-CAfile', 'root.pem', '-binary', '-out', '-']);
  assert.match(String(inner), new RegExp(SUBJECT));
  // OpenPGP: gpg decrypts with Dave's key and finds Alice's good signature.
  const mail = fs.readFileSync(copyFile(DAVE), 'utf8');
  const armored = mail.slice(mail.indexOf('-----BEGIN PGP MESSAGE-----'), mail.indexOf('-----END PGP MESSAGE-----') + 25);
  fs.writeFileSync(path.join(dir, 'dave.asc'), armored);
  const decrypted = spawnSync('gpg', ['--batch', '--no-tty', '--status-fd', '2', '--trust-model', 'always',
    '--decrypt', 'dave.asc'], { cwd: dir, env: { ...process.env, GNUPGHOME: gnupg(), LC_ALL: 'C' } });
  assert.equal(decrypted.status, 0, String(decrypted.stderr));
  assert.match(String(decrypted.stderr), /\[GNUPG:\] DECRYPTION_OKAY/);
  assert.match(String(decrypted.stderr), /\[GNUPG:\] GOODSIG /);
  assert.match(String(decrypted.stdout), new RegExp(TEXT));
  // Nothing in the outbox is addressed to the partner's domain in clear.
  for (const f of fs.readdirSync(server.outboxDir)) {
    const text = fs.readFileSync(path.join(server.outboxDir, f), 'utf8');
    assert.ok(!(text.includes(ERIN) && text.includes(TEXT)), `${f} carries the text to ${ERIN} in clear`);
  }
  assert.deepEqual(problems, [], problems.join(' / '));
});

test('Bob reads it in his inbox', async () => {
  await bob.page.goto(server.base + '/mailbox/inbox');
  await bob.page.getByText(SUBJECT).first().click();
  await bob.page.getByText(TEXT).waitFor();
});
