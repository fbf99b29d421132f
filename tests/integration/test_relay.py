"""Outgoing mail through a real SMTP relay: a private Postfix on loopback (tests/postfix).
The confirmation mail of a sign-up must arrive over verified STARTTLS and its link must work;
mail goes through the durable outbound queue: a relay that refuses is not retried, one that is
down or lacks STARTTLS when TLS is required is retried with backoff and then given up, audited."""

import email
import json
import re
import time
import unittest

from harness import PASSWORD, Server, audit_events, plain_text
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
