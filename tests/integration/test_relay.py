"""Outgoing mail through a real SMTP relay: a private Postfix on loopback (tests/postfix).
The confirmation mail of a sign-up must arrive over verified STARTTLS and its link must work;
a relay that refuses, or one without STARTTLS when TLS is required, gives a clear error."""

import email
import glob
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest
import shutil

from harness import PASSWORD, Server

POSTFIX = os.path.join(os.path.dirname(__file__), "..", "postfix", "postfix.sh")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Relay:
    def __init__(self, tls=True):
        self.dir = tempfile.mkdtemp(prefix="sealpost-postfix-")
        os.chmod(self.dir, 0o755)  # Postfix's daemons run as the postfix user
        self.port = free_port()
        args = ["bash", POSTFIX, "start", self.dir, str(self.port)] + ([] if tls else ["--no-tls"])
        r = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("cannot start Postfix: " + r.stdout + r.stderr)

    def delivered(self, user, domain="example.org", wait=0.0):
        """Mail in the user's Maildir; Postfix delivers asynchronously after its 250."""
        deadline = time.time() + wait
        while True:
            files = sorted(glob.glob(os.path.join(self.dir, "mail", domain, user, "new", "*")))
            if files or time.time() >= deadline:
                return files
            time.sleep(0.2)

    def stop(self):
        subprocess.run(["bash", POSTFIX, "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def relay_config(relay, tls="required"):
    return f"""
[mail]
relay = "localhost:{relay.port}"
relay_tls = "{tls}"
relay_ca_file = "{relay.dir}/tls/cert.pem"
from = "Sealpost <no-reply@example.org>"
"""


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
            token = re.search(r"verify#token=([A-Za-z0-9_-]+)", msg.get_payload()).group(1)
            r = c.request("POST", "/api/v1/accounts/verify", {"token": token})
            self.assertEqual(r.status, 200, r.body)
            # A refused recipient gets a clear error and the relay's text stays in the log.
            r = c.request("POST", "/api/v1/accounts",
                          {"email": "reject@example.org", "password": PASSWORD})
            self.assertEqual(r.status, 400, r.body)
            self.assertIn("refused by the mail server", r.json()["detail"])
            self.assertNotIn("5.7.1", r.json()["detail"])
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
            self.assertEqual(r.status, 503, r.body)
            self.assertEqual(r.problem_type(), "unavailable")
            self.assertEqual(relay.delivered("alice"), [])
            self.assertIn("STARTTLS", server.read_log())
        finally:
            server.cleanup()
            relay.stop()

    def test_relay_down(self):
        class Down:
            port = free_port()
            dir = "/nonexistent"
        server = Server(extra_config=relay_config(Down)).start()
        try:
            r = server.client().request("POST", "/api/v1/accounts",
                                        {"email": "alice@example.org", "password": PASSWORD})
            self.assertEqual(r.status, 503, r.body)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
