// Browser end-to-end test of protected mail from outside (issue 13): swaks delivers to the inbound
// listener an OpenPGP (PGP/MIME) message signed by a contact of the member's, an S/MIME message
// signed with a certificate no anchor vouches for, and one whose ciphertext has a flipped byte;
// the member opens each in the message view and reads the signature in plain words (valid,
// unknown signer, invalid with the content withheld) beside the gateway's SPF and DKIM results.
// Screens are photographed (desktop and 360 px) and checked with axe-core.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { enrolledMember, launchBrowser, screen, test } from './browser.mjs';
import { Server } from './harness.mjs';

const BOB = 'bob@example.org';
const ALICE = 'alice@partner.test';

let server;
let browser;
let dir;
let page;
let csrf;
const problems = []; // CSP violations and script errors

before(async () => {
  server = await new Server('\n[smtp.inbound]\nenabled = true\naddress = "127.0.0.1"\ntls = "optional"\n').start();
  browser = await launchBrowser();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-e2e-inbound-'));
  fs.mkdirSync(path.join(dir, 'gnupg'), { mode: 0o700 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(problems, []);
});

function run(cmd, args) {
  const r = spawnSync(cmd, args, {
    cwd: dir, encoding: 'utf8', timeout: 120000,
    env: { ...process.env, GNUPGHOME: path.join(dir, 'gnupg'), LC_ALL: 'C' },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const gpg = (...args) => run('gpg', ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
const crlf = (text) => text.replace(/\r\n/g, '\n').replace(/\n/g, '\r\n');
const inner = (marker) => `Content-Type: text/plain; charset=utf-8\r\n\r\nThe contract terms: ${marker}\r\n`;

// One base64 character in the middle of text[start, end) changed.
function flipMiddle(text, start, end) {
  let at = start + Math.floor((end - start) / 2);
  while ('\r\n=-'.includes(text[at])) at += 1;
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
}

function deliver(mail) {
  fs.writeFileSync(path.join(dir, 'outgoing.eml'), mail);
  const r = spawnSync('swaks', [
    '--server', '127.0.0.1', '--port', String(server.smtpPorts.inbound), '--helo', 'mx.partner.test',
    '--from', ALICE, '--to', BOB, '--data', '@' + path.join(dir, 'outgoing.eml'), '--timeout', '30',
  ], { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
}

function smimeMail(subject, marker) {
  fs.writeFileSync(path.join(dir, 'inner.txt'), inner(marker));
  run('openssl', ['cms', '-sign', '-in', 'inner.txt', '-signer', 'alice.pem', '-inkey', 'alice.key', '-nodetach',
                  '-md', 'sha256', '-binary', '-outform', 'SMIME', '-out', 'signed.eml']);
  run('openssl', ['cms', '-encrypt', '-in', 'signed.eml', '-aes-256-gcm', '-binary', '-from', ALICE, '-to', BOB,
                  '-subject', subject, '-outform', 'SMIME', '-out', 'smime.eml', 'bob-smime.pem']);
  return crlf(fs.readFileSync(path.join(dir, 'smime.eml'), 'utf8'));
}

async function open(subject) {
  await page.goto(server.base + '/mailbox/inbox');
  const item = page.getByRole('listitem').filter({ hasText: subject });
  await item.waitFor();
  await item.getByRole('link').click();
  await page.getByRole('heading', { name: subject }).waitFor();
  return page.getByTestId('signature');
}

test('bob enrols; alice (outside) has his keys, and he has her OpenPGP key as a contact', async () => {
  ({ page, csrf } = await enrolledMember(server, browser, problems, BOB, 'Bob Example'));
  const rq = page.context().request;
  for (const name of ['smime.pem', 'openpgp.asc']) {
    const r = await rq.get(`${server.base}/api/v1/account/keys/${name}`);
    assert.equal(r.status(), 200);
    fs.writeFileSync(path.join(dir, `bob-${name}`), await r.body());
  }
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key',
                  '-out', 'ca.pem', '-subj', '/CN=Partner Test CA', '-days', '30', '-addext',
                  'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'alice.key']);
  fs.writeFileSync(path.join(dir, 'alice.ext'),
                   '[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyAgreement\n' +
                   `extendedKeyUsage=emailProtection\nsubjectAltName=email:${ALICE}\n`);
  run('openssl', ['req', '-new', '-key', 'alice.key', '-subj', '/CN=Alice Partner', '-out', 'alice.csr']);
  run('openssl', ['x509', '-req', '-in', 'alice.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days',
                  '30', '-sha256', '-extfile', 'alice.ext', '-extensions', 'ext', '-out', 'alice.pem']);
  gpg('--quick-gen-key', `<${ALICE}>`, 'ed25519', 'cert,sign', 'never');
  const fpr = gpg('--with-colons', '--list-keys', `<${ALICE}>`).split('\n').find((l) => l.startsWith('fpr:')).split(':')[9];
  gpg('--quick-add-key', fpr, 'cv25519', 'encr', 'never');
  gpg('--import', 'bob-openpgp.asc');
  const r = await rq.post(`${server.base}/api/v1/contacts/keys?address=${ALICE}`, {
    headers: { ...csrf, 'Content-Type': 'application/pgp-keys' },
    data: Buffer.from(gpg('--armor', '--export', fpr)),
  });
  assert.equal(r.status(), 201, await r.text());
});

test('OpenPGP mail signed by a contact: decrypted, "signed … — valid", SPF and DKIM shown', async () => {
  fs.writeFileSync(path.join(dir, 'inner.txt'), inner('PGP-e2e-2b7f'));
  gpg('--yes', '--trust-model', 'always', '--armor', '--sign', '--encrypt', '-u', `<${ALICE}>`, '-r', BOB,
      '--output', 'msg.asc', 'inner.txt');
  deliver(`From: Alice Partner <${ALICE}>\r\nTo: ${BOB}\r\nSubject: Contract (OpenPGP)\r\nMIME-Version: 1.0\r\n` +
          'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="b1"\r\n\r\n' +
          '--b1\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n' +
          '--b1\r\nContent-Type: application/octet-stream; name="encrypted.asc"\r\n\r\n' +
          crlf(fs.readFileSync(path.join(dir, 'msg.asc'), 'utf8')) + '\r\n--b1--\r\n');
  const signature = await open('Contract (OpenPGP)');
  assert.match(await signature.textContent(), new RegExp(`Signed with OpenPGP by ${ALICE} — valid`));
  assert.match(await page.getByTestId('message-text').textContent(), /The contract terms: PGP-e2e-2b7f/);
  assert.match(await page.getByTestId('received').textContent(), /SPF pass .*DKIM none/);
  await screen(page, 'inbound-openpgp-valid');
});

test('S/MIME mail whose certificate no anchor vouches for: shown, signer unknown', async () => {
  deliver(smimeMail('Contract (S/MIME)', 'SMIME-e2e-91c0'));
  const signature = await open('Contract (S/MIME)');
  assert.match(await signature.textContent(), /Signed with S\/MIME by an unknown signer \(alice@partner\.test\)/);
  assert.match(await page.getByTestId('message-text').textContent(), /SMIME-e2e-91c0/);
  await screen(page, 'inbound-smime-unknown-signer');
});

test('a flipped byte in the ciphertext: signature invalid, content withheld', async () => {
  let mail = smimeMail('Tampered (S/MIME)', 'SMIME-e2e-tampered');
  mail = flipMiddle(mail, mail.indexOf('\r\n\r\n') + 4, mail.length);
  deliver(mail);
  const signature = await open('Tampered (S/MIME)');
  assert.match(await signature.textContent(), /S\/MIME signature invalid: content withheld/);
  assert.equal(await signature.getAttribute('role'), 'alert');
  assert.equal(await page.getByTestId('message-text').count(), 0);
  assert.equal(await page.getByText('SMIME-e2e-tampered').count(), 0);
  // The original stays downloadable (still encrypted), as evidence.
  await page.getByRole('link', { name: 'Download original.eml' }).waitFor();
  await screen(page, 'inbound-smime-invalid');
});
