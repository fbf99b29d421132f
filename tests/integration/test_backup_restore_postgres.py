"""`sealpost admin backup` and `restore` with PostgreSQL, following the guidance they print
(docs/operations.md): the command copies the key and TLS files with a manifest and names the
pg_dump to run; the test runs exactly that pg_dump into the backup, restores the files with
`sealpost admin restore` and the dump with pg_restore into a new database, and a server on the
pair serves every message with its attachment; `sealpost verify audit` passes on it."""

import hashlib
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import STORE, Member, Server, pg_admin_url, pg_url_for, psql


class PostgresBackupRestoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if STORE != "postgres":
            raise AssertionError("this test needs SEALPOST_TEST_STORE=postgres")
        cls.server = Server().start()
        cls.restored = None
        cls.work = tempfile.mkdtemp(prefix="sealpost-pgbackup-")
        cls.restored_db = f"sp_restored_{os.getpid()}"

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.restored:
                cls.restored.cleanup()
        finally:
            cls.server.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            psql(pg_admin_url(), f"DROP DATABASE IF EXISTS {cls.restored_db} WITH (FORCE)")

    def test_backup_with_pg_dump_restores_into_a_new_database(self):
        s = self.server
        alice = Member(s, "alice@example.org", "Alice")
        bob = Member(s, "bob@example.org", "Bob")
        a = alice.login()
        sent = []
        for n in range(5):
            data = hashlib.sha256(str(n).encode()).digest() * 500
            r = a.request("POST", "/api/v1/uploads", raw=data,
                          headers={"Content-Type": "application/octet-stream"})
            self.assertEqual(r.status, 201, r.body)
            r = a.request("POST", "/api/v1/messages", {
                "to": ["bob@example.org"], "subject": f"pg {n}", "text": f"pg body {n}",
                "attachments": [{"upload_id": r.json()["id"], "name": f"a{n}.bin"}]})
            self.assertEqual(r.status, 201, r.body)
            sent.append((r.json()["id"], n, data))

        target = os.path.join(self.work, "backup")
        r = s.run_cli("admin", "backup", target, "--config", s.config_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pg_dump --format=custom --file=" + target + "/sealpost.pgdump", r.stdout)
        self.assertTrue(os.path.isfile(os.path.join(target, "master.key")))
        self.assertFalse(os.path.exists(os.path.join(target, "sealpost.db")))
        dump = subprocess.run(["pg_dump", "--format=custom",
                               "--file=" + os.path.join(target, "sealpost.pgdump"), s.store_url],
                              capture_output=True, text=True, timeout=300)
        self.assertEqual(dump.returncode, 0, dump.stderr)

        new_dir = os.path.join(self.work, "restored", "data")
        r = s.run_cli("admin", "restore", target, "--data-dir", new_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pg_restore", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(new_dir, "sealpost.pgdump")))
        psql(pg_admin_url(), f"CREATE DATABASE {self.restored_db}")
        url = pg_url_for(pg_admin_url(), self.restored_db)
        restore = subprocess.run(["pg_restore", "--no-owner", "--dbname=" + url,
                                  os.path.join(target, "sealpost.pgdump")],
                                 capture_output=True, text=True, timeout=300)
        self.assertEqual(restore.returncode, 0, restore.stderr)
        r = s.run_cli("verify", "audit", "--data-dir", new_dir, "--store-url", url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        s.stop()  # the original is gone; the restored pair stands alone
        PostgresBackupRestoreTest.restored = Server(data_dir=new_dir, store_url=url).start()
        b = bob.login(self.restored.client())
        for mid, n, data in sent:
            r = b.request("GET", f"/api/v1/messages/{mid}")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["text"], f"pg body {n}")
            self.assertEqual(r.json()["seal"]["status"], "valid")
            r = b.request("GET", f"/api/v1/messages/{mid}/attachments/0")
            self.assertEqual((r.status, r.body), (200, data))
        s.start()  # tearDown stops it cleanly


if __name__ == "__main__":
    unittest.main()
