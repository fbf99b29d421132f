"""`sealpost admin backup` and `sealpost admin restore` (docs/operations.md, "Backup and
restore"): a backup taken while a thread keeps sending messages (some with attachments) is
checked with `sha256sum -c`, restored into a new data directory, and a server started on it
serves every message acknowledged before the backup began, attachments byte for byte; `sealpost
verify audit` passes on the restored copy. Bad input: a target that is not empty, an altered
manifest or file, a target that cannot be created — each a clear message, a non-zero exit, and
nothing written. SQLite (the online backup API)."""

import glob
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Member, Server


def attachment_bytes(n):
    """About 32 KB (a row of the database), every other one about 290 KB (a file)."""
    return hashlib.sha256(str(n).encode()).digest() * ((9000 if n % 10 == 0 else 1000) + n)


class Sender(threading.Thread):
    """Alice sends to Bob as fast as the server answers; every acknowledged message is recorded
    with the time its 201 arrived. Every fifth message carries an attachment (a blob): small
    ones are rows of the database, large ones files (store/sqlite/sqlite_blobs.h)."""

    def __init__(self, alice):
        super().__init__(daemon=True)
        self.alice = alice
        self.stop = threading.Event()
        self.acked = []  # (monotonic time of the 201, id, n)
        self.error = None

    def run(self):
        try:
            c = self.alice.client
            n = 0
            while not self.stop.is_set():
                body = {"to": ["bob@example.org"], "subject": f"load {n}", "text": f"body {n}"}
                if n % 5 == 0:
                    r = c.request("POST", "/api/v1/uploads", raw=attachment_bytes(n),
                                  headers={"Content-Type": "application/octet-stream"})
                    assert r.status == 201, (r.status, r.body)
                    body["attachments"] = [{"upload_id": r.json()["id"], "name": f"a{n}.bin"}]
                r = c.request("POST", "/api/v1/messages", body)
                assert r.status == 201, (r.status, r.body)
                self.acked.append((time.monotonic(), r.json()["id"], n))
                n += 1
        except Exception as e:  # reported by the test
            self.error = e


class BackupRestoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(store="sqlite").start()
        cls.restored = None
        cls.work = tempfile.mkdtemp(prefix="sealpost-backup-")
        cls.alice = Member(cls.server, "alice@example.org", "Alice")
        cls.bob = Member(cls.server, "bob@example.org", "Bob")
        cls.alice.login()

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.restored:
                cls.restored.cleanup()
        finally:
            cls.server.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)

    def cli(self, *args):
        return self.server.run_cli(*args)

    def backup(self, target):
        return self.cli("admin", "backup", target, "--config", self.server.config_path)

    def assertRefused(self, r, words):
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(words, r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def assertNoStaging(self):
        self.assertEqual(glob.glob(os.path.join(self.work, "*.partial-*")), [])

    def test_1_backup_under_load_restores_every_acknowledged_message(self):
        target = os.path.join(self.work, "backup")
        sender = Sender(self.alice)
        sender.start()
        time.sleep(2)
        began = time.monotonic()
        r = self.backup(target)
        time.sleep(1)
        sender.stop.set()
        sender.join(60)
        self.assertIsNone(sender.error)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Backed up to", r.stdout)
        before = [(mid, n) for t, mid, n in sender.acked if t < began]
        after = [mid for t, mid, n in sender.acked if t >= began]
        self.assertGreater(len(before), 10)
        self.assertGreater(len(after), 0, "no message was sent while the backup ran")
        print(f"\nbackup under load: {len(before)} messages acknowledged before it began, "
              f"{len(after)} during and after it")

        # An independent check of the manifest, and the keys' permissions.
        check = subprocess.run(["sha256sum", "--strict", "-c", "sealpost-backup.sha256"],
                               cwd=target, capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        for name in ("master.key", "sealpost.db", "tls/private-key.pem"):
            mode = stat.S_IMODE(os.stat(os.path.join(target, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        self.assertFalse(os.path.exists(os.path.join(target, "sealpost.lock")))
        # Both kinds of blob: the large ones as files, the small ones as rows of the snapshot.
        self.assertTrue(glob.glob(os.path.join(target, "blobs", "*", "*")))
        snapshot = sqlite3.connect(os.path.join(target, "sealpost.db"))
        (rows,) = snapshot.execute("SELECT count(*) FROM inline_blobs").fetchone()
        snapshot.close()
        self.assertGreater(rows, 0)

        new_dir = os.path.join(self.work, "restored", "data")
        r = self.cli("admin", "restore", target, "--data-dir", new_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cli("verify", "audit", "--data-dir", new_dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        BackupRestoreTest.restored = Server(data_dir=new_dir).start()
        bob = self.bob.login(self.restored.client())
        for mid, n in before:
            r = bob.request("GET", f"/api/v1/messages/{mid}")
            self.assertEqual(r.status, 200, (n, r.body))
            self.assertEqual(r.json()["text"], f"body {n}")
            self.assertEqual(r.json()["seal"]["status"], "valid")
            if n % 5 == 0:
                r = bob.request("GET", f"/api/v1/messages/{mid}/attachments/0")
                self.assertEqual(r.status, 200, n)
                self.assertEqual(r.body, attachment_bytes(n), n)
        # The restored installation works on: a new message from Bob to Alice.
        r = bob.request("POST", "/api/v1/messages",
                        {"to": ["alice@example.org"], "subject": "after restore", "text": "hi"})
        self.assertEqual(r.status, 201, r.body)
        self.restored.stop()
        r = self.cli("verify", "audit", "--data-dir", new_dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_2_bad_input_is_refused_and_nothing_is_written(self):
        good = os.path.join(self.work, "good")
        r = self.backup(good)
        self.assertEqual(r.returncode, 0, r.stderr)

        # A backup target that holds something.
        full = os.path.join(self.work, "full")
        os.makedirs(full)
        with open(os.path.join(full, "keep.txt"), "w") as f:
            f.write("mine")
        self.assertRefused(self.backup(full), "not empty")
        self.assertEqual(os.listdir(full), ["keep.txt"])
        # A target that cannot be created (its parent is a file).
        self.assertRefused(self.backup(os.path.join(full, "keep.txt", "sub")), "sealpost admin backup")
        self.assertNoStaging()

        # Restore into a directory that is not empty.
        self.assertRefused(self.cli("admin", "restore", good, "--data-dir", full), "not empty")
        self.assertEqual(os.listdir(full), ["keep.txt"])

        # An altered manifest: one digit of one digest changed.
        altered = os.path.join(self.work, "altered")
        shutil.copytree(good, altered)
        manifest = os.path.join(altered, "sealpost-backup.sha256")
        with open(manifest) as f:
            lines = f.read().splitlines(keepends=True)
        lines[0] = ("0" if lines[0][0] != "0" else "1") + lines[0][1:]
        with open(manifest, "w") as f:
            f.writelines(lines)
        target = os.path.join(self.work, "never")
        r = self.cli("admin", "restore", altered, "--data-dir", target)
        self.assertRefused(r, "does not match its SHA-256")
        self.assertFalse(os.path.exists(target))

        # An altered file (one byte of the database), the manifest untouched.
        shutil.rmtree(altered)
        shutil.copytree(good, altered)
        with open(os.path.join(altered, "sealpost.db"), "r+b") as f:
            f.seek(5000)
            byte = f.read(1)
            f.seek(5000)
            f.write(bytes([byte[0] ^ 1]))
        self.assertRefused(self.cli("admin", "restore", altered, "--data-dir", target),
                           "sealpost.db does not match")
        self.assertFalse(os.path.exists(target))

        # A file the manifest does not list; a manifest line that leaves the directory.
        shutil.rmtree(altered)
        shutil.copytree(good, altered)
        with open(os.path.join(altered, "extra.key"), "w") as f:
            f.write("x")
        self.assertRefused(self.cli("admin", "restore", altered, "--data-dir", target),
                           "not in its manifest")
        os.remove(os.path.join(altered, "extra.key"))
        with open(manifest, "a") as f:
            f.write("0" * 64 + "  ../outside\n")
        self.assertRefused(self.cli("admin", "restore", altered, "--data-dir", target),
                           "unsafe path")
        # No manifest at all: a backup that never finished.
        os.remove(manifest)
        self.assertRefused(self.cli("admin", "restore", altered, "--data-dir", target),
                           "no manifest")
        self.assertFalse(os.path.exists(target))
        self.assertNoStaging()


if __name__ == "__main__":
    unittest.main()
