"""Real Postfix in front of and beside Sealpost's SMTP gateway (docs/smtp-gateway.md), three
private instances on loopback (tests/postfix/postfix.sh):

- "org", the organisation's mail server, with `relayhost` = Sealpost's relay listener
  ([smtp.relay], client network 127.0.0.0/8): swaks submits to it as a member's mail program
  would; under the "tag" policy a tagged message (with a PDF attached) ends up in bob's Sealpost
  inbox sealed by the gateway on alice's behalf, the tag gone from the subject, the attachment an
  attachment; a tagged message to an outside address becomes a pickup whose code is in alice's
  inbox; an untagged one is relayed unchanged to Sealpost's [mail] relay; a non-member sender is
  refused and Postfix bounces it.
- "smarthost", Sealpost's own [mail] relay, whose Maildirs show what Sealpost sent out.
- "outside", an outside server whose transport map routes example.org to Sealpost's MX
  ([smtp.inbound]): the message is in bob's inbox sealed by the inbound gateway.

The faces and the flow are also tested in C++ (src/smtp/relay_face_test.cpp,
src/app/gateway_author_test.cpp, src/app/mail_submission_test.cpp)."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import PASSWORD, Member, Server
from postfix_relay import POSTFIX, Relay, free_port, relay_config

PDF = b"%PDF-1.4\n% Sealpost relay test\n" + bytes(range(256)) + b"\n%%EOF\n"


class Postfix:
    """A private Postfix started with extra options (--relayhost, --transport)."""

    def __init__(self, *options):
        self.dir = tempfile.mkdtemp(prefix="sealpost-postfix-")
        os.chmod(self.dir, 0o755)  # Postfix's daemons run as the postfix user
        self.port = free_port()
        r = subprocess.run(["bash", POSTFIX, "start", self.dir, str(self.port), *options],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("cannot start Postfix: " + r.stdout + r.stderr)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_for_log(self, pattern, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.log())
            if m:
                return m
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} not in Postfix's log:\n{self.log()[-3000:]}")

    def stop(self):
        subprocess.run(["bash", POSTFIX, "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def swaks(port, *args):
    return subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(port),
                           "--timeout", "30", *args],
                          capture_output=True, text=True, timeout=120)


def queue_id(swaks_run):
    """Postfix's queue id of the message swaks handed it ("250 2.0.0 Ok: queued as …")."""
    m = re.search(r"250 2\.0\.0 Ok: queued as (\w+)", swaks_run.stdout)
    assert m, swaks_run.stdout + swaks_run.stderr
    return m.group(1)


class SmtpRelayPostfixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = []
        try:
            cls.start()
        except Exception:
            try:
                cls.stop_all()
            except Exception:
                pass  # the failure to report is the first one
            raise

    @classmethod
    def start(cls):
        cls.smarthost = Relay(tls=True)
        cls.started.append(cls.smarthost)
        cls.server = Server(extra_config=relay_config(cls.smarthost) + """
[smtp.relay]
enabled = true
address = "127.0.0.1"
tls = "optional"
client_networks = ["127.0.0.0/8"]

[smtp.inbound]
enabled = true
address = "127.0.0.1"
tls = "optional"

[smtp_policy]
policy = "tag"
""")
        cls.started.append(cls.server)
        cls.server.start()
        # Members' confirmation mail goes out through the smarthost too.
        cls.server.outbox_token = cls.smarthost.confirmation_token
        s = cls.server
        r = s.client().request("POST", "/api/v1/setup/admin",
                               {"token": s.bootstrap_token, "email": "root@example.org",
                                "password": PASSWORD})
        assert r.status == 201, r.body
        cls.alice = Member(s, "alice@example.org")
        cls.bob = Member(s, "bob@example.org")
        for m in (cls.alice, cls.bob):
            m.login()
        relay_port = s.smtp_ports["relay"]
        inbound_port = s.smtp_ports["inbound"]
        cls.org = Postfix("--relayhost", f"127.0.0.1:{relay_port}")
        cls.started.append(cls.org)
        cls.outside = Postfix("--transport", f"example.org=127.0.0.1:{inbound_port}")
        cls.started.append(cls.outside)
        cls.pdf = os.path.join(cls.org.dir, "contract.pdf")
        with open(cls.pdf, "wb") as f:
            f.write(PDF)

    @classmethod
    def stop_all(cls):
        """The Postfix instances first (they may still be handing mail to Sealpost), then the
        server — whose unclean exit fails the test — then its smarthost."""
        failures = []
        for thing in reversed(cls.started):
            try:
                thing.cleanup() if isinstance(thing, Server) else thing.stop()
            except Exception as e:  # the others still stop
                failures.append(e)
        if failures:
            raise failures[0]

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()

    def attachment(self, member, message_id, index):
        conn = self.server.connect()
        conn.request("GET", f"/api/v1/messages/{message_id}/attachments/{index}",
                     headers={"Cookie": member.client.cookie_header()})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        self.assertEqual(r.status, 200, body[:300])
        return body

    def test_tagged_message_with_attachment_is_sealed_by_the_gateway(self):
        marker = uuid.uuid4().hex
        r = swaks(self.org.port, "--from", "alice@example.org", "--to", "bob@example.org",
                  "--header", f"Subject: [secure] contract {marker}",
                  "--body", f"The signed contract, {marker}.",
                  "--attach-type", "application/pdf", "--attach-name", "contract.pdf",
                  "--attach", "@" + self.pdf)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Postfix took it, then handed it to Sealpost's relay listener over STARTTLS.
        relay_port = self.server.smtp_ports["relay"]
        self.org.wait_for_log(rf"{queue_id(r)}: to=<bob@example\.org>, relay=127\.0\.0\.1\["
                              rf"127\.0\.0\.1\]:{relay_port},.*status=sent "
                              r"\(250 2\.0\.0 Ok: sealed as ")
        self.assertRegex(self.org.log(),
                         rf"TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:{relay_port}")

        received = self.bob.find_message("inbox", marker)
        self.assertIsNotNone(received, "the relayed message is not in bob's inbox")
        self.assertEqual(received["from"]["email"], "alice@example.org")
        self.assertEqual(received["seal"]["kind"], "gateway")
        self.assertEqual(received["seal"]["status"], "valid")
        self.assertEqual(received["subject"], f"contract {marker}")  # the tag is gone
        self.assertIn(f"The signed contract, {marker}.", received["text"])
        self.assertEqual([(a["name"], a["content_type"]) for a in received["attachments"]],
                         [("contract.pdf", "application/pdf")])
        self.assertEqual(self.attachment(self.bob, received["id"], 0), PDF)
        # Alice's Sent copy, same seal; nothing of it went out in clear through the smarthost.
        sent = self.alice.find_message("sent", marker)
        self.assertIsNotNone(sent, "not in alice's Sent folder")
        self.assertEqual(sent["seal"]["kind"], "gateway")
        self.assertEqual(self.attachment(self.alice, sent["id"], 0), PDF)
        self.assertEqual([t for s, t in self.smarthost.texts("bob") if marker in s + t], [])
        self.assertNotIn(marker.encode(), self.server.raw_database_bytes())

    def test_tagged_message_to_an_outside_address_becomes_a_pickup(self):
        marker = uuid.uuid4().hex
        r = swaks(self.org.port, "--from", "alice@example.org", "--to", "carol@example.net",
                  "--header", f"Subject: [SECURE] loan {marker}", "--body", f"Figures {marker}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # The unlock code is in alice's own inbox, sealed by the gateway for her.
        notice = self.alice.find_message("inbox", f"loan {marker}")
        self.assertIsNotNone(notice, "no unlock codes in alice's inbox")
        self.assertEqual(notice["subject"], f"Unlock codes for your message \"loan {marker}\"")
        self.assertEqual(notice["seal"]["kind"], "gateway")
        muc = re.search(r"carol@example\.net: (\S+)", notice["text"]).group(1)
        # Carol's notification came through the smarthost: a pickup link, not the content.
        _, text = self.smarthost.wait_for("carol", "example.net", "/pickup#")[-1]
        self.assertNotIn(marker, text)
        self.assertNotIn(muc, text)
        link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", text).group(1)
        guest = self.server.client()  # the guest's browser: no session
        try:
            r = guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": muc})
        finally:
            guest.close()
        self.assertEqual(r.status, 200, r.body)
        view = r.json()
        self.assertEqual(view["subject"], f"loan {marker}")
        self.assertIn(f"Figures {marker}", view["text"])
        self.assertEqual(view["seal"]["status"], "valid")

    def test_untagged_message_is_relayed_unchanged(self):
        marker = uuid.uuid4().hex
        r = swaks(self.org.port, "--from", "alice@example.org", "--to", "bob@example.org",
                  "--header", f"Subject: lunch {marker}", "--header", f"X-Marker: {marker}",
                  "--body", f"Noon? {marker}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.org.wait_for_log(rf"{queue_id(r)}: to=<bob@example\.org>, .*status=sent "
                              r"\(250 2\.0\.0 Ok: queued for the relay")
        # Out through Sealpost's [mail] relay as it was written: subject, headers and body.
        [(subject, text)] = self.smarthost.wait_for("bob", "example.org", marker)
        self.assertEqual(subject, f"lunch {marker}")
        self.assertIn(f"Noon? {marker}", text)
        files = self.smarthost.delivered("bob")
        with open(files[-1], "rb") as f:
            raw = f.read()
        self.assertIn(f"X-Marker: {marker}".encode(), raw)
        # Not sealed into bob's Sealpost inbox.
        self.assertIsNone(self.bob.find_message("inbox", marker, timeout=1))

    def test_non_member_sender_is_refused_and_bounced_by_postfix(self):
        marker = uuid.uuid4().hex
        r = swaks(self.org.port, "--from", "mallory@example.org", "--to", "bob@example.org",
                  "--header", f"Subject: [secure] {marker}", "--body", "x")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)  # Postfix queues it first
        self.org.wait_for_log(rf"{queue_id(r)}: to=<bob@example\.org>, .*status=bounced.*"
                              r"550 5\.7\.1 the sender is not a member")
        self.assertIsNone(self.bob.find_message("inbox", marker, timeout=1))

    def test_outside_server_delivers_to_the_mx(self):
        marker = uuid.uuid4().hex
        r = swaks(self.outside.port, "--from", "dora@partner.example", "--to", "bob@example.org",
                  "--header", f"Subject: hello from outside {marker}",
                  "--body", f"Dear Bob, {marker}")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.outside.wait_for_log(rf"{queue_id(r)}: to=<bob@example\.org>, relay=127\.0\.0\.1\["
                                  rf"127\.0\.0\.1\]:{self.server.smtp_ports['inbound']},"
                                  r".*status=sent")
        received = self.bob.find_message("inbox", marker)
        self.assertIsNotNone(received, "the outside message is not in bob's inbox")
        self.assertEqual(received["seal"]["kind"], "inbound")
        self.assertEqual(received["seal"]["status"], "valid")
        self.assertIn(f"Dear Bob, {marker}", received["text"])
        self.assertEqual(received["received"]["envelope_from"], "dora@partner.example")
        self.assertEqual(received["received"]["client_address"], "127.0.0.1")


if __name__ == "__main__":
    unittest.main()
