// What the browser suites share: steps that build on each other (after the first failure the
// rest are skipped, not timed out), Chromium, screenshots at desktop and 360 px width with the
// overflow and axe-core checks, and files to upload.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test as nodeTest } from 'node:test';
import { ARTIFACTS, Authenticator, CHROMIUM, PASSWORD, webRequire } from './harness.mjs';

const { chromium } = webRequire('playwright-core');
const axeSource = fs.readFileSync(webRequire.resolve('axe-core/axe.min.js'), 'utf8');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };
export const SHOTS = path.join(ARTIFACTS, 'screenshots');

let failed = null;
let current = '';

// The step now running, to say where a CSP violation or a leak happened.
export const currentStep = () => current;

export function test(name, fn) {
  nodeTest(name, async (t) => {
    current = name;
    if (failed) {
      t.skip(`an earlier step failed: ${failed}`);
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      failed = name;
      throw e;
    }
  });
}

export async function launchBrowser() {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });
}

// Screenshot at desktop and phone width, and an accessibility check of the screen as shown.
export async function screen(page, name) {
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: path.join(SHOTS, `${name}-360.png`), fullPage: true });
  // Nothing may stick out sideways on a phone.
  const overflow = await page.evaluate(() => {
    const extra = document.documentElement.scrollWidth - window.innerWidth;
    // Name the outermost elements that stick out, to say what to fix.
    const wide = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1 &&
                      el.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)
      .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
    return { extra, wide: wide.slice(0, 5) };
  });
  assert.ok(overflow.extra <= 0,
            `${name}: the page is ${overflow.extra}px wider than a 360 px screen: ${overflow.wide.join(', ')}`);
  await page.setViewportSize(DESKTOP);
  await axeCheck(page, name);
}

async function axeCheck(page, name) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern; the app itself
  // runs under the real, strict CSP.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`),
    [], `${name}: accessibility violations`);
}

// A file of `bytes` named `name` in `dir`, for a file picker.
export function tempFile(dir, name, bytes) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

// A page in its own browser context (the server's certificate is self-signed and accepted: the
// tests check the app, not PKI). CSP violations and script errors go into `problems`.
export async function newPage(browser, problems) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: DESKTOP });
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`${currentStep()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${currentStep()}: page error: ${e.message}`));
  return page;
}

// A member made through the API in a new page's browser context (which then holds the session
// cookie): sign-up, the confirmation link from the outbox, log-in, TOTP. Returns the page, on the
// inbox, and the session's CSRF header for API calls made from the test.
export async function enrolledMember(server, browser, problems, email, name) {
  const page = await newPage(browser, problems);
  const rq = page.context().request;
  const api = server.base + '/api/v1';
  const ok = async (res, status) => {
    assert.equal(res.status(), status, `${res.url()}: ${await res.text()}`);
    return res.status() === 204 ? null : res.json();
  };
  await ok(await rq.post(api + '/accounts', { data: { email, password: PASSWORD, display_name: name } }), 202);
  await ok(await rq.post(api + '/accounts/verify', { data: { token: server.outboxToken(email) } }), 200);
  const login = await ok(await rq.post(api + '/session', { data: { email, password: PASSWORD } }), 200);
  const csrf = { 'X-CSRF-Token': login.csrf_token };
  const { otpauth_uri } = await ok(await rq.post(api + '/account/totp', { headers: csrf }), 200);
  const auth = new Authenticator(new URL(otpauth_uri).searchParams.get('secret'));
  const session = await ok(await rq.post(api + '/account/totp/confirm',
    { headers: csrf, data: { code: await auth.next() } }), 200);
  await page.goto(server.base + '/mailbox/inbox');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  return { page, csrf: { 'X-CSRF-Token': session.csrf_token || login.csrf_token } };
}
