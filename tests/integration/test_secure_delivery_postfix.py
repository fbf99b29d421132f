"""Enforced TLS to partner domains through the API, against a real Postfix on loopback
(tests/postfix/postfix.sh): one partner whose server's certificate verifies gets the message in
its Maildir, with the host and its reply shown to the sender; a partner pinned to another key is
never sent anything — the copy is deferred, then failed, and the sender gets a report that
offers secure pickup. Retries are quick (1 s apart, given up after 3 s) so the test stays short."""

import base64
import glob
import os
import shutil
import subprocess
import tempfile
import time

from harness import Member, ServerTestCase
from postfix_relay import POSTFIX, delivery_order, free_port

ERIN = "erin@tls.example"        # verify: Postfix's certificate for "localhost", our CA file
FRANK = "frank@pinned.example"   # pin: a pin that Postfix's key does not match
SUBJECT = "Partner figures 5c1e"
TEXT = "Only over verified TLS. 5c1e\n"


class SecureDeliveryPostfixTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pf_dir = tempfile.mkdtemp(prefix="sealpost-postfix-tls-")
        os.chmod(cls.pf_dir, 0o755)  # Postfix's daemons run as the postfix user
        cls.pf_port = free_port()
        r = subprocess.run(["bash", POSTFIX, "start", cls.pf_dir, str(cls.pf_port),
                            "--accept-domain", "tls.example", "--accept-domain", "pinned.example"],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("cannot start Postfix: " + r.stdout + r.stderr)
        wrong_pin = "sha256/" + base64.b64encode(bytes(32)).decode()
        cls.server_options = {"extra_config": f"""
[mail]
retry_first_seconds = 1
retry_max_seconds = 1
give_up_after_seconds = 3

[delivery]
dns_resolver = "127.0.0.1"
tls_ca_file = "{cls.pf_dir}/tls/cert.pem"

[[delivery.tls_partner]]
domain = "tls.example"
host = "localhost:{cls.pf_port}"

[[delivery.tls_partner]]
domain = "pinned.example"
tls = "pin"
pins = ["{wrong_pin}"]
host = "localhost:{cls.pf_port}"
"""}
        try:
            super().setUpClass()
        except Exception:
            cls.stop_postfix()
            raise
        cls.alice = Member(cls.server, "alice@example.org")

    @classmethod
    def stop_postfix(cls):
        subprocess.run(["bash", POSTFIX, "stop", cls.pf_dir], capture_output=True, timeout=60)
        shutil.rmtree(cls.pf_dir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.stop_postfix()

    def maildir(self, domain, wait=0.0):
        deadline = time.time() + wait
        while True:
            files = sorted(glob.glob(os.path.join(self.pf_dir, "mail", domain, "all", "new", "*")),
                           key=delivery_order)
            if files or time.time() >= deadline:
                return files
            time.sleep(0.2)

    def recipients(self, message_id):
        r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        return {x["address"]: x for x in r.json()["recipients"]}

    def test_verified_partner_gets_it_pinned_mismatch_never_does(self):
        c = self.alice.client
        r = c.request("GET", f"/api/v1/contacts/methods?address={ERIN},{FRANK}")
        self.assertEqual(r.status, 200, r.body)
        labels = {h["address"]: h["label"] for h in r.json()["items"]}
        self.assertEqual(labels[ERIN], "TLS to localhost")
        self.assertEqual(labels[FRANK], "TLS to localhost")

        r = c.request("POST", "/api/v1/messages", {"to": [ERIN, FRANK], "subject": SUBJECT,
                                                   "text": TEXT})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]

        files = self.maildir("tls.example", wait=30)
        self.assertEqual(len(files), 1)
        with open(files[0], "rb") as f:
            delivered = f.read()
        self.assertIn(SUBJECT.encode(), delivered)
        self.assertIn(b"5c1e", delivered)
        # Postfix says the session was TLS.
        self.assertRegex(delivered.decode(errors="replace"), r"with ESMTPS")

        deadline = time.monotonic() + 30
        while True:
            rec = self.recipients(message_id)
            if (rec[ERIN]["status"] == "delivered" and rec[FRANK]["status"] == "failed") or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.3)
        self.assertEqual(rec[ERIN]["method"], "tls")
        self.assertEqual(rec[ERIN]["status"], "delivered", rec[ERIN])
        self.assertIn("localhost", rec[ERIN]["detail"])
        self.assertIn("250", rec[ERIN]["detail"])
        self.assertEqual(rec[FRANK]["method"], "tls")
        self.assertEqual(rec[FRANK]["status"], "failed", rec[FRANK])
        self.assertTrue(rec[FRANK]["detail"], rec[FRANK])

        # Nothing reached the pinned partner, in clear or otherwise.
        self.assertEqual(self.maildir("pinned.example"), [])
        # The sender is told, with the reason and the pickup offer.
        text = self.server.mail_to("alice@example.org")
        self.assertIn(FRANK, text)
        self.assertIn("secure pickup", text)
        self.assertNotIn("5c1e", text)

        # Consignment and its failure are evidence leaves.
        self.server.wait_for_log()
        db = self.server.db()
        states = dict(db.execute("SELECT recipient, state FROM secure_copies WHERE message_id = ?",
                                 (message_id,)).fetchall())
        sealed = db.execute("SELECT count(*) FROM secure_copies WHERE message_id = ? AND "
                            "length(sealed_copy) > 0", (message_id,)).fetchone()[0]
        db.close()
        self.assertEqual(states, {ERIN: 1, FRANK: 3})
        self.assertEqual(sealed, 0)  # erased once delivered or given up
