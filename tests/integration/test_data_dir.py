"""What `sealpost serve` leaves on disk: under a permissive umask, everything it creates in its data
directory (database with -wal/-shm, blobs, keys, TLS identity) and in its .eml outbox is its
owner's only, and the outbox (the recipients' mailboxes) is beside the data directory, not in it."""

import os
import stat
import unittest

from harness import Member, PASSWORD, Server


def modes_under(root):
    """{path relative to root: permission bits} for root and everything below it."""
    found = {".": stat.S_IMODE(os.stat(root).st_mode)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root)] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


class DataDirTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        old = os.umask(0o022)  # inherited by the server: files would be 0644, directories 0755
        try:
            cls.server = Server().start()
        finally:
            os.umask(old)
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": cls.server.bootstrap_token, "email": "admin@example.org",
                       "password": PASSWORD})
        assert r.status == 201, r.body
        cls.alice = Member(cls.server, "alice@example.org")
        # Large enough to be a file in blobs/ (smaller blobs are rows of the database).
        r = cls.alice.client.request("POST", "/api/v1/uploads", raw=b"attachment bytes" * 20000,
                                     headers={"Content-Type": "application/octet-stream"})
        assert r.status == 201, r.body
        r = cls.alice.client.request("POST", "/api/v1/messages", {
            "to": ["admin@example.org"], "subject": "with a blob", "text": "body",
            "attachments": [{"upload_id": r.json()["id"], "name": "a.bin"}]})
        assert r.status == 201, r.body
        cls.server.wait_for_mail_queue()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_everything_in_the_data_dir_is_owner_only(self):
        modes = modes_under(self.server.data_dir)  # while the server runs: -wal and -shm exist
        for name in ("sealpost.db", "sealpost.db-wal", "sealpost.db-shm", "master.key",
                     "audit-signing.pub", "log-verifier-key.txt", "tls/private-key.pem",
                     "tls/certificate.pem", "blobs"):
            self.assertIn(name, modes)
        self.assertTrue(any(n.startswith("blobs/") and n.count("/") == 2 for n in modes), modes)
        for name, mode in modes.items():
            is_dir = os.path.isdir(os.path.join(self.server.data_dir, name))
            self.assertEqual(oct(mode), oct(0o700 if is_dir else 0o600), name)

    def test_the_outbox_is_beside_the_data_dir_and_owner_only(self):
        outbox = os.path.join(os.path.dirname(self.server.data_dir), "sealpost-outbox")
        self.assertEqual(self.server.outbox_dir, outbox)
        with open(self.server.out.name) as f:
            self.assertIn(f"written to {outbox}\n", f.read())
        self.assertNotIn("outbox", os.listdir(self.server.data_dir))
        modes = modes_under(outbox)
        self.assertTrue(any(n.endswith(".eml") for n in modes), modes)
        for name, mode in modes.items():
            is_dir = os.path.isdir(os.path.join(outbox, name))
            self.assertEqual(oct(mode), oct(0o700 if is_dir else 0o600), name)

    def test_an_outbox_inside_the_data_dir_is_refused(self):
        r = self.server.run_cli("serve", "--config", self.server.config_path, "--outbox-dir",
                                os.path.join(self.server.data_dir, "outbox"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("must not be inside the data directory", r.stderr)


if __name__ == "__main__":
    unittest.main()
