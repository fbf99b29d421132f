"""Outgoing mail through a real SMTP relay: a private Postfix on loopback (tests/postfix).
The confirmation mail of a sign-up must arrive over verified STARTTLS and its link must work;
mail goes through the durable outbound queue: a relay that refuses is not retried, one that is
down or lacks STARTTLS when TLS is required is retried with backoff and then given up, audited.
A guest's pickup notification taken by the relay is consignment evidence with Postfix's own
reply: its "queued as" id, which Postfix's log names, is in the signed receipt."""

import email
import json
import os
import re
import subprocess
import tempfile
import time
import unittest

from harness import PASSWORD, Member, Server, audit_events, plain_text
from postfix_relay import Relay, free_port, relay_config


def mail_events(server):
    """(type, details) of the mail.* audit events, oldest first."""
    with server.db() as db:
        return [(e["type"], json.loads(e["details"])) for e in audit_events(db)
                if e["type"].startswith("mail.")]


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


class RelayTest(unittest.TestCase):
    def test_confirmation_mail_arrives_over_tls_and_its_link_works(self):
        relay = Relay(tls=True)
        server = Server(extra_config=relay_config(relay)).start()
        try:
            c = server.client()
            r = c.request("POST", "/api/v1/accounts",
                          {"email": "alice@example.org", "password": PASSWORD})
            self.assertEqual(r.status, 202, r.body)
            files = relay.delivered("alice", wait=30)
            self.assertEqual(len(files), 1)
            with open(files[0], "rb") as f:
                msg = email.message_from_bytes(f.read())
            self.assertIn("Confirm your", msg["Subject"])
            self.assertEqual(msg["Auto-Submitted"], "auto-generated")
            self.assertRegex(" ".join(msg.get_all("Received")), r"using TLSv1\.[23]")
            token = re.search(r"verify#token=([A-Za-z0-9_-]+)", plain_text(msg)).group(1)
            r = c.request("POST", "/api/v1/accounts/verify", {"token": token})
            self.assertEqual(r.status, 200, r.body)
            server.wait_for_mail_queue()
            self.assertEqual([t for t, _ in mail_events(server)], ["mail.sent"])

            # A recipient the relay refuses (5xx): the sign-up answers as always (it must not
            # tell whether mail works for an address), the mail is dropped at once — no retry —
            # and the refusal is in the audit log and the server log.
            r = c.request("POST", "/api/v1/accounts",
                          {"email": "reject@example.org", "password": PASSWORD})
            self.assertEqual(r.status, 202, r.body)
            server.wait_for_mail_queue()
            kind, details = mail_events(server)[-1]
            self.assertEqual(kind, "mail.failed")
            self.assertEqual(details["to"], "reject@example.org")
            self.assertEqual(details["attempts"], 1)
            self.assertTrue(details["permanent"])
            self.assertIn("5.7.1", details["error"])
            self.assertIn("gave up", server.read_log())
            self.assertEqual(relay.delivered("reject"), [])
        finally:
            server.cleanup()
            relay.stop()

    def test_the_consignment_receipt_carries_the_relays_reply(self):
        relay = Relay(tls=True)
        server = Server(extra_config=relay_config(relay)).start()
        work = tempfile.mkdtemp(prefix="sealpost-relay-receipt-")
        try:
            def token_from_relay(address):
                user, domain = address.split("@")
                files = relay.delivered(user, domain, wait=30)
                self.assertTrue(files, "no confirmation mail through the relay")
                for _, text in reversed(relay.texts(user, domain)):
                    m = re.search(r"verify#token=([A-Za-z0-9_-]+)", text)
                    if m:
                        return m.group(1)
                self.fail("no token in the relayed mail")
            server.outbox_token = token_from_relay
            alice = Member(server, "alice@example.org")
            r = alice.client.request("POST", "/api/v1/messages",
                                     {"to": ["carol@example.net"], "subject": "RELAY-RECEIPT",
                                      "text": "hello", "generate_mucs": True})
            self.assertEqual(r.status, 201, r.body)
            message_id = r.json()["id"]
            self.assertTrue(relay.delivered("carol", "example.net", wait=30))

            receipt = None
            deadline = time.monotonic() + 30
            while receipt is None and time.monotonic() < deadline:
                r = alice.client.request("GET", f"/api/v1/messages/{message_id}/receipts")
                self.assertEqual(r.status, 200, r.body)
                receipt = next((x for x in r.json()["receipts"]
                                if x["event"] == "ContentConsignment"), None)
                time.sleep(0.2)
            self.assertIsNotNone(receipt, "no ContentConsignment receipt")
            der = alice.client.request("GET", receipt["href"])
            self.assertEqual(der.status, 200)
            root = alice.client.request("GET", "/api/v1/pki/root.pem")
            for name, body in (("r.p7m", der.body), ("root.pem", root.body)):
                with open(os.path.join(work, name), "wb") as f:
                    f.write(body)
            res = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", "r.p7m",
                                  "-binary", "-CAfile", "root.pem", "-purpose", "any"],
                                 cwd=work, capture_output=True, text=True, timeout=60)
            self.assertEqual(res.returncode, 0, res.stderr)
            m = re.search(r"^reason: localhost replied: 250 2\.0\.0 Ok: queued as (\w+)$",
                          res.stdout, re.M)
            self.assertIsNotNone(m, res.stdout)
            with open(os.path.join(relay.dir, "maillog"), errors="replace") as f:
                self.assertIn(m.group(1) + ": ", f.read())
            with server.db() as db:
                notified = [json.loads(e["details"]) for e in audit_events(db)
                            if e["type"] == "pickup.notified"]
            self.assertEqual(len(notified), 1)
            self.assertEqual(notified[0]["relay"], "localhost")
            self.assertIn("queued as " + m.group(1), notified[0]["reply"])
            alice.client.close()
        finally:
            server.cleanup()
            relay.stop()
            subprocess.run(["rm", "-rf", work])

    def test_relay_without_starttls_is_not_used_when_tls_is_required(self):
        relay = Relay(tls=False)
        server = Server(extra_config=relay_config(relay)).start()
        try:
            c = server.client()
            r = c.request("POST", "/api/v1/accounts",
                          {"email": "alice@example.org", "password": PASSWORD})
            self.assertEqual(r.status, 202, r.body)
            # Retried (the relay may be fixed), never sent in clear, then given up.
            self.assertTrue(wait_for(lambda: any(t == "mail.failed"
                                                 for t, _ in mail_events(server))))
            _, details = mail_events(server)[-1]
            self.assertGreaterEqual(details["attempts"], 2)
            self.assertFalse(details["permanent"])
            self.assertIn("STARTTLS", details["error"])
            self.assertEqual(relay.delivered("alice"), [])
            self.assertIn("retrying in", server.read_log())
        finally:
            server.cleanup()
            relay.stop()

    def test_relay_down_is_retried_with_backoff_then_given_up(self):
        class Down:
            port = free_port()
            dir = "/nonexistent"
        server = Server(extra_config=relay_config(Down)).start()
        try:
            r = server.client().request("POST", "/api/v1/accounts",
                                        {"email": "alice@example.org", "password": PASSWORD})
            self.assertEqual(r.status, 202, r.body)
            # While it retries, the mail waits in the queue, sealed: the link is not readable
            # from the database.
            self.assertTrue(wait_for(lambda: self._attempts(server) >= 1))
            with server.db() as db:
                sealed = db.execute("SELECT sealed_mail FROM outbound_mail").fetchone()[0]
            self.assertNotIn(b"verify#token", sealed)
            self.assertNotIn(b"alice", sealed)
            self.assertTrue(wait_for(lambda: any(t == "mail.failed"
                                                 for t, _ in mail_events(server))))
            _, details = mail_events(server)[-1]
            self.assertGreaterEqual(details["attempts"], 2)
            server.wait_for_mail_queue()  # given up: nothing left behind
        finally:
            server.cleanup()

    @staticmethod
    def _attempts(server):
        with server.db() as db:
            row = db.execute("SELECT max(attempts) FROM outbound_mail").fetchone()
        return row[0] or 0


if __name__ == "__main__":
    unittest.main()
