"""Registered mail over HTTPS (issue 14): Alice sends a registered message with an attachment to
Bob (a member) and to a guest. Until they accept, both see only the notice (sender, registered,
deadline): no subject, text or attachment, and the attachment download answers 409
acceptance-required. Bob accepts and then reads it; the guest, unlocked, refuses. A second
decision, a decision on a message that is not registered, and an acceptance deadline out of range
are clear problems. Alice then gets the receipts ConsignmentAcceptance (with ContentHandover) for
Bob and ConsignmentRejection for the guest, and each verifies with `openssl cms -verify` against
the platform root."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Member, Server

GUEST = "gina@example.net"
BOB = "bob@example.org"
SUBJECT = "REGISTERED-4471 notice of termination"


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, timeout=60, **kwargs)


class RegisteredMailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, BOB)
        cls.guest = cls.server.client()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-registered-")
        c = cls.server.client()
        r = c.request("GET", "/api/v1/pki/root.pem")
        assert r.status == 200, r.status
        with open(os.path.join(cls.dir, "root.pem"), "wb") as f:
            f.write(r.body)
        c.close()

    @classmethod
    def tearDownClass(cls):
        for c in (cls.guest, cls.alice.client, cls.bob.client):
            c.close()
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def problem(self, r, status, slug):
        self.assertEqual(r.status, status, r.body)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/problem+json"))
        self.assertEqual(r.json()["type"], "https://sealpost.dev/problems/" + slug, r.body)

    def send(self, body):
        return self.alice.client.request("POST", "/api/v1/messages", body)

    def wait_for_receipts(self, message_id, wanted, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}/receipts")
            self.assertEqual(r.status, 200, r.body)
            receipts = r.json()["receipts"]
            got = {(x["recipient"], x["event"]) for x in receipts}
            if wanted <= got:
                return receipts
            if time.monotonic() > deadline:
                self.fail(f"receipts after {timeout} s: {sorted(got)}")
            time.sleep(0.2)

    def assert_notice_only(self, view):
        self.assertEqual(view["from"]["email"], "alice@example.org")
        self.assertEqual(view["registered"]["state"], "pending")
        self.assertIn("deadline", view["registered"])
        self.assertEqual(view["subject"], "")
        self.assertEqual(view["text"], "")
        self.assertEqual(view["attachments"], [])
        self.assertEqual(view["content_withheld"]["reason"], "acceptance-required")
        self.assertNotIn("REGISTERED-4471", str(view))

    def test_member_accepts_guest_refuses_sender_gets_verifiable_receipts(self):
        r = self.alice.client.request("POST", "/api/v1/uploads", raw=b"the contract, signed",
                                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        upload = r.json()["id"]
        r = self.send({"to": [BOB, GUEST], "subject": SUBJECT, "text": "We terminate.",
                       "attachments": [{"upload_id": upload, "name": "contract.pdf"}],
                       "generate_mucs": True, "registered": True, "acceptance_days": 5})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]
        muc = r.json()["generated_mucs"][GUEST]

        # Bob: the notice only, in the list and in the message; the attachment stays shut.
        r = self.bob.client.request("GET", "/api/v1/mailbox/inbox")
        self.assertEqual(r.status, 200, r.body)
        item = next(x for x in r.json()["items"] if x["id"] == message_id)
        self.assertEqual(item["subject"], "")
        self.assertEqual(item["registered"]["state"], "pending")
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        self.assert_notice_only(r.json())
        self.problem(self.bob.client.request("GET", f"/api/v1/messages/{message_id}/attachments/0"),
                     409, "acceptance-required")

        # The guest: the notification names no subject; after unlock, the notice only.
        mail = self.server.mail_to(GUEST)
        self.assertNotIn("REGISTERED-4471", mail)
        link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", mail).group(1)
        r = self.guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": muc})
        self.assertEqual(r.status, 200, r.body)
        self.assert_notice_only(r.json())
        self.assertFalse(r.json()["can_reply"])
        token = r.json()["pickup_token"]
        self.problem(self.guest.request("GET", "/api/v1/pickup/attachments/0",
                                        headers={"X-Pickup-Token": token}),
                     409, "acceptance-required")

        # Bob accepts: the answer carries the content, and the attachment opens.
        r = self.bob.client.request("POST", f"/api/v1/messages/{message_id}/accept")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["subject"], SUBJECT)
        self.assertEqual(r.json()["text"], "We terminate.")
        self.assertEqual(r.json()["registered"]["state"], "accepted")
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}/attachments/0")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body, b"the contract, signed")
        self.problem(self.bob.client.request("POST", f"/api/v1/messages/{message_id}/refuse"),
                     409, "already-decided")

        # The guest refuses: still the notice; a second decision is refused.
        r = self.guest.request("POST", "/api/v1/pickup/refuse", headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["registered"]["state"], "refused")
        self.assertEqual(r.json()["subject"], "")
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        self.problem(self.guest.request("POST", "/api/v1/pickup/accept",
                                        headers={"X-Pickup-Token": token}), 409, "already-decided")
        self.problem(self.guest.request("POST", "/api/v1/pickup/accept",
                                        headers={"X-Pickup-Token": "x" * 43}),
                     404, "pickup-not-found")

        # Alice: the receipts of both decisions, each verifying with stock OpenSSL.
        wanted = {(BOB, "ConsignmentAcceptance"), (BOB, "ContentHandover"),
                  (GUEST, "ConsignmentRejection")}
        receipts = self.wait_for_receipts(message_id, wanted)
        events = [(x["recipient"], x["event"]) for x in receipts]
        self.assertEqual(events.count((BOB, "ContentHandover")), 1)
        self.assertNotIn((GUEST, "ContentHandover"), events)
        self.assertNotIn((GUEST, "ConsignmentAcceptance"), events)
        for n, item in enumerate(x for x in receipts if (x["recipient"], x["event"]) in wanted):
            r = self.alice.client.request("GET", item["href"])
            self.assertEqual(r.status, 200, r.body)
            path = os.path.join(self.dir, f"r{n}.p7m")
            with open(path, "wb") as f:
                f.write(r.body)
            v = run("openssl", "cms", "-verify", "-inform", "DER", "-in", path, "-binary",
                    "-CAfile", os.path.join(self.dir, "root.pem"), "-purpose", "any")
            self.assertEqual(v.returncode, 0, v.stderr)
            self.assertIn(b"Verification successful", v.stderr)
            document = v.stdout.decode()
            self.assertIn(f"event: {item['event']}\n", document)
            self.assertIn(f"message-id: {message_id}\n", document)
            self.assertIn(f"recipient: {item['recipient']}\n", document)
            self.assertIn("delivery-method: " + ("mailbox" if item["recipient"] == BOB
                                                 else "pickup") + "\n", document)
            # One byte flipped in the signed document: OpenSSL refuses it.
            der = bytearray(r.body)
            at = bytes(der).find(b"event: ")
            der[at] ^= 0x01
            with open(path + ".bad", "wb") as f:
                f.write(bytes(der))
            v = run("openssl", "cms", "-verify", "-inform", "DER", "-in", path + ".bad",
                    "-binary", "-CAfile", os.path.join(self.dir, "root.pem"), "-purpose", "any")
            self.assertNotEqual(v.returncode, 0)

    def test_clear_problems_for_decisions_that_cannot_be(self):
        r = self.send({"to": [BOB], "subject": "plain", "text": "not registered"})
        self.assertEqual(r.status, 201, r.body)
        plain = r.json()["id"]
        self.problem(self.bob.client.request("POST", f"/api/v1/messages/{plain}/accept"),
                     409, "not-registered")
        self.problem(self.bob.client.request("POST", f"/api/v1/messages/{plain}/refuse"),
                     409, "not-registered")
        # Only a recipient decides: the sender has nothing to accept; no session, no decision.
        self.problem(self.alice.client.request("POST", f"/api/v1/messages/{plain}/accept"),
                     409, "not-registered")
        anonymous = self.server.client()
        r = anonymous.request("POST", f"/api/v1/messages/{plain}/accept")
        self.assertEqual(r.status, 401, r.body)
        anonymous.close()
        self.problem(self.bob.client.request("POST", "/api/v1/messages/" + "0" * 32 + "/accept"),
                     404, "not-found")
        for days in (0, 91, -3):
            self.problem(self.send({"to": [BOB], "subject": "s", "registered": True,
                                    "acceptance_days": days}), 400, "invalid-deadline")
        self.problem(self.send({"to": [BOB], "subject": "s", "acceptance_days": 3}),
                     400, "invalid-deadline")


if __name__ == "__main__":
    unittest.main()
