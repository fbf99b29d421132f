"""Two `sealpost serve` processes of one installation (one data directory for the master key,
one PostgreSQL database and blob store), as behind a load balancer: a session made on one is
served by the other, failed log-ins spread over both are throttled as if on one, 1,000 messages
sent alternately through both arrive exactly once, writes through both at once leave one intact
audit chain, and a process killed with SIGKILL during a burst loses no acknowledged message.
PostgreSQL only (issue 4)."""

import collections
import email
import glob
import os
import threading
import time
import unittest

from harness import STORE, Member, PASSWORD, Server, audit_events


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
        # Both processes wrote pending events; the one sequencer gives them dense indexes within
        # the delay (200 ms in the tests), however many processes wrote them.
        db = self.a.db()
        deadline = time.monotonic() + 30
        while db.execute("SELECT count(*) FROM log_pending").fetchone()[0] != 0:
            self.assertLess(time.monotonic(), deadline, "pending events were not sequenced")
            time.sleep(0.1)
        (count, top) = db.execute("SELECT count(*), max(idx) FROM log_entries").fetchone()
        self.assertEqual(count, top + 1)  # dense: no gap, no duplicate
        sends = [e for e in audit_events(db) if e["type"] == "message.send"]
        db.close()
        self.assertGreaterEqual(len(sends), 30)
        r = self.a.run_cli("verify", "audit", "--data-dir", self.a.data_dir, *self.a.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("chain intact", r.stdout)

    def stored(self, ids, sql):
        """How many rows `sql` (with one ? for a list of ids) finds for `ids`."""
        db = self.a.db()
        total = 0
        for i in range(0, len(ids), 200):
            part = ids[i:i + 200]
            text = sql.replace("?", ", ".join(["?"] * len(part)))
            (n,) = db.execute(text, tuple(part)).fetchone()
            total += n
        return total

    def test_thousand_messages_alternately_through_both_arrive_exactly_once(self):
        alice = [self.on(s, self.alice.login(s.client())) for s in (self.a, self.b)]
        ids = []
        for i in range(1000):
            r = alice[i % 2].request("POST", "/api/v1/messages", {
                "to": ["bob@example.org"], "subject": f"alternating {i}", "text": str(i)})
            self.assertEqual(r.status, 201, (i, r.body))
            ids.append(r.json()["id"])
        self.assertEqual(len(set(ids)), 1000)
        self.assertEqual(self.stored(ids, "SELECT count(*) FROM messages WHERE id IN (?)"), 1000)
        self.assertEqual(self.stored(ids, "SELECT count(*) FROM mailbox WHERE folder = 1 AND "
                                          "message_id IN (?)"), 1000)
        # Bob reads them through either process: spot-check both ends of the run.
        bob = self.bob.login(self.b.client())
        for mid, text in ((ids[0], "0"), (ids[999], "999")):
            for server in (self.a, self.b):
                r = self.on(server, bob).request("GET", f"/api/v1/messages/{mid}")
                self.assertEqual((r.status, r.json()["text"]), (200, text))

    def test_acknowledged_messages_survive_a_process_killed_mid_burst(self):
        victim = Server(share=self.a).start()
        try:
            session = self.alice.login(self.a.client())
            acked, failed_on_victim = [], []
            lock = threading.Lock()

            def burst(server, n, stop_on_error):
                client = self.on(server, session)
                for i in range(n):
                    try:
                        r = client.request("POST", "/api/v1/messages", {
                            "to": ["bob@example.org"], "subject": f"burst {i}", "text": "x"})
                    except OSError:
                        if stop_on_error:
                            failed_on_victim.append(i)
                            return
                        raise
                    if r.status == 201:
                        with lock:
                            acked.append(r.json()["id"])

            survivor = threading.Thread(target=burst, args=(self.a, 300, False))
            doomed = threading.Thread(target=burst, args=(victim, 100000, True))
            survivor.start()
            doomed.start()
            time.sleep(1.5)
            victim.proc.kill()  # SIGKILL: no drain, no shutdown checkpoint
            victim.proc.wait()
            victim.proc = None
            doomed.join(timeout=60)
            survivor.join(timeout=300)
            self.assertFalse(doomed.is_alive() or survivor.is_alive())
            self.assertTrue(failed_on_victim, "the killed process kept answering")
        finally:
            victim.cleanup()
        # Every acknowledged message exists exactly once, with Bob's inbox entry.
        self.assertGreater(len(acked), 300)
        self.assertEqual(len(set(acked)), len(acked))
        self.assertEqual(self.stored(acked, "SELECT count(*) FROM messages WHERE id IN (?)"),
                         len(acked))
        self.assertEqual(self.stored(acked, "SELECT count(*) FROM mailbox WHERE folder = 1 AND "
                                            "message_id IN (?)"), len(acked))
        # The survivor still works and the audit chain is intact.
        r = self.on(self.a, session).request("GET", "/api/v1/mailbox/sent?limit=1")
        self.assertEqual(r.status, 200, r.body)
        r = self.a.run_cli("verify", "audit", "--data-dir", self.a.data_dir, *self.a.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_mail_queued_by_a_killed_process_is_delivered_by_the_other(self):
        # The victim leases claimed mail for 2 s only, so the survivor takes over quickly.
        victim = Server(share=self.a, extra_config="\n[mail]\nlease_seconds = 2\n").start()
        addresses = [f"queued{i}@example.org" for i in range(20)]
        try:
            c = victim.client()
            for address in addresses:
                r = c.request("POST", "/api/v1/accounts",
                              {"email": address, "password": PASSWORD, "display_name": ""})
                self.assertEqual(r.status, 202, r.body)
            victim.proc.kill()  # SIGKILL, with mail queued, leased or being written
            victim.proc.wait()
            victim.proc = None
        finally:
            victim.cleanup()
        # The survivor delivers whatever the victim left: the queue drains and every address
        # has its confirmation mail in the (shared) outbox.
        self.a.wait_for_mail_queue(timeout=60)
        for address in addresses:
            self.assertTrue(self.a.outbox_token(address))
        # …and each job completed once: a mail the victim wrote but had not yet dequeued is
        # written again by the survivor into the same file (same queue time and Message-ID).
        written = collections.Counter()
        for path in glob.glob(os.path.join(self.a.outbox_dir, "*.eml")):
            with open(path, "rb") as f:
                written[email.message_from_bytes(f.read())["To"]] += 1
        for address in addresses:
            self.assertEqual(written[address], 1, address)


if __name__ == "__main__":
    unittest.main()
