"""Starts a real `sealpost serve` on loopback in a temporary directory and talks to it over HTTPS
as a client would. Standard library only, so the TOTP and HTTP code here are independent of the
server's own implementations."""

import base64
import email
import glob
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import ssl
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import warnings

# Tests open many short-lived client connections; closing each one is not what they check.
warnings.simplefilter("ignore", ResourceWarning)

BINARY = os.environ.get("SEALPOST_BINARY", "build/src/cmd/sealpost")
# SEALPOST_TEST_STORE=postgres runs every server on PostgreSQL: a fresh database per Server in the
# throw-away cluster of tests/postgres/pg.sh, whose directory is SEALPOST_TEST_PG_DIR (CTest's
# `postgres` fixture starts it). Unset or "sqlite": the embedded default.
STORE = os.environ.get("SEALPOST_TEST_STORE", "sqlite")
PG_DIR = os.environ.get("SEALPOST_TEST_PG_DIR", "")
PASSWORD = "correct horse battery staple"

CONFIG = """
[server]
data_dir = "{data_dir}"

[http]
port = 0
static_dir = "{static_dir}"
header_timeout_seconds = {header_timeout}

[auth]
# OWASP's minimum for argon2id keeps the tests fast; production defaults are higher.
argon2_ops = 2
argon2_memory_bytes = 19922944
{extra_auth}

[log]
sequence_delay_ms = 200
"""

SMTP_LISTENERS = ("submission", "submissions", "relay", "inbound")


def with_ephemeral_smtp_ports(extra_config):
    """Puts every SMTP listener on an ephemeral port (so that servers running in parallel never
    collide) unless the test's own [smtp.<name>] table sets a port; Server.smtp_ports maps
    listener name -> bound port, read from serve's "SMTP <name> listening on" lines."""
    out = extra_config
    for name in SMTP_LISTENERS:
        header = f"[smtp.{name}]"
        at = out.find(header)
        if at < 0:
            out += f"\n{header}\nport = 0\n"
            continue
        body_end = out.find("\n[", at + len(header))
        body = out[at + len(header):body_end if body_end >= 0 else len(out)]
        if not re.search(r"^\s*port\s*=", body, re.M):
            cut = at + len(header)
            out = out[:cut] + "\nport = 0" + out[cut:]
    return out


def parse_leaf(leaf):
    """A transparency-log leaf (docs/formats/log-entry.md), decoded independently of the server:
    a dict with kind, time_ms, type, actor, subject, details and, for legacy chain entries, seq,
    prev_hash and hash. Raises ValueError for anything but the exact layout."""
    leaf = bytes(leaf)
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(leaf):
            raise ValueError("truncated leaf")
        out = leaf[pos:pos + n]
        pos += n
        return out

    def u64():
        return int.from_bytes(take(8), "big")

    def field():
        return take(int.from_bytes(take(4), "big")).decode("utf-8")

    if take(1) != b"\x01":
        raise ValueError("unknown leaf version")
    kind = take(1)[0]
    if kind not in (1, 2):
        raise ValueError("unknown leaf kind")
    e = {"kind": "event" if kind == 1 else "legacy"}
    if kind == 2:
        e["seq"] = u64()
    e["time_ms"] = u64()
    for name in ("type", "actor", "subject", "details"):
        e[name] = field()
    if kind == 2:
        e["prev_hash"], e["hash"] = take(32), take(32)
    if pos != len(leaf):
        raise ValueError("trailing bytes")
    return e


def encode_leaf(e):
    """The inverse of parse_leaf: the leaf bytes of an event (kind "event")."""
    def field(text):
        b = text.encode("utf-8")
        return len(b).to_bytes(4, "big") + b
    return (b"\x01\x01" + e["time_ms"].to_bytes(8, "big") + field(e["type"]) +
            field(e["actor"]) + field(e["subject"]) + field(e["details"]))


def audit_events(db):
    """Every audited event in the database, oldest first: the sequenced log entries, then the
    events still pending (recorded, not yet sequenced). One statement, so one snapshot: read
    apart, a batch the sequencer moves from pending to entries in between would be missed."""
    rows = list(db.execute(
        "SELECT leaf FROM (SELECT 0 AS part, idx AS pos, leaf FROM log_entries"
        " UNION ALL SELECT 1 AS part, id AS pos, leaf FROM log_pending) AS events"
        " ORDER BY part, pos"))
    return [parse_leaf(leaf) for (leaf,) in rows]


def totp(secret_b32, step, digits=6):
    """RFC 6238 with HMAC-SHA1, written from the RFC."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def pg_admin_url():
    if not PG_DIR:
        raise RuntimeError("SEALPOST_TEST_STORE=postgres needs SEALPOST_TEST_PG_DIR "
                           "(a cluster started by tests/postgres/pg.sh)")
    with open(os.path.join(PG_DIR, "url")) as f:
        return f.read().strip()


def pg_url_for(admin_url, db_name):
    head, _, rest = admin_url.partition("://")
    authority, _, path = rest.partition("/")
    query = path.partition("?")[2]
    return f"{head}://{authority}/{db_name}" + (f"?{query}" if query else "")


def psql(url, sql):
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
                        "-R", "\x1e", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr}")
    return r.stdout


class PgCursor:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class PgDb:
    """The slice of sqlite3's interface the tests use (execute with ? parameters, fetchone,
    fetchall, iteration, commit, close), over psql: the tests reach into PostgreSQL as an operator
    (or attacker) with database access would. Each statement commits on its own. Values come back
    as int for integer-looking text, bool for t/f, bytes for bytea (\\x…), else str."""

    def __init__(self, url):
        self.url = url

    @staticmethod
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, (bytes, bytearray)):
            return "'\\x" + bytes(v).hex() + "'::bytea"
        return "'" + str(v).replace("'", "''") + "'"

    @staticmethod
    def value(text):
        if text in ("t", "f"):  # boolean columns (SQLite stores them as 0/1)
            return text == "t"
        if re.fullmatch(r"-?\d{1,18}", text):
            return int(text)
        if text.startswith("\\x") and re.fullmatch(r"(?:[0-9a-f]{2})*", text[2:]):
            return bytes.fromhex(text[2:])
        return text

    def execute(self, sql, params=()):
        parts = sql.split("?")
        if len(parts) - 1 != len(params):
            raise ValueError("parameter count does not match")
        text = parts[0] + "".join(self.literal(p) + rest for p, rest in zip(params, parts[1:]))
        out = psql(self.url, text).rstrip("\n")  # psql ends its output with a newline
        rows = [tuple(self.value(v) for v in rec.split("\x1f"))
                for rec in out.split("\x1e") if rec.strip("\n")]
        return PgCursor(rows)

    def commit(self):
        pass

    def close(self):
        pass

    def __enter__(self):  # like sqlite3: `with db:` is a transaction scope, not a close
        return self

    def __exit__(self, *exc):
        return False


_pg_databases = 0


def current_step():
    return int(time.time()) // 30



def plain_text(msg):
    """The decoded text/plain part of an email.message.Message (quoted-printable, multipart)."""
    part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), msg)
    return part.get_payload(decode=True).decode()

class Server:
    def __init__(self, header_timeout=10, extra_auth="", data_dir=None, extra_config="",
                 share=None, store=None, store_url=None, file_size_limit=None):
        """`share`: another Server whose data directory (master key, TLS certificate), outbox
        and store this one uses too — a second `sealpost serve` process of one installation.
        `file_size_limit`: bytes no file the server writes may grow past (RLIMIT_FSIZE, with
        SIGXFSZ ignored so that such a write fails with EFBIG): a full disk, for one process."""
        self.file_size_limit = file_size_limit
        self.tmp = tempfile.mkdtemp(prefix="sealpost-it-")
        self.data_dir = share.data_dir if share else data_dir or os.path.join(self.tmp, "data")
        # The server's default: the .eml outbox lives beside the data directory, never in it.
        self.outbox_dir = os.path.join(os.path.dirname(os.path.normpath(self.data_dir)),
                                       "sealpost-outbox")
        self.static_dir = os.path.join(self.tmp, "static")
        os.makedirs(self.static_dir)
        with open(os.path.join(self.static_dir, "index.html"), "w") as f:
            f.write("<!doctype html><title>Sealpost test UI</title>")
        self.config_path = os.path.join(self.tmp, "sealpost.toml")
        with open(self.config_path, "w") as f:
            f.write(CONFIG.format(data_dir=self.data_dir, static_dir=self.static_dir,
                                  header_timeout=header_timeout, extra_auth=extra_auth)
                    + with_ephemeral_smtp_ports(extra_config))
        self.store_url = ""
        self.owns_database = False
        store = store or STORE
        if share or store_url:
            self.store_url = share.store_url if share else store_url
            if self.store_url:
                with open(self.config_path, "a") as f:
                    f.write(f'\n[store]\nurl = "{self.store_url}"\n')
        elif store == "postgres":
            self.owns_database = True
            global _pg_databases
            _pg_databases += 1
            self.pg_db = f"sp_it_{os.getpid()}_{_pg_databases}"
            admin = pg_admin_url()
            psql(admin, f"CREATE DATABASE {self.pg_db}")
            self.store_url = pg_url_for(admin, self.pg_db)
            with open(self.config_path, "a") as f:
                f.write(f'\n[store]\nurl = "{self.store_url}"\n')
        elif store != "sqlite":
            raise RuntimeError(f"SEALPOST_TEST_STORE must be sqlite or postgres, not {store}")
        self.proc = None
        self.port = None
        self.bootstrap_token = None

    def start(self):
        # Both streams go to files: a pipe nobody drains would eventually block the server.
        self.out = open(os.path.join(self.tmp, "server.out"), "w+")
        self.log = open(os.path.join(self.tmp, "server.log"), "w+")
        self.proc = subprocess.Popen([BINARY, "serve", "--config", self.config_path],
                                     stdout=self.out, stderr=self.log, text=True,
                                     preexec_fn=self.limit_file_size if self.file_size_limit
                                     else None)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(self.out.name) as f:
                text = f.read()
            if "Outgoing mail:" in text:
                break
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.read_log())
            time.sleep(0.05)
        else:
            raise RuntimeError("server did not start: " + self.read_log())
        self.port = int(re.search(r"^listening on [\d.]+:(\d+)", text, re.M).group(1))
        self.smtp_ports = {m.group(1): int(m.group(2)) for m in
                           re.finditer(r"^SMTP (\w+) listening on [\d.]+:(\d+)", text, re.M)}
        m = re.search(r"setup#token=([A-Za-z0-9_-]+)", text)
        self.bootstrap_token = m.group(1) if m else None
        self.ctx = ssl.create_default_context(
            cafile=os.path.join(self.data_dir, "tls", "certificate.pem"))
        return self

    def limit_file_size(self):
        """Runs in the server's process before it starts (see `file_size_limit`)."""
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.file_size_limit, hard))

    def read_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        """Stops the server with SIGTERM and fails if it did not exit cleanly: a crash, a hang or
        a sanitizer report (ASan/UBSan/LSan print to stderr and exit non-zero) is a failure."""
        if not self.proc:
            return
        code = self.proc.poll()
        if code is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                code = "hung on SIGTERM"
        self.out.close()
        log = self.read_log()
        self.log.close()
        self.proc = None
        if code != 0:
            raise AssertionError(f"sealpost serve exited with {code}:\n{log[-5000:]}")

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.owns_database:
                psql(pg_admin_url(), f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")

    def connect(self, source=None):
        """`source`: the loopback address to connect from (e.g. "127.0.0.2"), to be another
        client address to the server."""
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=60,
                                           source_address=(source, 0) if source else None)

    def client(self, source=None):
        return Client(self, source)

    def wait_for_mail_queue(self, timeout=20):
        """Waits until the outbound queue is empty: every mail queued by the requests made so far
        has been handed to the mailer (written to the outbox, or to the relay)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.db() as db:
                left = db.execute("SELECT count(*) FROM outbound_mail").fetchone()[0]
            if left == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{left} mail(s) still queued after {timeout} s")
            time.sleep(0.05)

    def wait_for_log(self, timeout=20):
        """Waits until no audit event is pending: everything recorded so far has its log index
        and is covered by a signed checkpoint (the sequencer runs every 200 ms in the tests)."""
        deadline = time.monotonic() + timeout
        while True:
            db = self.db()
            left = db.execute("SELECT count(*) FROM log_pending").fetchone()[0]
            db.close()
            if left == 0:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{left} audit event(s) still pending after {timeout} s")
            time.sleep(0.05)

    def mail_to(self, address):
        """Text of the newest mail in the .eml outbox addressed to `address`, once delivered."""
        self.wait_for_mail_queue()
        for path in sorted(glob.glob(os.path.join(self.outbox_dir, "*.eml")), reverse=True):
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read())
            if msg["To"] == address:
                return plain_text(msg)
        raise AssertionError("no mail for " + address)

    def outbox_token(self, address):
        """The newest confirmation token mailed to `address`, read from the .eml outbox."""
        self.wait_for_mail_queue()
        for path in sorted(glob.glob(os.path.join(self.outbox_dir, "*.eml")), reverse=True):
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read())
            if msg["To"] != address:
                continue
            m = re.search(r"verify#token=([A-Za-z0-9_-]+)", plain_text(msg))
            if m:
                return m.group(1)
        raise AssertionError("no confirmation mail for " + address)

    def db(self):
        """The live database, as an operator (or attacker) with file access would open it."""
        if self.store_url:
            return PgDb(self.store_url)
        return sqlite3.connect(os.path.join(self.data_dir, "sealpost.db"), timeout=30)

    def table_names(self):
        db = self.db()
        if self.store_url:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        names = [name for (name,) in db.execute(sql)]
        db.close()
        return names

    def raw_database_bytes(self):
        """Every byte the database engine keeps on disk for this server: the SQLite file and its
        WAL, or this database's PostgreSQL relation files plus the cluster's WAL."""
        paths = []
        if self.store_url:
            psql(self.store_url, "CHECKPOINT")
            (oid,) = self.db().execute(
                "SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
            for sub in (os.path.join("base", str(oid)), "pg_wal"):
                for root, _, files in os.walk(os.path.join(PG_DIR, "data", sub)):
                    paths += [os.path.join(root, f) for f in files]
        else:
            paths = [os.path.join(self.data_dir, n) for n in ("sealpost.db", "sealpost.db-wal")]
        data = b""
        for p in paths:
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    data += f.read()
        return data

    def stored_blobs(self):
        """What the blob store holds: with SQLite the small blobs' rows ("row:<id>") and the files
        under data_dir/blobs (tmp/ included); or the rows of the PostgreSQL blob tables."""
        db = self.db()
        if self.store_url:
            ids = [i for (i,) in db.execute("SELECT id FROM blobs ORDER BY id")]
            (pieces,) = db.execute("SELECT count(*) FROM blob_chunks").fetchone()
            db.close()
            return ids + [f"pieces={pieces}"]
        found = [f"row:{i}" for (i,) in db.execute("SELECT id FROM inline_blobs")]
        db.close()
        for root, _, files in os.walk(os.path.join(self.data_dir, "blobs")):
            found += [os.path.join(root, f) for f in files]
        return sorted(found)

    def flip_blob_byte(self, blob_id, offset):
        """Flips one bit of a stored blob's byte at `offset` of the blob format (a row or a file)."""
        if not self.store_url:
            db = self.db()
            row = db.execute("SELECT data FROM inline_blobs WHERE id = ?", (blob_id,)).fetchone()
            if row is not None:
                data = bytearray(row[0])
                data[offset] ^= 0x01
                db.execute("UPDATE inline_blobs SET data = ? WHERE id = ?", (bytes(data), blob_id))
                db.commit()
                db.close()
                return
            db.close()
            path = os.path.join(self.data_dir, "blobs", blob_id[:2], blob_id)
            with open(path, "r+b") as f:
                f.seek(offset)
                b = f.read(1)
                f.seek(offset)
                f.write(bytes([b[0] ^ 0x01]))
            return
        db = self.db()
        start = 0
        for seq, length in db.execute("SELECT seq, length(data) FROM blob_chunks "
                                      "WHERE blob_id = ? ORDER BY seq", (blob_id,)).fetchall():
            if offset < start + length:
                db.execute("UPDATE blob_chunks SET data = set_byte(data, ?, get_byte(data, ?) # 1) "
                           "WHERE blob_id = ? AND seq = ?",
                           (offset - start, offset - start, blob_id, seq))
                return
            start += length
        raise AssertionError(f"blob {blob_id} is shorter than {offset + 1} bytes")

    def store_args(self):
        """What `sealpost verify audit` needs besides --data-dir to find this server's store."""
        return ["--store-url", self.store_url] if self.store_url else []

    def healthy(self):
        c = self.connect()
        c.request("GET", "/healthz")
        r = c.getresponse()
        r.read()
        c.close()
        return r.status == 200

    def run_cli(self, *args):
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def problem_type(self):
        assert self.headers.get("content-type", "").startswith("application/problem+json"), \
            (self.status, self.headers, self.body[:200])
        return self.json()["type"].rsplit("/", 1)[-1]


class Client:
    """One keep-alive HTTPS connection with a cookie jar and the session's CSRF token."""

    def __init__(self, server, source=None):
        self.server = server
        self.source = source
        self.conn = server.connect(source)
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None, headers=None, raw=None, csrf=True):
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h.setdefault("X-CSRF-Token", self.csrf)
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                payload = r.read()
                break
            # The server may close an idle keep-alive connection (or one it answered with an
            # error and "Connection: close"); like a browser, open a new one and send again.
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    ssl.SSLEOFError, ssl.SSLZeroReturnError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self.server.connect(self.source)
        headers_lower = {k.lower(): v for k, v in r.getheaders()}
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        resp = Response(r.status, headers_lower, payload)
        if resp.status in (200, 201) and headers_lower.get("content-type", "").startswith("application/json"):
            try:
                doc = resp.json()
                if isinstance(doc, dict) and "csrf_token" in doc:
                    self.csrf = doc["csrf_token"]
            except ValueError:
                pass
        return resp

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def close(self):
        self.conn.close()


class Member:
    """A member enrolled through the API: sign-up, e-mail confirmation, TOTP. With
    `already_active`, an account that exists (the first administrator) only sets up TOTP."""

    def __init__(self, server, address, display_name="", already_active=False):
        self.server = server
        self.address = address
        self.client = server.client()
        c = self.client
        if not already_active:
            r = c.request("POST", "/api/v1/accounts",
                          {"email": address, "password": PASSWORD, "display_name": display_name})
            assert r.status == 202, (r.status, r.body)
            token = server.outbox_token(address)
            r = c.request("POST", "/api/v1/accounts/verify", {"token": token})
            assert r.status == 200, (r.status, r.body)
            self.recovery_code = r.json()["recovery_code"]
        r = c.request("POST", "/api/v1/session", {"email": address, "password": PASSWORD})
        assert r.status == 200 and r.json()["status"] == "totp_setup_required", r.body
        r = c.request("POST", "/api/v1/account/totp")
        assert r.status == 200, r.body
        self.enrolment = r.json()
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.enrolment["otpauth_uri"]).query)
        self.totp_secret = query["secret"][0]
        self.used_step = current_step()
        r = c.request("POST", "/api/v1/account/totp/confirm",
                      {"code": totp(self.totp_secret, self.used_step)})
        assert r.status == 200, r.body

    def next_code(self):
        """A code the server has not seen: steps only move forward (replay protection)."""
        step = max(self.used_step + 1, current_step())
        while step > current_step() + 1:  # the server accepts one step of clock drift, no more
            time.sleep(0.5)
        self.used_step = step
        return totp(self.totp_secret, step)

    def login(self, client=None):
        c = client or self.server.client()
        r = c.request("POST", "/api/v1/session", {"email": self.address, "password": PASSWORD})
        assert r.status == 200 and r.json()["status"] == "totp_required", (r.status, r.body)
        ticket = r.json()["login_ticket"]
        r = c.request("POST", "/api/v1/session/totp", {"login_ticket": ticket,
                                                      "code": self.next_code()})
        assert r.status == 200 and r.json()["status"] == "active", (r.status, r.body)
        self.client = c
        return c

    def find_message(self, folder, marker, timeout=30):
        """The message of `folder` whose subject holds `marker`, read in full through the API;
        None once `timeout` seconds pass without it (mail from the SMTP faces arrives a little
        after its 250)."""
        deadline = time.time() + timeout
        while True:
            r = self.client.request("GET", f"/api/v1/mailbox/{folder}?limit=50")
            assert r.status == 200, (r.status, r.body)
            for item in r.json()["items"]:
                if marker in (item.get("subject") or ""):
                    m = self.client.request("GET", f"/api/v1/messages/{item['id']}")
                    assert m.status == 200, (m.status, m.body)
                    return m.json()
            if time.time() >= deadline:
                return None
            time.sleep(0.2)


class ServerTestCase(unittest.TestCase):
    server_options = {}

    @classmethod
    def setUpClass(cls):
        cls.server = Server(**cls.server_options).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def assertHealthy(self):
        self.assertTrue(self.server.healthy(), "server no longer answers /healthz")
