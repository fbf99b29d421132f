"""Guests (issue 5): a member sends to an address that is not a member. The notification goes
through the real Postfix relay (tests/postfix) into the guest's Maildir; the test follows its
link over HTTPS and unlocks with the MUC, then checks the bad inputs, the lock after 5 wrong
MUCs (and the sender's new MUC), the privacy headers, and that no log holds the link secret."""

import glob
import http.client
import json
import os
import re
import secrets
import socket
import unittest
import urllib.parse

from harness import Member, Server, audit_events, current_step, totp
from postfix_relay import Relay, relay_config

GUEST = "carol@example.net"  # a Maildir of the test Postfix, and not a member


class GuestPickupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(tls=True)
        cls.server = Server(extra_config=relay_config(cls.relay)).start()
        # Members' confirmation mails also go through Postfix: read their tokens from there.
        cls.server.outbox_token = cls.relay.confirmation_token
        cls.alice = Member(cls.server, "alice@example.org", display_name="Alice Sender")
        cls.bob = Member(cls.server, "bob@example.org")
        cls.guest = cls.server.client()  # the guest's browser: no session

    @classmethod
    def tearDownClass(cls):
        try:
            for c in (cls.guest, cls.alice.client, cls.bob.client):
                c.close()
            cls.server.cleanup()
        finally:
            cls.relay.stop()

    def wait_for_link(self, count):
        """The link secret of notification number `count` (1-based) to the guest."""
        subject, text = self.relay.wait_for("carol", "example.net", "/pickup#", count)[count - 1]
        return subject, text, re.search(r"/pickup#([A-Za-z0-9_-]{43})", text).group(1)

    def unlock(self, link, muc):
        return self.guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": muc})

    def test_full_flow_bad_input_lock_and_logs(self):
        a = self.alice.client
        # Without a MUC for a new guest: muc-required naming the address, nothing sent.
        r = a.request("POST", "/api/v1/messages",
                      {"to": [GUEST], "subject": "GUEST-SUBJECT-7731", "text": "x"})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "muc-required")
        self.assertEqual(r.json()["addresses"], [GUEST])
        # A recipient with CR/LF (header injection): refused, nothing queued or sent.
        r = a.request("POST", "/api/v1/messages",
                      {"to": [GUEST + "\r\nBcc: bob@example.org"], "subject": "s", "text": "t",
                       "generate_mucs": True})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "invalid-recipient")
        # A 1 MB MUC in a send: refused.
        r = a.request("POST", "/api/v1/messages",
                      {"to": [GUEST], "subject": "s", "text": "t", "mucs": {GUEST: "x" * 2**20}})
        self.assertEqual(r.status, 400, r.body)
        self.server.wait_for_mail_queue()
        self.assertEqual(self.relay.delivered("carol", "example.net"), [])
        self.assertEqual(len(self.relay.delivered("bob")), 1)  # only his confirmation

        # With an attachment and a generated MUC (returned once).
        r = a.request("POST", "/api/v1/uploads", raw=b"GUEST-ATTACHMENT-7731",
                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        upload = r.json()["id"]
        r = a.request("POST", "/api/v1/messages",
                      {"to": [GUEST], "subject": "GUEST-SUBJECT-7731", "text": "GUEST-BODY-7731",
                       "attachments": [{"upload_id": upload, "name": "report.txt"}],
                       "generate_mucs": True})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]
        muc = r.json()["generated_mucs"][GUEST]
        self.assertRegex(muc, r"^[A-Z2-7]{5}-[A-Z2-7]{5}$")

        subject, text, link = self.wait_for_link(1)
        for marker in ("GUEST-SUBJECT", "GUEST-BODY", "report.txt", muc):
            self.assertNotIn(marker, subject + text)
        self.assertIn("alice@example.org", text)
        self.assertIn("Alice Sender", text)

        # The link alone, a malformed link, a wrong link, an oversized MUC.
        r = self.unlock(link, "")
        self.assertEqual((r.status, r.problem_type()), (403, "muc-wrong"))
        self.assertEqual(r.json()["remaining_tries"], 4)
        for bad in ("", "not-a-link", "x" * 43, secrets.token_urlsafe(32)):
            r = self.unlock(bad, muc)
            self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"), bad)
        c = self.guest
        # A 1 MB MUC: refused from the Content-Length alone (the server answers and closes
        # without reading the body, so only the headers are sent here).
        raw = socket.create_connection(("127.0.0.1", self.server.port))
        tls = self.server.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(b"POST /api/v1/pickup/unlock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % (2**20 + 30))
        response = http.client.HTTPResponse(tls)
        response.begin()
        response.read()
        tls.close()
        self.assertEqual(response.status, 413)
        # Within the body limit but far beyond a MUC: refused before any argon2id work.
        r = c.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": "x" * 3000})
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-muc"))

        # The link with the MUC: the message, sealed, with privacy headers.
        r = self.unlock(link, muc)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        view = r.json()
        self.assertEqual(view["id"], message_id)
        self.assertEqual(view["subject"], "GUEST-SUBJECT-7731")
        self.assertEqual(view["text"], "GUEST-BODY-7731")
        self.assertEqual(view["to"], [GUEST])
        self.assertEqual(view["seal"]["status"], "valid")
        self.assertEqual(view["attachments"][0]["name"], "report.txt")
        r = c.request("GET", "/api/v1/pickup/attachments/0",
                      headers={"X-Pickup-Token": view["pickup_token"]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.body, b"GUEST-ATTACHMENT-7731")
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        self.assertEqual(r.headers.get("referrer-policy"), "no-referrer")
        r = c.request("GET", "/api/v1/pickup/attachments/0", headers={"X-Pickup-Token": link})
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        r = c.request("GET", "/api/v1/pickup/attachments/0")
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))

        # Bob writes too: no MUC asked, his own link, the same MUC.
        r = self.bob.login().request("POST", "/api/v1/messages",
                                     {"to": [GUEST], "subject": "from bob", "text": "hi"})
        self.assertEqual(r.status, 201, r.body)
        self.assertNotIn("generated_mucs", r.json())
        _, _, link_b = self.wait_for_link(2)
        self.assertNotEqual(link, link_b)
        r = self.unlock(link_b, muc)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["subject"], "from bob")

        # Brute force: locked at the 5th wrong MUC; then even the right one is refused.
        for left in (4, 3, 2, 1):
            r = self.unlock(link, "WRONG-%d-CODE" % left)
            self.assertEqual((r.status, r.problem_type()), (403, "muc-wrong"))
            self.assertEqual(r.json()["remaining_tries"], left)
        r = self.unlock(link, "WRONG-0-CODE")
        self.assertEqual((r.status, r.problem_type()), (423, "muc-locked"))
        r = self.unlock(link_b, muc)
        self.assertEqual((r.status, r.problem_type()), (423, "muc-locked"))
        # Both senders are told (through Postfix).
        for user in ("alice", "bob"):
            self.relay.wait_for(user, "example.org", "locked")
        with self.server.db() as db:
            types = [e["type"] for e in audit_events(db)]
        self.assertIn("guest.muc_locked", types)
        self.assertIn("pickup.unlock", types)
        self.assertIn("pickup.unlock_failed", types)

        # Only a sender may issue a new MUC; it unlocks.
        # The address travels in the body, so no access log line holds it.
        path = f"/api/v1/messages/{message_id}/muc"
        r = self.bob.client.request("POST", path, {"address": GUEST, "generate": True})
        self.assertEqual(r.status, 404, r.body)
        r = a.request("POST", path, {"address": GUEST, "muc": "short"})
        self.assertEqual(r.status, 400, r.body)
        r = a.request("POST", path, {"address": GUEST, "muc": "a-new-code-42"})
        self.assertEqual(r.status, 200, r.body)
        access = [l for l in self.server.read_log().splitlines() if "http POST" in l]
        self.assertTrue(any("/muc " in l for l in access), access[-3:])
        self.assertFalse([l for l in access if GUEST in l])
        self.assertEqual(self.unlock(link, muc).status, 403)
        self.assertEqual(self.unlock(link, "a-new-code-42").status, 200)
        # The new MUC is a new address key: Alice's pickups were re-sealed to it as she issued
        # it; Bob's waits (no MUC counted) until Bob is back and lists a folder.
        r = self.unlock(link_b, "a-new-code-42")
        self.assertEqual((r.status, r.problem_type()), (409, "pickup-waits-for-sender"))
        self.assertEqual(self.bob.client.request("GET", "/api/v1/mailbox/sent").status, 200)
        self.assertEqual(self.unlock(link_b, "a-new-code-42").status, 200)

        # No log holds a link secret or the MUCs; the database holds no content.
        self.server.wait_for_mail_queue()
        with open(self.server.out.name) as f:
            logs = f.read() + self.server.read_log()
        maillog = os.path.join(self.relay.dir, "maillog")
        if os.path.exists(maillog):
            with open(maillog, errors="replace") as f:
                logs += f.read()
        self.assertIn("pickup", logs)  # the requests were logged at all
        for secret in (link, link_b, muc, "a-new-code-42"):
            self.assertNotIn(secret, logs)
        # The database engine's own files (SQLite file and WAL, or PostgreSQL's relation files
        # and WAL) and everything in the data directory (delivered mail is never in it).
        data = self.server.raw_database_bytes()
        for p in glob.glob(os.path.join(self.server.data_dir, "**", "*"), recursive=True):
            if os.path.isfile(p):
                with open(p, "rb") as f:
                    data += f.read()
        for secret in (link, link_b, muc, "GUEST-SUBJECT-7731", "GUEST-BODY-7731",
                       "GUEST-ATTACHMENT-7731"):
            self.assertNotIn(secret.encode(), data)

    def test_enrolment_reseals_each_waiting_message_by_its_path(self):
        """Frank (a guest) enrols from the first message he opens: that one is in his inbox at
        once. Bob's message waits until Bob is back with his keys; Alice's until Frank opens its
        link while logged in. Each link stops working once its message is re-sealed."""
        frank = "frank@example.net"
        r = self.alice.client.request("POST", "/api/v1/messages", {
            "to": [frank], "subject": "first", "text": "FIRST-5830", "mucs": {frank: "FRANK-CODE-1"}})
        self.assertEqual(r.status, 201, r.body)
        first = r.json()["id"]
        _, _, link1 = self.wait_link_of("frank", 1)
        r = self.bob.client.request("POST", "/api/v1/messages",
                                    {"to": [frank], "subject": "from bob", "text": "BOB-5830"})
        self.assertEqual(r.status, 201, r.body)
        from_bob = r.json()["id"]
        _, _, link2 = self.wait_link_of("frank", 2)
        r = self.alice.client.request("POST", "/api/v1/messages",
                                      {"to": [frank], "subject": "third", "text": "THIRD-5830"})
        self.assertEqual(r.status, 201, r.body)
        third = r.json()["id"]
        _, _, link3 = self.wait_link_of("frank", 3)

        browser = self.server.client()
        r = browser.request("POST", "/api/v1/pickup/unlock", {"link": link1, "muc": "FRANK-CODE-1"})
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.json()["can_enrol"])
        token = r.json()["pickup_token"]
        r = browser.request("POST", "/api/v1/pickup/enrol", {"password": "short"},
                            headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 400, r.body)  # the sign-up password rules hold
        r = browser.request("POST", "/api/v1/pickup/enrol",
                            {"password": "frank's long passphrase 5830", "display_name": "Frank"},
                            headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        enrolled = r.json()
        self.assertEqual(enrolled["user"]["email"], frank)
        self.assertTrue(enrolled["recovery_code"])
        self.assertEqual(enrolled["status"], "totp_setup_required")  # the default policy
        # The token died with its pickup (the message is the member's now): no second account.
        r = browser.request("POST", "/api/v1/pickup/enrol", {"password": "another passphrase 1"},
                            headers={"X-Pickup-Token": token})
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        r = browser.request("GET", "/api/v1/pickup/attachments/0", headers={"X-Pickup-Token": token})
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        # TOTP set-up, as after any first log-in.
        r = browser.request("POST", "/api/v1/account/totp")
        self.assertEqual(r.status, 200, r.body)
        secret = urllib.parse.parse_qs(urllib.parse.urlparse(r.json()["otpauth_uri"]).query)["secret"][0]
        r = browser.request("POST", "/api/v1/account/totp/confirm", {"code": totp(secret, current_step())})
        self.assertEqual(r.status, 200, r.body)

        def inbox():
            r = browser.request("GET", "/api/v1/mailbox/inbox")
            self.assertEqual(r.status, 200, r.body)
            return [m["id"] for m in r.json()["items"]], [w["id"] for w in r.json()["waiting"]]

        # The opened message is his at once; the link is dead; the others wait, with sender.
        self.assertEqual(inbox(), ([first], [from_bob, third]))
        r = browser.request("GET", "/api/v1/messages/" + first)
        self.assertEqual((r.status, r.json()["text"]), (200, "FIRST-5830"))
        r = browser.request("GET", "/api/v1/mailbox/inbox")
        self.assertEqual(r.json()["waiting"][0]["from"]["email"], "bob@example.org")
        r = self.unlock(link1, "FRANK-CODE-1")
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        # A waiting link answers "log in" rather than asking for the (gone) MUC.
        r = self.unlock(link2, "FRANK-CODE-1")
        self.assertEqual((r.status, r.problem_type()), (409, "pickup-enrolled"))
        r = browser.request("GET", "/api/v1/messages/" + from_bob)
        self.assertEqual(r.status, 404, r.body)  # not his yet: no key reaches him

        # Bob is back (any folder listing with his session): his message is re-sealed.
        r = self.bob.client.request("GET", "/api/v1/mailbox/sent")
        self.assertEqual(r.status, 200, r.body)
        items, waiting = inbox()
        self.assertEqual((sorted(items), waiting), (sorted([first, from_bob]), [third]))
        r = browser.request("GET", "/api/v1/messages/" + from_bob)
        self.assertEqual((r.status, r.json()["text"]), (200, "BOB-5830"))
        r = self.unlock(link2, "FRANK-CODE-1")
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))

        # Frank opens Alice's link while logged in: claimed now. Not someone else's link.
        r = self.bob.client.request("POST", "/api/v1/pickup/claim", {"link": link3})
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        r = browser.request("POST", "/api/v1/pickup/claim", {"link": "x" * 43})
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        r = browser.request("POST", "/api/v1/pickup/claim", {"link": link3})
        self.assertEqual((r.status, r.json()), (200, {"id": third}))
        self.assertEqual(inbox()[1], [])
        r = browser.request("GET", "/api/v1/messages/" + third)
        self.assertEqual((r.status, r.json()["text"]), (200, "THIRD-5830"))
        r = browser.request("POST", "/api/v1/pickup/claim", {"link": link3})
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        # The senders see each message as in Frank's inbox now (opened: the one he enrolled from).
        for client, message, expected in ((self.alice.client, first, "opened"),
                                          (self.bob.client, from_bob, "delivered"),
                                          (self.alice.client, third, "delivered")):
            r = client.request("GET", "/api/v1/messages/" + message)
            self.assertEqual(r.json()["recipients"][0]["status"], expected, message)
        # Later messages to Frank go straight to his inbox, without a MUC.
        r = self.alice.client.request("POST", "/api/v1/messages",
                                      {"to": [frank], "subject": "member now", "text": "x"})
        self.assertEqual(r.status, 201, r.body)
        self.assertIn(r.json()["id"], inbox()[0])
        with self.server.db() as db:
            types = {e["type"] for e in audit_events(db)}
        self.assertTrue({"user.enrol_guest", "pickup.resealed"} <= types, types)

    def test_refused_notification_is_reported_to_the_sender(self):
        """The relay refuses the guest's address (5xx): nothing is retried, the failure is
        audited and the sender gets a report through the relay."""
        r = self.bob.client.request("POST", "/api/v1/messages", {
            "to": ["reject@example.org"], "subject": "REFUSED-SUBJECT-4410", "text": "x",
            "mucs": {"reject@example.org": "REJECT-CODE-1"}})
        self.assertEqual(r.status, 201, r.body)
        message = r.json()["id"]
        subject, text = self.relay.wait_for("bob", "example.org", "reject@example.org")[-1]
        self.assertIn("not delivered", subject)
        self.assertIn("5.7.1", text)
        self.assertNotIn("REFUSED-SUBJECT-4410", subject + text)  # no content in the report
        self.assertEqual(self.relay.delivered("reject"), [])
        with self.server.db() as db:
            failed = [json.loads(e["details"]) for e in audit_events(db)
                      if e["type"] == "mail.failed"]
        self.assertTrue(any(f["to"] == "reject@example.org" and f["permanent"] for f in failed),
                        failed)
        # …and the sender's view says so.
        r = self.bob.client.request("GET", "/api/v1/messages/" + message)
        self.assertEqual([(x["address"], x["status"]) for x in r.json()["recipients"]],
                         [("reject@example.org", "failed")])

    def test_secure_reply_and_reply_all(self):
        """Dave (a guest) answers from the portal with an attachment, to everyone: Alice and Bob
        (members) get it in their inboxes sealed by the portal, in the same thread; Erin (another
        guest) gets a notification and opens it with her own MUC."""
        a = self.alice.client
        r = a.request("POST", "/api/v1/messages",
                      {"to": ["dave@example.net", "bob@example.org", "erin@example.net"],
                       "subject": "Contract", "text": "please sign",
                       "mucs": {"dave@example.net": "DAVE-CODE-1", "erin@example.net": "ERIN-CODE-1"}})
        self.assertEqual(r.status, 201, r.body)
        original = r.json()["id"]
        _, _, link = self.wait_link_of("dave", 1)
        r = self.unlock(link, "DAVE-CODE-1")
        self.assertEqual(r.status, 200, r.body)
        view = r.json()
        self.assertEqual(view["thread_id"], original)
        self.assertEqual(view["reply_all"],
                         ["alice@example.org", "bob@example.org", "erin@example.net"])
        self.assertTrue(view["can_enrol"])
        self.assertEqual(view["limits"]["max_upload_bytes"], 100 << 20)  # the default limit
        token = view["pickup_token"]

        # Bad input first: nothing is sent.
        r = self.guest.request("POST", "/api/v1/pickup/uploads", raw=b"x",
                               headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 404, r.body)
        r = self.guest.request("POST", "/api/v1/pickup/reply", {"text": "x"},
                               headers={"X-Pickup-Token": link})  # the link is not a token
        self.assertEqual((r.status, r.problem_type()), (404, "pickup-not-found"))
        r = self.guest.request("POST", "/api/v1/pickup/reply", {"text": "x" * (2 << 20)},
                               headers={"X-Pickup-Token": token})
        self.assertIn(r.status, (400, 413), r.body)
        r = self.guest.request("POST", "/api/v1/pickup/reply", {"text": "x", "cc": []},
                               headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 400, r.body)
        # An upload of one member is not an upload of the pickup.
        r = a.request("POST", "/api/v1/uploads", raw=b"alice's", headers={
            "Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        r = self.guest.request("POST", "/api/v1/pickup/reply",
                               {"text": "x", "attachments": [{"upload_id": r.json()["id"],
                                                              "name": "a.txt"}]},
                               headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("does not exist", r.json()["detail"])

        r = self.guest.request("POST", "/api/v1/pickup/uploads", raw=b"SIGNED-CONTRACT-5521",
                               headers={"X-Pickup-Token": token,
                                        "Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        upload = r.json()["id"]
        r = self.guest.request("POST", "/api/v1/pickup/reply",
                               {"text": "REPLY-BODY-5521", "reply_all": True,
                                "attachments": [{"upload_id": upload, "name": "signed.txt",
                                                 "content_type": "text/plain"}]},
                               headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        reply = r.json()
        self.assertEqual(reply["to"], ["alice@example.org", "bob@example.org", "erin@example.net"])
        # The upload went with the reply: it cannot be sent twice.
        r = self.guest.request("POST", "/api/v1/pickup/reply",
                               {"text": "again", "attachments": [{"upload_id": upload,
                                                                  "name": "signed.txt"}]},
                               headers={"X-Pickup-Token": token})
        self.assertEqual(r.status, 400, r.body)

        for member in (self.alice, self.bob):
            r = member.client.request("GET", "/api/v1/messages/" + reply["id"])
            self.assertEqual(r.status, 200, r.body)
            m = r.json()
            self.assertEqual(m["subject"], "Re: Contract")
            self.assertEqual(m["text"], "REPLY-BODY-5521")
            self.assertEqual(m["from"]["email"], "dave@example.net")
            self.assertEqual(m["seal"], {"status": "valid", "signer": "dave@example.net",
                                         "kind": "portal"})
            self.assertEqual((m["thread_id"], m["in_reply_to"]), (original, original))
            r = member.client.request("GET", f"/api/v1/messages/{reply['id']}/attachments/0")
            self.assertEqual((r.status, r.body), (200, b"SIGNED-CONTRACT-5521"))

        # Alice's status for the original: Dave replied, Bob is a member, Erin only notified
        # (once the relay has taken her notification).
        self.server.wait_for_mail_queue()
        r = a.request("GET", "/api/v1/messages/" + original)
        status = {x["address"]: x["status"] for x in r.json()["recipients"]}
        self.assertEqual(status, {"dave@example.net": "replied", "bob@example.org": "delivered",
                                  "erin@example.net": "notified"})
        # Erin, a guest too, is notified of the reply and opens it with her own MUC.
        _, _, erin_link = self.wait_link_of("erin", 2)
        r = self.unlock(erin_link, "ERIN-CODE-1")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["id"], r.json()["text"]), (reply["id"], "REPLY-BODY-5521"))
        self.assertEqual(r.json()["seal"]["kind"], "portal")

        # Alice answers Dave in the same thread.
        r = a.request("POST", "/api/v1/messages",
                      {"to": ["dave@example.net"], "subject": "Re: Contract", "text": "thanks",
                       "in_reply_to": reply["id"]})
        self.assertEqual(r.status, 201, r.body)
        r = a.request("GET", "/api/v1/messages/" + r.json()["id"])
        self.assertEqual((r.json()["thread_id"], r.json()["in_reply_to"]), (original, reply["id"]))
        r = a.request("POST", "/api/v1/messages",
                      {"to": ["dave@example.net"], "text": "x", "in_reply_to": "0" * 32})
        self.assertEqual(r.status, 400, r.body)

    def wait_link_of(self, user, count):
        subject, text = self.relay.wait_for(user, "example.net", "/pickup#", count)[count - 1]
        return subject, text, re.search(r"/pickup#([A-Za-z0-9_-]{43})", text).group(1)


if __name__ == "__main__":
    unittest.main()
