"""`sealpost admin rotate-master-key` (docs/operations.md, "Rotating the master key"), killed
midway and re-run: refused while a server runs; killed after three re-wrapped rows, then again
between overwriting the old key file and removing the pending one (a server refuses to start in
between); the third run finishes. Afterwards the server starts on the new key, members log in
with their TOTP seeds (re-wrapped), read their old messages, a guest opens an old pickup, new
receipts chain to the same platform root and verify with OpenSSL, `sealpost verify audit`
passes — and the old key file opens nothing: a copy of the data directory with it does not
start. On the configured store (SQLite or PostgreSQL)."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Member, Server, audit_events

GUEST = "gina@example.net"
GUEST_MUC = "GINA-code-4711"


class MasterKeyRotationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.work = tempfile.mkdtemp(prefix="sealpost-rotate-")
        cls.other = None

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.other:
                cls.other.cleanup()
        finally:
            cls.server.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)

    def rotate(self, crash=None):
        env = dict(os.environ)
        env.pop("SEALPOST_MASTER_KEY", None)
        if crash:
            env["SEALPOST_TEST_ROTATION_CRASH"] = crash
        return subprocess.run([os.environ.get("SEALPOST_BINARY", "build/src/cmd/sealpost"),
                               "admin", "rotate-master-key", "--config", self.server.config_path],
                              capture_output=True, text=True, timeout=120, env=env)

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def receipts(self, client, message_id, count, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            r = client.request("GET", f"/api/v1/messages/{message_id}/receipts")
            self.assertEqual(r.status, 200, r.body)
            if len(r.json()["receipts"]) >= count:
                return r.json()["receipts"]
            self.assertLess(time.monotonic(), deadline, r.body)
            time.sleep(0.2)

    def openssl_verifies(self, client, item, root):
        r = client.request("GET", item["href"])
        self.assertEqual(r.status, 200, r.body)
        path = os.path.join(self.work, "receipt.p7m")
        with open(path, "wb") as f:
            f.write(r.body)
        v = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", path, "-binary",
                            "-CAfile", root, "-purpose", "any"], capture_output=True)
        self.assertEqual(v.returncode, 0, v.stderr)

    def test_rotation_killed_midway_is_finished_by_a_rerun(self):
        s = self.server
        alice = Member(s, "alice@example.org", "Alice")
        bob = Member(s, "bob@example.org", "Bob")
        a = alice.login()
        r = a.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org", GUEST], "subject": "before rotation",
            "text": "sealed under the old key's reign", "mucs": {GUEST: GUEST_MUC}})
        self.assertEqual(r.status, 201, r.body)
        old_message = r.json()["id"]
        link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", s.mail_to(GUEST)).group(1)
        r = s.client().request("GET", "/api/v1/pki/root.pem")
        self.assertEqual(r.status, 200)
        root = os.path.join(self.work, "root.pem")
        with open(root, "wb") as f:
            f.write(r.body)
        key_path = os.path.join(s.data_dir, "master.key")
        pending = key_path + ".next"
        old_key = self.read(key_path)

        # Not while the server runs.
        r = self.rotate()
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("stop it first", r.stderr)
        self.assertFalse(os.path.exists(pending))
        s.stop()

        # Killed after three rows: the pending key is there, the old key file untouched.
        r = self.rotate("rows:3")
        self.assertEqual(r.returncode, 99, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(pending))
        self.assertEqual(self.read(key_path), old_key)
        with self.assertRaises(RuntimeError) as refused:
            s.start()
        s.proc = None
        self.assertIn("rotation was interrupted", str(refused.exception))

        # Killed again after the old key file was overwritten, before the pending one went.
        r = self.rotate("switch")
        self.assertEqual(r.returncode, 99, r.stdout + r.stderr)
        self.assertIn("Resuming", r.stdout)
        new_key = self.read(pending)
        self.assertEqual(self.read(key_path), new_key)
        self.assertNotEqual(new_key, old_key)

        r = self.rotate()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Rotated the master key", r.stdout)
        self.assertFalse(os.path.exists(pending))
        self.assertEqual(self.read(key_path), new_key)
        self.assertEqual(os.stat(key_path).st_mode & 0o777, 0o600)
        self.assertIn("0 secrets re-wrapped now", r.stdout)  # the killed runs did them all
        # Each run without a pending key is a rotation of its own: the key changes again.
        r = self.rotate()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("were already (an interrupted run)", r.stdout)
        self.assertNotIn(" 0 secrets re-wrapped now", r.stdout)
        self.assertFalse(os.path.exists(pending))
        self.assertNotIn(self.read(key_path), (new_key, old_key))

        # The server on the new key: TOTP seeds, the audit key, the PKI, pickups all work.
        s.start()
        b = bob.login(s.client())
        r = b.request("GET", f"/api/v1/messages/{old_message}")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["text"], "sealed under the old key's reign")
        self.assertEqual(r.json()["seal"]["status"], "valid")
        guest = s.client()
        r = guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": GUEST_MUC})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["text"], "sealed under the old key's reign")
        r = s.client().request("GET", "/api/v1/pki/root.pem")
        self.assertEqual(r.body, self.read(root))

        a = alice.login(s.client())
        r = a.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org"], "subject": "after rotation", "text": "new key"})
        self.assertEqual(r.status, 201, r.body)
        new_message = r.json()["id"]
        self.assertEqual(b.request("GET", f"/api/v1/messages/{new_message}").status, 200)
        for item in self.receipts(a, new_message, 3) + self.receipts(a, old_message, 3):
            self.openssl_verifies(a, item, root)
        s.stop()
        # One audited event per run that finished re-wrapping: the "switch" run, the third and
        # the fourth (the run killed after three rows got no further).
        with s.db() as db:
            rotated = [e for e in audit_events(db) if e["type"] == "platform.master_key_rotated"]
        self.assertEqual(len(rotated), 3, rotated)
        self.assertEqual((rotated[0]["actor"], rotated[0]["subject"]), ("system", "master-key"))
        r = s.run_cli("verify", "audit", "--data-dir", s.data_dir, *s.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # The old key opens nothing: the installation with it in place does not start.
        copy = os.path.join(self.work, "old-key", "data")
        shutil.copytree(s.data_dir, copy)
        with open(os.path.join(copy, "master.key"), "wb") as f:
            f.write(old_key)
        MasterKeyRotationTest.other = Server(data_dir=copy, store_url=s.store_url or None)
        with self.assertRaises(RuntimeError) as failed:
            self.other.start()
        self.other.proc = None  # it exited, as it should; nothing to stop
        self.assertIn("audit signing key", str(failed.exception))
        s.start()  # tearDown stops it cleanly


if __name__ == "__main__":
    unittest.main()
