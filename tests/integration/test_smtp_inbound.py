"""Sealpost as the MX of its domains, end to end: swaks (an outside mail server) delivers to the
inbound listener of a real `sealpost serve`; the member reads the message through the API in
clear, sealed by the inbound gateway; unknown addresses and other domains (also a member's
domain that [smtp.inbound] domains does not list) are refused at RCPT; nothing of the content
reaches the disk in clear."""

import os
import socket
import subprocess

from harness import Member, ServerTestCase

MARKER = "MX-marker-5e2b91"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()


def swaks(*args):
    return subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(PORT),
                           "--helo", "mx.outside.test", *args],
                          capture_output=True, text=True, timeout=60)


class SmtpInboundTest(ServerTestCase):
    server_options = {"extra_config": (
        f'\n[smtp.inbound]\nenabled = true\naddress = "127.0.0.1"\nport = {PORT}\n'
        'tls = "optional"\ndomains = ["Example.ORG"]\n')}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = Member(cls.server, "bob@example.org", "Bob Example")
        cls.bob.login()
        # A member, but of a domain [smtp.inbound] domains does not list.
        cls.carol = Member(cls.server, "carol@second.test", "Carol Second")

    def test_mail_from_outside_is_read_in_clear_and_stored_sealed(self):
        r = swaks("--from", "alice@outside.test", "--to", "bob@example.org",
                  "--header", f"Subject: Hello from outside {MARKER}",
                  "--body", f"Dear Bob, {MARKER}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("250 2.0.0", r.stdout)
        items = self.bob.client.request("GET", "/api/v1/mailbox/inbox?limit=50").json()["items"]
        mine = [i for i in items if MARKER in i.get("subject", "")]
        self.assertEqual(len(mine), 1, items)
        self.assertEqual(mine[0]["seal"]["kind"], "inbound")
        self.assertEqual(mine[0]["seal"]["status"], "valid")
        view = self.bob.client.request("GET", f"/api/v1/messages/{mine[0]['id']}")
        self.assertEqual(view.status, 200, view.body)
        body = view.json()
        self.assertIn(MARKER, body["text"])
        self.assertEqual(body["received"]["client_address"], "127.0.0.1")
        self.assertEqual(body["received"]["envelope_from"], "alice@outside.test")
        # libspf2 answers "pass" for a loopback client (its localhost rule) without asking DNS.
        self.assertEqual(body["received"]["spf"]["result"], "pass")
        self.assertEqual(body["received"]["dkim"]["result"], "none")
        # Zero-access: the marker is nowhere on disk in clear (database and blobs).
        self.assertNotIn(MARKER.encode(), self.server.raw_database_bytes())
        for root, _, files in os.walk(self.server.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    self.assertNotIn(MARKER.encode(), f.read(), name)

    def test_bounce_with_null_sender_is_accepted(self):
        r = swaks("--from", "<>", "--to", "bob@example.org", "--body", "delivery report")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_unknown_address_is_refused_at_rcpt(self):
        r = swaks("--from", "alice@outside.test", "--to", "nobody@example.org")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550 5.1.1", r.stdout)

    def test_other_domain_is_not_relayed(self):
        r = swaks("--from", "alice@outside.test", "--to", "someone@elsewhere.test")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550 5.7.1", r.stdout)
        self.assertHealthy()

    def test_a_members_domain_not_listed_is_not_served(self):
        r = swaks("--from", "alice@outside.test", "--to", "carol@second.test")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("550 5.7.1", r.stdout)
