"""Retention and legal hold through the API, against the real binary: a domain's policy shreds
its members' old messages (entries, keys, blobs) in the background, a held message survives until
its hold is released, members see their policy, each run is audited with counts only, and
`sealpost verify audit` still passes afterwards.

The server's clock cannot be moved from outside, so the server runs with the test-only knob
`[retention] day_seconds = 2`: a policy "day" lasts two seconds (docs/retention.md)."""

import json
import time
import unittest

from harness import Member, PASSWORD, Server, audit_events


RETENTION_CONFIG = """
[retention]
interval_seconds = 1
day_seconds = 2
"""


class RetentionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_config=RETENTION_CONFIG).start()
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": cls.server.bootstrap_token, "email": "admin@example.org",
                       "password": PASSWORD})
        assert r.status == 201, r.body
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, "bob@example.org")
        for m in (cls.admin, cls.alice, cls.bob):
            m.login()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def send(self, subject, attachment):
        a = self.alice.client
        r = a.request("POST", "/api/v1/uploads", raw=attachment,
                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        r = a.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org"], "subject": subject, "text": "body of " + subject,
            "attachments": [{"upload_id": r.json()["id"], "name": "data.bin"}]})
        self.assertEqual(r.status, 201, r.body)
        return r.json()["id"]

    def read_status(self, member, message_id):
        return member.client.request("GET", f"/api/v1/messages/{message_id}").status

    def wait_until_gone(self, member, message_id, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.read_status(member, message_id) == 404:
                return
            time.sleep(0.3)
        self.fail(f"message {message_id} was not shredded within {timeout} s")

    def test_bad_input_and_forbidden_calls_change_nothing(self):
        a = self.admin.client
        for days in (0, -1, 36501):
            r = a.request("POST", "/api/v1/admin/retention", {"domain": "bad.example", "days": days})
            self.assertEqual(r.status, 400, r.body)
        r = a.request("POST", "/api/v1/admin/retention", {"domain": "not a domain", "days": 5})
        self.assertEqual(r.status, 400, r.body)
        r = a.request("POST", "/api/v1/admin/holds",
                      {"target": "member", "subject": "bob@example.org", "reason": ""})
        self.assertEqual(r.status, 400, r.body)
        r = a.request("POST", "/api/v1/admin/holds",
                      {"target": "member", "subject": "nobody@example.org", "reason": "x"})
        self.assertEqual(r.status, 404, r.body)
        b = self.bob.client
        r = b.request("POST", "/api/v1/admin/retention", {"domain": "example.org", "days": 1})
        self.assertEqual(r.status, 403, r.body)
        self.assertTrue(r.problem_type())  # application/problem+json
        r = b.request("GET", "/api/v1/admin/holds")
        self.assertEqual(r.status, 403)
        r = b.request("POST", "/api/v1/admin/holds",
                      {"target": "member", "subject": "alice@example.org", "reason": "x"})
        self.assertEqual(r.status, 403)
        r = a.request("GET", "/api/v1/admin/retention")
        self.assertEqual(r.status, 200)
        self.assertNotIn("bad.example", [p["domain"] for p in r.json()["items"]])

    def test_old_messages_are_shredded_and_held_ones_kept_until_release(self):
        blobs_before = len(self.server.stored_blobs())
        shredded = self.send("to be shredded", b"A" * 5000)
        held = self.send("under hold", b"B" * 5000)
        self.assertEqual(len(self.server.stored_blobs()), blobs_before + 2)
        a = self.admin.client
        r = a.request("POST", "/api/v1/admin/holds",
                      {"target": "message", "subject": held, "reason": "case 2026-17"})
        self.assertEqual(r.status, 201, r.body)
        hold_id = r.json()["id"]
        r = a.request("GET", "/api/v1/admin/holds")
        self.assertIn(hold_id, [h["id"] for h in r.json()["items"]])
        # A held message cannot be recalled either.
        r = self.alice.client.request("POST", f"/api/v1/messages/{held}/recall")
        self.assertEqual(r.status, 409, r.body)

        r = a.request("POST", "/api/v1/admin/retention", {"domain": "example.org", "days": 1})
        self.assertEqual(r.status, 200, r.body)
        r = self.bob.client.request("GET", "/api/v1/account/retention")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"domain": "example.org", "days": 1})

        self.wait_until_gone(self.bob, shredded)
        self.assertEqual(self.read_status(self.alice, shredded), 404)
        r = self.bob.client.request("GET", f"/api/v1/messages/{shredded}/attachments/0")
        self.assertEqual(r.status, 404)
        self.assertEqual(self.read_status(self.bob, held), 200)
        self.assertEqual(self.read_status(self.alice, held), 200)
        self.assertEqual(len(self.server.stored_blobs()), blobs_before + 1)

        time.sleep(1)  # let the sequencer sign what the runs recorded
        r = self.server.run_cli("verify", "audit", "--data-dir", self.server.data_dir,
                                *self.server.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK:", r.stdout)

        r = a.request("POST", f"/api/v1/admin/holds/{hold_id}/release")
        self.assertEqual(r.status, 204, r.body)
        r = a.request("POST", f"/api/v1/admin/holds/{hold_id}/release")
        self.assertEqual(r.status, 404)
        self.wait_until_gone(self.bob, held)
        self.assertEqual(len(self.server.stored_blobs()), blobs_before)

        db = self.server.db()
        events = audit_events(db)
        db.close()
        runs = [e for e in events if e["type"] == "retention.shred"]
        self.assertGreaterEqual(len(runs), 2)
        total = sum(json.loads(e["details"])["entries"] for e in runs)
        self.assertGreaterEqual(total, 4)  # Sent and inbox entries of both messages
        for e in runs:
            self.assertNotIn("shredded", e["details"])  # counts, never content
            self.assertNotIn("hold", e["details"])
        types = {e["type"] for e in events}
        for t in ("retention.policy_set", "hold.placed", "hold.released"):
            self.assertIn(t, types)
        r = a.request("GET", "/api/v1/admin/holds?include_released=true")
        released = [h for h in r.json()["items"] if h["id"] == hold_id]
        self.assertEqual(len(released), 1)
        self.assertIsNotNone(released[0]["released_at"])

        time.sleep(1)
        r = self.server.run_cli("verify", "audit", "--data-dir", self.server.data_dir,
                                *self.server.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
