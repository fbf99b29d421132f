// Starts the real `sealpost serve` on a loopback port in a temporary directory (like
// tests/integration/harness.py) and gives the browser tests what a person would have: the mailed
// links (read from the .eml outbox), TOTP codes from the enrolment secret, and — for the tamper
// test — direct access to the stored data.
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
// The per-file upload limit the test server is configured with.
export const UPLOAD_LIMIT_MIB = 64;
// playwright-core and axe-core are dev dependencies of web/ (one lockfile for the UI and its tests).
export const webRequire = createRequire(path.join(repoRoot, 'web', 'package.json'));

export const BINARY = process.env.SEALPOST_BINARY || path.join(repoRoot, 'build', 'src', 'cmd', 'sealpost');
export const WEB_DIST = process.env.SEALPOST_WEB_DIST || path.join(repoRoot, 'web', 'dist');
export const ARTIFACTS = process.env.SEALPOST_TEST_ARTIFACTS || path.join(repoRoot, 'test-artifacts');
export const CHROMIUM = process.env.SEALPOST_CHROMIUM || '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery staple';

// Every SMTP listener on an ephemeral port (servers of parallel tests never collide) unless the
// test's own [smtp.<name>] table sets one; Server.smtpPorts maps listener name -> bound port.
function withEphemeralSmtpPorts(extraConfig) {
  let out = extraConfig;
  for (const name of ['submission', 'submissions', 'relay', 'inbound']) {
    const header = `[smtp.${name}]`;
    const at = out.indexOf(header);
    if (at < 0) {
      out += `\n${header}\nport = 0\n`;
      continue;
    }
    const end = out.indexOf('\n[', at + header.length);
    const body = out.slice(at + header.length, end < 0 ? out.length : end);
    if (!/^\s*port\s*=/m.test(body)) {
      out = out.slice(0, at + header.length) + '\nport = 0' + out.slice(at + header.length);
    }
  }
  return out;
}

export class Server {
  // extraConfig: more TOML, e.g. a [mail] relay (Relay.config()).
  constructor(extraConfig = '') {
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-e2e-'));
    this.dataDir = path.join(this.tmp, 'data');
    // The server's default: the .eml outbox lives beside the data directory, never in it.
    this.outboxDir = path.join(this.tmp, 'sealpost-outbox');
    this.configPath = path.join(this.tmp, 'sealpost.toml');
    // OWASP's minimum for argon2id keeps the tests fast; production defaults are higher.
    fs.writeFileSync(this.configPath, `
[server]
data_dir = "${this.dataDir}"

[http]
port = 0
static_dir = "${WEB_DIST}"

[auth]
argon2_ops = 2
argon2_memory_bytes = 19922944

[limits]
# Not the default (100 MiB): the UI must show and check what this server reports.
max_upload_bytes = ${UPLOAD_LIMIT_MIB * 1024 * 1024}
${withEphemeralSmtpPorts(extraConfig)}`);
  }

  async start() {
    if (!fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error(`the web UI is not built (${WEB_DIST}): run \`make web\``);
    }
    this.outPath = path.join(this.tmp, 'server.out');
    this.logPath = path.join(this.tmp, 'server.log');
    const out = fs.openSync(this.outPath, 'w');
    const log = fs.openSync(this.logPath, 'w');
    this.proc = spawn(BINARY, ['serve', '--config', this.configPath], { stdio: ['ignore', out, log] });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 30000;
    let text = '';
    while (Date.now() < deadline) {
      text = fs.readFileSync(this.outPath, 'utf8');
      if (text.includes('Outgoing mail:')) break;
      if (this.proc.exitCode !== null) throw new Error('server exited: ' + fs.readFileSync(this.logPath, 'utf8'));
      await new Promise((r) => setTimeout(r, 50));
    }
    const m = /^listening on [\d.]+:(\d+)/m.exec(text);
    if (!m) throw new Error('server did not start: ' + fs.readFileSync(this.logPath, 'utf8'));
    this.port = Number(m[1]);
    this.base = `https://127.0.0.1:${this.port}`;
    this.smtpPorts = Object.fromEntries(
      [...text.matchAll(/^SMTP (\w+) listening on [\d.]+:(\d+)/gm)].map((x) => [x[1], Number(x[2])]),
    );
    const setup = /setup#token=([A-Za-z0-9_-]+)/.exec(text);
    this.bootstrapToken = setup ? setup[1] : null;
    return this;
  }

  // Stops with SIGTERM; a crash, a hang or a non-zero exit fails the test run.
  async stop() {
    if (!this.proc) return;
    if (this.proc.exitCode === null) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30000);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    const log = fs.readFileSync(this.logPath, 'utf8');
    this.proc = null;
    fs.rmSync(this.tmp, { recursive: true, force: true });
    if (code !== 0) throw new Error(`sealpost serve exited with ${code ?? signal}:\n${log.slice(-5000)}`);
  }

  // The newest confirmation link token mailed to `address`.
  outboxToken(address) {
    return this.outboxMatch(address, /verify#token=([A-Za-z0-9_-]+)/)[1];
  }

  // Mail leaves through the server's durable queue (a delivery thread, about once a second):
  // waits until every mail queued so far has been written to the outbox.
  waitForMailQueue(timeoutMs = 20000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = Number(this.sql('SELECT count(*) FROM outbound_mail;'));
      if (left === 0) return;
      if (Date.now() > deadline) throw new Error(`${left} mail(s) still queued after ${timeoutMs} ms`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }

  // The first match of `re` in the newest mail to `address` that has one.
  outboxMatch(address, re) {
    this.waitForMailQueue();
    const dir = this.outboxDir;
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().reverse();
    for (const f of files) {
      const text = undoQuotedPrintable(fs.readFileSync(path.join(dir, f), 'utf8'));
      if (!new RegExp(`^To: ${address.replace(/[.]/g, '\\.')}\\s*$`, 'mi').test(text)) continue;
      const m = re.exec(text);
      if (m) return m;
    }
    throw new Error(`no mail to ${address} matching ${re}`);
  }

  // Runs SQL on the live database with the sqlite3 CLI, as someone with file access could.
  sql(statement) {
    const r = spawnSync('sqlite3', ['-cmd', '.timeout 30000', path.join(this.dataDir, 'sealpost.db'), statement],
                        { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  // Flips one bit in the middle of a BLOB column of one row.
  flipByte(table, column, where) {
    const hex = this.sql(`SELECT hex(${column}) FROM ${table} WHERE ${where};`);
    if (!hex) throw new Error(`no ${table}.${column} where ${where}`);
    const bytes = Buffer.from(hex, 'hex');
    bytes[bytes.length >> 1] ^= 0x01;
    this.sql(`UPDATE ${table} SET ${column} = X'${bytes.toString('hex')}' WHERE ${where};`);
  }
}

// A private Postfix on loopback (tests/postfix/postfix.sh, as tests/integration/postfix_relay.py
// uses it) that the server relays to; what it delivers lands in Maildirs under dir/mail.
export class Relay {
  start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealpost-postfix-'));
    fs.chmodSync(this.dir, 0o755); // Postfix's daemons run as the postfix user
    this.port = freePort();
    const r = spawnSync('bash', [path.join(repoRoot, 'tests', 'postfix', 'postfix.sh'), 'start', this.dir, String(this.port)],
                        { encoding: 'utf8', timeout: 600000 });
    if (r.status !== 0) throw new Error('cannot start Postfix: ' + r.stdout + r.stderr);
    return this;
  }

  // The server's [mail] section (quick retries, as relay_config in postfix_relay.py).
  config() {
    return `
[mail]
relay = "localhost:${this.port}"
relay_tls = "required"
relay_ca_file = "${this.dir}/tls/cert.pem"
from = "Sealpost <no-reply@example.org>"
retry_first_seconds = 1
retry_max_seconds = 1
give_up_after_seconds = 3
`;
  }

  // The texts (headers and decoded bodies) delivered to address, in delivery order.
  texts(address) {
    const [user, domain] = address.split('@');
    const dir = path.join(this.dir, 'mail', domain, user, 'new');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).sort(byDeliveryTime)
      .map((f) => undoQuotedPrintable(fs.readFileSync(path.join(dir, f), 'utf8')));
  }

  // The first match of `re` in mail number `count` (1-based) to address among those that match;
  // Postfix delivers after its 250, so this waits for it.
  async waitFor(address, re, count = 1, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.texts(address).map((t) => re.exec(t)).filter(Boolean);
      if (found.length >= count) return found[count - 1];
      if (Date.now() > deadline) throw new Error(`${found.length} of ${count} mail(s) matching ${re} for ${address}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop() {
    if (!this.dir) return;
    spawnSync('bash', [path.join(repoRoot, 'tests', 'postfix', 'postfix.sh'), 'stop', this.dir], { timeout: 60000 });
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

// Bodies are quoted-printable: undo soft line breaks and =XX escapes (enough for ASCII links).
function undoQuotedPrintable(text) {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

// Postfix Maildir names are "<seconds>.V<dev>I<inode>M<microseconds>.<host>": a plain sort orders
// mails of the same second by inode, not by delivery.
function byDeliveryTime(a, b) {
  const key = (name) => {
    const m = /^(\d+)\.[^M]*M(\d+)/.exec(name);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  const [ka, kb] = [key(a), key(b)];
  return ka[0] - kb[0] || ka[1] - kb[1] || (a < b ? -1 : a > b ? 1 : 0);
}

function freePort() {
  // The same as postfix_relay.free_port: bind port 0, take the number, close.
  const r = spawnSync(process.execPath, ['-e', `const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();})`],
                      { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

// RFC 6238 with HMAC-SHA1, written from the RFC (independent of the server's implementation).
export function totp(secretBase32, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error('bad base32');
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const value = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(value % 1_000_000).padStart(6, '0');
}

export const currentStep = () => Math.floor(Date.now() / 1000 / 30);

// A member's authenticator: hands out codes the server has not seen yet (steps only move forward,
// the server refuses a replayed step and accepts one step of clock drift).
export class Authenticator {
  constructor(secret) {
    this.secret = secret;
    this.usedStep = -1;
  }

  async next() {
    let step = Math.max(this.usedStep + 1, currentStep());
    while (step > currentStep() + 1) await new Promise((r) => setTimeout(r, 500));
    this.usedStep = step;
    return totp(this.secret, step);
  }
}
