"""Guests, the sender's side (issue 5): per-recipient status on GET /messages/{id}, recall, the
expiry a sender chooses within the admin limit, and the periodic cleanup of expired pickups.
Notifications go to the .eml outbox (the relay path is test_guest_pickup's)."""

import datetime
import re
import time
import unittest

from harness import Member, Server, audit_events

CAROL = "carol@example.net"  # guests: not members
DAVE = "dave@example.net"
ERIN = "erin@example.net"
FRED = "fred@example.net"  # signs up by himself (not from the pickup page)


class GuestLifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, "bob@example.org")
        cls.guest = cls.server.client()

    @classmethod
    def tearDownClass(cls):
        for c in (cls.guest, cls.alice.client, cls.bob.client):
            c.close()
        cls.server.cleanup()

    def link_for(self, address):
        text = self.server.mail_to(address)
        return re.search(r"/pickup#([A-Za-z0-9_-]{43})", text).group(1)

    def unlock(self, link, muc):
        return self.guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": muc})

    def send(self, to, subject, **extra):
        body = {"to": to, "subject": subject, "text": "body of " + subject,
                "generate_mucs": True}
        body.update(extra)
        return self.alice.client.request("POST", "/api/v1/messages", body)

    def read(self, client, message_id):
        r = client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def audit_types(self):
        with self.server.db() as db:
            return [e["type"] for e in audit_events(db)]

    def test_status_and_recall(self):
        r = self.send(["bob@example.org", CAROL, DAVE], "LIFECYCLE-7731")
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]
        mucs = r.json()["generated_mucs"]
        self.server.wait_for_mail_queue()

        m = self.read(self.alice.client, message_id)
        self.assertEqual([x["address"] for x in m["recipients"]],
                         ["bob@example.org", CAROL, DAVE])
        by = {x["address"]: x for x in m["recipients"]}
        self.assertEqual(by["bob@example.org"]["delivery"], "member")
        self.assertEqual(by["bob@example.org"]["status"], "delivered")
        for guest in (CAROL, DAVE):
            self.assertEqual(by[guest]["delivery"], "portal")
            self.assertEqual(by[guest]["status"], "notified")
            self.assertRegex(by[guest]["notified_at"], r"^\d{4}-\d\d-\d\dT")
            self.assertNotIn("opened_at", by[guest])
            self.assertNotIn("locked", by[guest])
        self.assertTrue(m["can_recall"])
        self.assertRegex(m["expires_at"], r"^\d{4}-\d\d-\d\dT")

        carol_link = self.link_for(CAROL)
        dave_link = self.link_for(DAVE)
        r = self.unlock(carol_link, mucs[CAROL])
        self.assertEqual(r.status, 200, r.body)
        # Five wrong MUCs lock dave's address: the sender sees it.
        for i in range(5):
            self.unlock(dave_link, f"wrong-code-{i}")
        m = self.read(self.alice.client, message_id)
        by = {x["address"]: x for x in m["recipients"]}
        self.assertEqual(by[CAROL]["status"], "opened")
        self.assertIn("opened_at", by[CAROL])
        self.assertTrue(by[DAVE]["locked"])

        # A recipient's copy carries no status.
        m = self.read(self.bob.client, message_id)
        self.assertNotIn("recipients", m)
        self.assertNotIn("can_recall", m)
        # Bob has read it now. Only the sender may recall; CSRF is required.
        r = self.bob.client.request("POST", f"/api/v1/messages/{message_id}/recall")
        self.assertEqual(r.status, 404, r.body)
        r = self.alice.client.request("POST", f"/api/v1/messages/{message_id}/recall", csrf=False)
        self.assertEqual(r.status, 403, r.body)

        r = self.alice.client.request("POST", f"/api/v1/messages/{message_id}/recall")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), {"recalled": [DAVE], "kept": [CAROL, "bob@example.org"]})
        self.assertIn("message.recall", self.audit_types())
        # Dave's link is dead with the one pickup answer, even with a new MUC.
        r = self.alice.client.request(
            "POST", f"/api/v1/messages/{message_id}/muc", {"address": DAVE, "generate": True})
        self.assertEqual(r.status, 200, r.body)
        r = self.unlock(dave_link, r.json()["generated_muc"])
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(r.problem_type(), "pickup-not-found")
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        m = self.read(self.alice.client, message_id)
        by = {x["address"]: x for x in m["recipients"]}
        self.assertEqual(by[DAVE]["status"], "recalled")
        self.assertEqual(by[CAROL]["status"], "opened")
        self.assertFalse(m["can_recall"])
        r = self.alice.client.request("POST", f"/api/v1/messages/{message_id}/recall")
        self.assertEqual(r.status, 409, r.body)
        self.assertEqual(r.problem_type(), "nothing-to-recall")

    def test_recall_takes_an_unread_copy_out_of_a_members_inbox(self):
        r = self.send(["bob@example.org"], "UNREAD-7731")
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]
        inbox = self.bob.client.request("GET", "/api/v1/mailbox/inbox").json()["items"]
        self.assertIn(message_id, [i["id"] for i in inbox])
        r = self.alice.client.request("POST", f"/api/v1/messages/{message_id}/recall")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), {"recalled": ["bob@example.org"], "kept": []})
        inbox = self.bob.client.request("GET", "/api/v1/mailbox/inbox").json()["items"]
        self.assertNotIn(message_id, [i["id"] for i in inbox])
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 404, r.body)
        m = self.read(self.alice.client, message_id)  # the sender keeps it
        self.assertEqual(m["text"], "body of UNREAD-7731")
        self.assertEqual(m["recipients"][0]["status"], "recalled")

    def test_expiry_limits_and_cleanup(self):
        limits = self.alice.client.request("GET", "/api/v1/account").json()["limits"]
        self.assertEqual(limits["default_expiry_days"], 30)
        self.assertEqual(limits["max_expiry_days"], 90)
        for bad in (0, 91, -5, 2**63, -2**63):
            r = self.send([ERIN], "bad expiry", expires_in_days=bad)
            self.assertEqual(r.status, 400, r.body)
            self.assertEqual(r.problem_type(), "invalid-expiry")
            self.assertIn("between 1 and 90", r.json()["detail"])
        r = self.send([ERIN], "bad expiry", expires_in_days="3")
        self.assertEqual(r.status, 400, r.body)

        before = time.time()
        r = self.send([ERIN], "EXPIRY-7731", expires_in_days=2)
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]
        self.server.wait_for_mail_queue()
        link = self.link_for(ERIN)
        m = self.read(self.alice.client, message_id)
        expires = datetime.datetime.fromisoformat(m["expires_at"].replace("Z", "+00:00"))
        self.assertAlmostEqual(expires.timestamp() - before, 2 * 86400, delta=120)

        # Time runs out (moved in the database, as no test waits two days): the link answers the
        # one pickup answer at once, and the cleanup at the next server start drops the key.
        with self.server.db() as db:
            db.execute(f"UPDATE pickups SET expires_ms = 1000 WHERE message_id = '{message_id}'")
        r = self.unlock(link, "any-code-123")
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(r.problem_type(), "pickup-not-found")
        self.assertEqual(self.read(self.alice.client, message_id)["recipients"][0]["status"],
                         "expired")
        self.server.stop()
        self.server.start()
        for c in (self.guest, self.alice.client, self.bob.client):
            c.conn.close()
            c.conn = self.server.connect()
        deadline = time.time() + 20
        while True:
            with self.server.db() as db:
                state, key_len = db.execute(
                    "SELECT state, length(wrapped_key) FROM pickups "
                    f"WHERE message_id = '{message_id}'").fetchone()
            if state == 3 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(state, 3)
        self.assertEqual(key_len, 0)
        self.assertIn("pickup.expired", self.audit_types())
        r = self.unlock(link, "any-code-123")
        self.assertEqual(r.status, 404, r.body)
        m = self.read(self.alice.client, message_id)
        self.assertEqual(m["recipients"][0]["status"], "expired")
        self.assertFalse(m["can_recall"])

    def test_a_member_who_signed_up_elsewhere_claims_with_the_muc_once(self):
        """The address key is under the MUC; a member who did not enrol from the pickup page
        does not hold it, so the claim asks for the MUC once (counted like an unlock)."""
        r = self.send([FRED], "CLAIM-ONE-5512")
        self.assertEqual(r.status, 201, r.body)
        first, muc = r.json()["id"], r.json()["generated_mucs"][FRED]
        link1 = self.link_for(FRED)
        r = self.send([FRED], "CLAIM-TWO-5512")
        self.assertEqual(r.status, 201, r.body)
        second = r.json()["id"]
        link2 = self.link_for(FRED)
        fred = Member(self.server, FRED).login()
        r = fred.request("POST", "/api/v1/pickup/claim", {"link": link1})
        self.assertEqual((r.status, r.problem_type()), (403, "muc-needed"))
        r = fred.request("POST", "/api/v1/pickup/claim", {"link": link1, "muc": "WRONG-WRONG"})
        self.assertEqual((r.status, r.problem_type()), (403, "muc-wrong"))
        self.assertEqual(r.json()["remaining_tries"], 4)
        r = fred.request("POST", "/api/v1/pickup/claim", {"link": link1, "muc": muc})
        self.assertEqual((r.status, r.json()), (200, {"id": first}))
        # He holds the address key now: the next link needs no MUC.
        r = fred.request("POST", "/api/v1/pickup/claim", {"link": link2})
        self.assertEqual((r.status, r.json()), (200, {"id": second}))
        self.assertEqual(self.read(fred, second)["subject"], "CLAIM-TWO-5512")


if __name__ == "__main__":
    unittest.main()
