"""Done-when 3 of issue 4: `sealpost admin migrate` moves a populated SQLite installation into
PostgreSQL; `sealpost verify audit` passes before and after with the same entries, and every
message (with its attachment) is still readable by its recipient from a server on PostgreSQL."""

import hashlib
import os
import re
import unittest

from harness import Member, Server, pg_admin_url, pg_url_for, psql

GUEST = "gina@example.net"
GUEST_MUC = "GINA-code-4711"


class MigrateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sqlite_server = Server(store="sqlite").start()
        cls.pg_server = None
        cls.pg_db = f"sp_migrate_{os.getpid()}"
        psql(pg_admin_url(), f"CREATE DATABASE {cls.pg_db}")
        cls.url = pg_url_for(pg_admin_url(), cls.pg_db)
        s = cls.sqlite_server
        cls.alice = Member(s, "alice@example.org", "Alice")
        cls.bob = Member(s, "bob@example.org", "Bob")
        cls.alice.login()
        r = cls.alice.client.request("GET", "/api/v1/account/keys")
        assert r.status == 200, r.body
        cls.alice_keys = r.json()
        cls.attachment = os.urandom(200_000)
        cls.sent = []
        for i in range(3):
            a = cls.alice.client
            r = a.request("POST", "/api/v1/uploads", raw=cls.attachment,
                          headers={"Content-Type": "application/octet-stream"})
            assert r.status == 201, r.body
            r = a.request("POST", "/api/v1/messages", {
                "to": ["bob@example.org"], "subject": f"before migration {i}",
                "text": f"body {i}",
                "attachments": [{"upload_id": r.json()["id"], "name": "data.bin"}]})
            assert r.status == 201, r.body
            cls.sent.append(r.json()["id"])
        # A guest's pickup: its address key and share columns must reach PostgreSQL too.
        r = cls.alice.client.request("POST", "/api/v1/messages", {
            "to": [GUEST], "subject": "guest before migration", "text": "guest body",
            "mucs": {GUEST: GUEST_MUC}})
        assert r.status == 201, r.body
        cls.guest_message = r.json()["id"]
        cls.guest_link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", s.mail_to(GUEST)).group(1)
        s.stop()  # (stopping appends and signs a final checkpoint)
        # The attachments are small enough to be rows of the SQLite database, not files
        # (store/sqlite/sqlite_blobs.h): the migration must carry rows into PostgreSQL's blobs.
        with s.db() as db:
            (cls.inline_before,) = db.execute("SELECT count(*) FROM inline_blobs").fetchone()
        cls.verify_before = s.run_cli("verify", "audit", "--data-dir", s.data_dir)
        cls.migrate = s.run_cli("admin", "migrate", "--data-dir", s.data_dir, "--to", cls.url)
        # Checked before any test starts a server on the migrated database and adds entries.
        cls.verify_after = s.run_cli("verify", "audit", "--data-dir", s.data_dir,
                                     "--store-url", cls.url)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.pg_server:
                cls.pg_server.cleanup()
            cls.sqlite_server.cleanup()
        finally:
            psql(pg_admin_url(), f"DROP DATABASE IF EXISTS {cls.pg_db} WITH (FORCE)")

    def start_on_postgres(self):
        if not MigrateTest.pg_server:
            MigrateTest.pg_server = Server(data_dir=self.sqlite_server.data_dir,
                                           store_url=self.url).start()
        return MigrateTest.pg_server

    def test_migration_succeeds_and_audit_verifies_the_same(self):
        self.assertEqual(self.migrate.returncode, 0, self.migrate.stdout + self.migrate.stderr)
        self.assertIn("blobs", self.migrate.stdout)
        before, after = self.verify_before, self.verify_after
        self.assertEqual(before.returncode, 0, before.stdout + before.stderr)
        self.assertEqual(after.returncode, 0, after.stdout + after.stderr)
        self.assertTrue(after.stdout.startswith("OK:"), after.stdout)
        # The same entries and signed checkpoints as before (the report names both counts).
        self.assertEqual(after.stdout, before.stdout)

    def test_messages_are_readable_from_postgres(self):
        server = self.start_on_postgres()
        self.assertIn("Database: PostgreSQL", open(server.out.name).read())
        bob = self.bob.login(server.client())
        r = bob.request("GET", "/api/v1/mailbox/inbox?limit=10")
        self.assertEqual(r.status, 200, r.body)
        for mid in self.sent:
            r = bob.request("GET", f"/api/v1/messages/{mid}")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["seal"]["status"], "valid")
            r = bob.request("GET", f"/api/v1/messages/{mid}/attachments/0")
            self.assertEqual(r.status, 200)
            self.assertEqual(hashlib.sha256(r.body).digest(),
                             hashlib.sha256(self.attachment).digest())
        # The blobs now live in PostgreSQL: the server reads neither the old rows nor files.
        self.assertEqual(self.inline_before, 3)
        db = server.db()
        (blobs,) = db.execute("SELECT count(*) FROM blobs").fetchone()
        self.assertEqual(blobs, 3)

    def test_member_keys_are_carried_over(self):
        server = self.start_on_postgres()
        alice = self.alice.login(server.client())
        r = alice.request("GET", "/api/v1/account/keys")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), self.alice_keys)  # the same, not new ones made at log-in
        r = alice.request("GET", "/api/v1/account/keys/openpgp.asc")
        self.assertEqual(r.status, 200, r.body)

    def test_guest_pickup_opens_from_postgres_with_link_and_muc(self):
        server = self.start_on_postgres()
        with server.db() as db:
            (public_key, wrapped_secret) = db.execute(
                "SELECT length(public_key), length(wrapped_secret) FROM guest_addresses"
            ).fetchone()
            (share, sender_share) = db.execute(
                "SELECT length(sealed_share), length(sender_share) FROM pickups").fetchone()
        self.assertEqual((public_key, wrapped_secret), (32, 77))
        self.assertEqual((share, sender_share), (80, 80))
        guest = server.client()
        r = guest.request("POST", "/api/v1/pickup/unlock",
                          {"link": self.guest_link, "muc": GUEST_MUC})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["id"], r.json()["text"]), (self.guest_message, "guest body"))

    def test_second_run_refuses_a_database_that_is_not_empty(self):
        s = self.sqlite_server
        r = s.run_cli("admin", "migrate", "--data-dir", s.data_dir, "--to", self.url)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("not empty", r.stderr)


if __name__ == "__main__":
    unittest.main()
