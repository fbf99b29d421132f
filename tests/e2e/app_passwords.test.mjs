// Browser end-to-end test of app passwords for mail programs (issue 13): a member creates one in
// Settings, sees it once in a dialog with a copy button and the mail-program settings, finds it
// listed (name, created, never used) without the password, and revokes it after a confirmation
// (cancelling first keeps it). The store holds only its lookup, and the revoked row no wrapped
// key. Screens are photographed (desktop and 360 px) into test-artifacts/screenshots and checked
// with axe-core. With the password, swaks (a real mail program) sends over the submission port;
// the message is in the member's Sent folder and inbox, sealed; revoked, swaks is refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { enrolledMember, launchBrowser, screen, test } from './browser.mjs';
import { Server } from './harness.mjs';

const ANN = 'ann@example.org';
const PATTERN = /^[a-z2-7]{4}(-[a-z2-7]{4}){7}$/;

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

let page;
let section;
let password;

// swaks over STARTTLS on the submission port, as ann with `secret`; its exit status and output.
function swaks(secret, subject) {
  const run = spawnSync('swaks', [
    '--server', '127.0.0.1', '--port', String(server.smtpPorts.submission), '--tls',
    '--auth', 'PLAIN', '--auth-user', ANN, '--auth-password', secret,
    '--from', ANN, '--to', ANN, '--header', `Subject: ${subject}`, '--body', 'Sent by swaks.',
    '--timeout', '30',
  ], { encoding: 'utf8', timeout: 120000 });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

test('a member opens Settings and has no app passwords yet', async () => {
  ({ page } = await enrolledMember(server, browser, problems, ANN, 'Ann Archer'));
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
  await page.getByRole('link', { name: 'Settings' }).click();
  section = page.getByTestId('app-passwords');
  await section.getByRole('heading', { name: 'App passwords' }).waitFor();
  await section.getByText('You have no app passwords.').waitFor();
});

test('an empty name is refused; a named one is shown once with the mail-program settings', async () => {
  await section.getByRole('button', { name: 'Create app password' }).click();
  await section.getByRole('alert').filter({ hasText: /Give the app password a name/ }).waitFor();
  await section.getByLabel('Name', { exact: true }).fill('Thunderbird on the laptop');
  await section.getByRole('button', { name: 'Create app password' }).click();
  const dialog = page.getByTestId('app-password-dialog');
  await dialog.getByRole('heading', { name: 'App password for Thunderbird on the laptop' }).waitFor();
  password = (await dialog.getByTestId('app-password-secret').textContent()).trim();
  assert.match(password, PATTERN);
  const settings = await dialog.getByTestId('mail-settings').textContent();
  assert.match(settings, /Outgoing server \(SMTP\)/);
  assert.match(settings, new RegExp(ANN.replace('.', '\\.')));
  await dialog.getByRole('button', { name: 'Copy password' }).click();
  await dialog.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), password);
  await screen(page, 'settings-app-password');
  await dialog.getByRole('button', { name: 'Done' }).click();
  await dialog.waitFor({ state: 'detached' });
});

test('it is listed without the password, and the store keeps only its lookup', async () => {
  const item = section.getByRole('listitem').filter({ hasText: 'Thunderbird on the laptop' });
  await item.waitFor();
  assert.match(await item.textContent(), /created .* never used/);
  assert.equal(await page.getByText(password).count(), 0, 'the password is shown only once');
  const listed = await page.evaluate(async () => (await fetch('/api/v1/account/app-passwords')).text());
  assert.ok(!listed.includes(password));
  assert.equal(server.sql('SELECT count(*) FROM app_passwords WHERE revoked_ms IS NULL;').trim(), '1');
  const lookup = server.sql('SELECT lookup FROM app_passwords;').trim();
  assert.match(lookup, /^[0-9a-f]{64}$/);
  assert.ok(!lookup.includes(password.replaceAll('-', '')));
  await screen(page, 'settings-app-passwords');
});

test('a mail program sends with it: the message is in Sent and in the inbox, sealed', async () => {
  const sent = swaks(password, 'Sent from a mail program');
  assert.equal(sent.status, 0, sent.out);
  assert.match(sent.out, /250 2\.0\.0 Sent securely as/);
  await page.getByRole('link', { name: 'Sent', exact: true }).click();
  const item = page.getByRole('listitem').filter({ hasText: 'Sent from a mail program' });
  await item.waitFor();
  assert.match(await item.textContent(), /Sealed/);
  await page.getByRole('link', { name: 'Inbox', exact: true }).click();
  await page.getByRole('listitem').filter({ hasText: 'Sent from a mail program' }).waitFor();
  await page.getByRole('link', { name: 'Settings' }).click();
  section = page.getByTestId('app-passwords');
  const used = section.getByRole('listitem').filter({ hasText: 'Thunderbird on the laptop' });
  await used.waitFor();
  assert.doesNotMatch(await used.textContent(), /never used/);
});

test('revoking asks first; cancelled it stays, confirmed it is gone', async () => {
  const revoke = section.getByRole('button', { name: 'Revoke the app password Thunderbird on the laptop' });
  page.once('dialog', (d) => d.dismiss());
  await revoke.click();
  await page.waitForLoadState('networkidle');
  assert.equal(await revoke.count(), 1);
  page.once('dialog', (d) => {
    assert.match(d.message(), /Revoke the app password Thunderbird on the laptop\?/);
    d.accept();
  });
  await revoke.click();
  await section.getByText('You have no app passwords.').waitFor();
  assert.equal(server.sql('SELECT count(*) FROM app_passwords WHERE revoked_ms IS NOT NULL '
                          + 'AND length(wrapped_umk) = 0;').trim(), '1');
});

test('revoked, the mail program is refused and nothing is sent', () => {
  const refused = swaks(password, 'After revocation');
  assert.notEqual(refused.status, 0, refused.out);
  assert.match(refused.out, /535 5\.7\.8/);
  assert.equal(server.sql("SELECT count(*) FROM messages;").trim(), '1');
});

test('no CSP violation or script error', () => {
  assert.deepEqual(problems, []);
});
