"""DKIM signatures on the mail Sealpost sends, checked by an independent verifier (Debian's
python3-dkim, dkimpy) on the copies the real Postfix delivered; a tampered copy must fail. Also the
shape of the guest notification: multipart/alternative, quoted-printable, the required headers.
The signing key is made by the test (openssl genpkey) and never stored anywhere else."""

import base64
import email
import os
import re
import subprocess
import sys
import tempfile
import unittest

try:
    import dkim
except ImportError:  # an interpreter other than Debian's python3: dkimpy is pure Python
    sys.path.append("/usr/lib/python3/dist-packages")
    import dkim

from harness import Member, Server
from postfix_relay import Relay, relay_config

GUEST = "carol@example.net"


class DkimTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keydir = tempfile.mkdtemp(prefix="sealpost-dkim-")
        key = os.path.join(cls.keydir, "dkim.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
        der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        cls.txt = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
        cls.relay = Relay(tls=True)
        config = relay_config(cls.relay) + (f'dkim_key_file = "{key}"\n'
                                            'dkim_selector = "sp2026"\n'
                                            'dkim_domain = "example.org"\n')
        cls.server = Server(extra_config=config).start()
        cls.server.outbox_token = cls.relay.confirmation_token
        cls.alice = Member(cls.server, "alice@example.org", display_name="Alice <Sender> & Co")

    @classmethod
    def tearDownClass(cls):
        try:
            cls.alice.client.close()
            cls.server.cleanup()
        finally:
            cls.relay.stop()
            subprocess.run(["rm", "-rf", cls.keydir])

    def dns(self, name, timeout=5):
        # The only key this test publishes: sp2026._domainkey.example.org.
        return self.txt if name.rstrip(b".") == b"sp2026._domainkey.example.org" else None

    def verify(self, raw):
        return dkim.verify(raw, dnsfunc=self.dns)

    def delivered(self, user, domain):
        files = self.relay.delivered(user, domain, wait=30)
        self.assertTrue(files)
        with open(files[-1], "rb") as f:
            return f.read()

    def test_confirmation_mail_verifies_and_tampering_fails(self):
        raw = self.delivered("alice", "example.org")
        self.assertTrue(self.verify(raw), "dkimpy rejects the signature Postfix delivered")
        msg = email.message_from_bytes(raw)
        sig = re.sub(r"\s+", "", msg["DKIM-Signature"])
        self.assertIn("a=rsa-sha256;", sig)
        self.assertIn("c=relaxed/relaxed;", sig)
        self.assertIn("d=example.org;", sig)
        self.assertIn("s=sp2026;", sig)
        signed = re.search(r"(?:^|;)h=([^;]+);", sig).group(1).lower().split(":")
        for name in ("from", "to", "subject", "date", "message-id", "mime-version",
                     "content-type", "auto-submitted"):
            self.assertIn(name, signed)
        # One changed body byte, one changed header: both fail.
        head, body = raw.split(b"\r\n\r\n", 1) if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)
        sep = b"\r\n\r\n" if b"\r\n\r\n" in raw else b"\n\n"
        tampered_body = head + sep + body.replace(b"token", b"tokem", 1)
        self.assertNotEqual(tampered_body, raw)
        self.assertFalse(self.verify(tampered_body))
        tampered_subject = re.sub(rb"(?m)^Subject: ", b"Subject: Re: ", raw, count=1)
        self.assertNotEqual(tampered_subject, raw)
        self.assertFalse(self.verify(tampered_subject))
        # A key that is not the signer's fails too.
        other = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA"], check=True,
                               capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubout", "-outform", "DER"], input=other,
                             check=True, capture_output=True).stdout
        self.assertFalse(dkim.verify(raw, dnsfunc=lambda name, timeout=5:
                                     b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)))

    def test_guest_notification_is_signed_multipart_and_escaped(self):
        r = self.alice.client.request(
            "POST", "/api/v1/messages",
            {"to": [GUEST], "subject": "DKIM-SUBJECT-5150", "text": "DKIM-BODY-5150",
             "mucs": {GUEST: "sunflower-77"}})
        self.assertEqual(r.status, 201, r.body)
        self.relay.wait_for("carol", "example.net", "/pickup#")
        raw = self.delivered("carol", "example.net")
        self.assertTrue(self.verify(raw))
        for line in raw.split(b"\n"):
            self.assertLessEqual(len(line.rstrip(b"\r")), 998)
        msg = email.message_from_bytes(raw)
        self.assertEqual(msg["Auto-Submitted"], "auto-generated")
        self.assertIsNone(msg["List-Unsubscribe"])
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f]+@example\.org>$")
        self.assertTrue(msg["Date"])
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = [p for p in msg.walk() if not p.is_multipart()]
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        for p in parts:
            self.assertEqual(p.get_content_charset(), "utf-8")
            self.assertEqual(p["Content-Transfer-Encoding"], "quoted-printable")
        text = parts[0].get_payload(decode=True).decode()
        html = parts[1].get_payload(decode=True).decode()
        link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", text).group(1)
        self.assertIn("/pickup#" + link, html)
        self.assertIn("Alice &lt;Sender&gt; &amp; Co", html)
        self.assertNotIn("<Sender>", html)
        for marker in ("DKIM-SUBJECT-5150", "DKIM-BODY-5150", "sunflower-77"):
            self.assertNotIn(marker, raw.decode())  # notice_subject is off by default


if __name__ == "__main__":
    unittest.main()
