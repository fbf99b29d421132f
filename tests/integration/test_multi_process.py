"""Two `sealpost serve` processes of one installation (one data directory for the master key,
one PostgreSQL database and blob store), as behind a load balancer: a session made on one is
served by the other, failed log-ins spread over both are throttled as if on one, and writes
through both at once leave one intact audit chain. PostgreSQL only (issue 4)."""

import threading
import unittest

from harness import STORE, Member, PASSWORD, Server


class MultiProcessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if STORE != "postgres":
            raise AssertionError("the multi-process test needs SEALPOST_TEST_STORE=postgres")
        cls.a = Server().start()
        try:
            cls.b = Server(share=cls.a).start()
        except Exception:
            cls.a.cleanup()
            raise
        cls.alice = Member(cls.a, "alice@example.org", "Alice")
        cls.bob = Member(cls.b, "bob@example.org", "Bob")  # enrolled through the other process

    @classmethod
    def tearDownClass(cls):
        try:
            cls.b.cleanup()
        finally:
            cls.a.cleanup()

    def on(self, server, client):
        """A client of `server` carrying `client`'s session cookie and CSRF token."""
        other = server.client()
        other.cookies = dict(client.cookies)
        other.csrf = client.csrf
        return other

    def test_session_made_on_one_process_is_served_by_the_other(self):
        on_a = self.alice.login(self.a.client())
        on_b = self.on(self.b, on_a)
        r = on_b.request("GET", "/api/v1/mailbox/inbox?limit=5")
        self.assertEqual(r.status, 200, r.body)
        # A state change (CSRF-checked) through B, with the session made on A.
        r = on_b.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org"], "subject": "across processes", "text": "sent through B"})
        self.assertEqual(r.status, 201, r.body)
        mid = r.json()["id"]
        bob_b = self.bob.login(self.b.client())
        r = self.on(self.a, bob_b).request("GET", f"/api/v1/messages/{mid}")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["text"], "sent through B")
        self.assertEqual(r.json()["seal"]["status"], "valid")
        # Logging out on A ends the session on B as well.
        r = on_a.request("DELETE", "/api/v1/session")
        self.assertIn(r.status, (200, 204), r.body)
        r = on_b.request("GET", "/api/v1/mailbox/inbox?limit=5")
        self.assertEqual(r.status, 401, r.body)

    def test_failed_logins_over_both_processes_are_throttled_as_on_one(self):
        Member(self.a, "erin@example.org")
        clients = [self.a.client(), self.b.client()]
        statuses = []
        for i in range(20):
            r = clients[i % 2].request("POST", "/api/v1/session",
                                       {"email": "erin@example.org", "password": "wrong pass " + str(i)})
            statuses.append(r.status)
        # failures_per_account = 5: exactly as on one process, the sixth attempt is refused.
        self.assertEqual(statuses, [401] * 5 + [429] * 15)
        r = clients[1].request("POST", "/api/v1/session",
                               {"email": "erin@example.org", "password": PASSWORD})
        self.assertEqual(r.status, 429)

    def test_concurrent_writes_through_both_leave_one_audit_chain(self):
        senders = [self.on(s, self.alice.login(s.client())) for s in (self.a, self.b)]
        errors = []

        def send(client, n):
            for i in range(n):
                r = client.request("POST", "/api/v1/messages", {
                    "to": ["bob@example.org"], "subject": f"burst {i}", "text": "x"})
                if r.status != 201:
                    errors.append((r.status, r.body))

        threads = [threading.Thread(target=send, args=(c, 15)) for c in senders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        db = self.a.db()
        (count, top) = db.execute("SELECT count(*), max(seq) FROM audit_log").fetchone()
        self.assertEqual(count, top)  # dense: no gap, no duplicate
        r = self.a.run_cli("verify", "audit", "--data-dir", self.a.data_dir, *self.a.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("chain intact", r.stdout)


if __name__ == "__main__":
    unittest.main()
