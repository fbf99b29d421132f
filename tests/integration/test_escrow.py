"""Escrow against the real binary (docs/escrow.md): an administrator of example.org gives the
server the public half of a key made offline by `sealpost escrow keygen`; messages sent from or to
example.org afterwards are exported by `sealpost escrow export` on the server (no secret, beside the
running server) and turned into .eml files offline by `sealpost escrow open` with the private key:
subject, text and attachment bytes equal to what was sent. A message between other domains is
not exported, a wrong key opens nothing, and a key that is not an X25519 public key is a 400
problem that changes nothing. Mail from outside (swaks to the inbound listener) to a member of
example.org is exported too and opens to the message as it arrived; to a member of another
domain it is not."""

import base64
import email
import email.policy
import os
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

from harness import Member, PASSWORD, Server, audit_events


class EscrowTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_config='\n[smtp.inbound]\nenabled = true\ntls = "optional"\n').start()
        cls.work = tempfile.mkdtemp(prefix="sealpost-escrow-")
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": cls.server.bootstrap_token, "email": "admin@example.org",
                       "password": PASSWORD})
        assert r.status == 201, r.body
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.alice = Member(cls.server, "alice@example.org")
        cls.carol = Member(cls.server, "carol@other.net")
        cls.dave = Member(cls.server, "dave@other.net")
        for m in (cls.admin, cls.alice, cls.carol, cls.dave):
            m.login()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def cli(self, *args):
        return self.server.run_cli(*args)

    def path(self, name):
        return os.path.join(self.work, name)

    def send(self, member, to, subject, attachment):
        c = member.client
        r = c.request("POST", "/api/v1/uploads", raw=attachment,
                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        r = c.request("POST", "/api/v1/messages", {
            "to": to, "subject": subject, "text": "text of " + subject,
            "attachments": [{"upload_id": r.json()["id"], "name": "evidence.bin",
                             "content_type": "application/octet-stream"}]})
        self.assertEqual(r.status, 201, r.body)
        return r.json()["id"]

    def keygen(self, name):
        r = self.cli("escrow", "keygen", "--out", self.path(name))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(self.path(name)).st_mode), 0o600)
        public = r.stdout.strip()
        self.assertEqual(len(base64.b64decode(public)), 32)
        # The private key is nowhere in what was printed.
        with open(self.path(name)) as f:
            private = f.read().split(":", 1)[1].strip()
        self.assertNotIn(private, r.stdout + r.stderr)
        return public

    def test_1_bad_keys_and_forbidden_calls_change_nothing(self):
        a = self.admin.client
        for bad in ("", "abc", base64.b64encode(bytes(31)).decode(),
                    base64.b64encode(bytes(32)).decode(),  # the zero point: low order
                    "zz" * 32):
            r = a.request("PUT", "/api/v1/admin/escrow/example.org", {"public_key": bad})
            self.assertEqual(r.status, 400, r.body)
            self.assertEqual(r.problem_type(), "invalid-argument")
        r = a.request("PUT", "/api/v1/admin/escrow/example.org", {"key": "x"})
        self.assertEqual(r.status, 400, r.body)
        r = a.request("PUT", "/api/v1/admin/escrow/bad..example",
                      {"public_key": base64.b64encode(os.urandom(32)).decode()})
        self.assertEqual(r.status, 400, r.body)
        r = self.alice.client.request("PUT", "/api/v1/admin/escrow/example.org",
                                      {"public_key": base64.b64encode(os.urandom(32)).decode()})
        self.assertEqual(r.status, 403, r.body)
        self.assertTrue(r.problem_type())
        r = a.request("GET", "/api/v1/admin/escrow/example.org")
        self.assertEqual(r.status, 200, r.body)
        self.assertFalse(r.json()["enabled"])

    def test_2_round_trip_through_the_cli(self):
        # Before escrow is on: not escrowed, ever.
        before = self.send(self.alice, ["carol@other.net"], "before escrow", b"early")
        public = self.keygen("org.key")
        r = self.admin.client.request("PUT", "/api/v1/admin/escrow/example.org",
                                      {"public_key": public})
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.json()["enabled"])
        self.assertEqual(r.json()["public_key"], public)

        blob_out = os.urandom(3000) + bytes(range(256))
        blob_in = os.urandom(5000)
        out_id = self.send(self.alice, ["carol@other.net"], "Figures for Q3", blob_out)
        in_id = self.send(self.carol, ["alice@example.org", "dave@other.net"], "Re: Figures",
                          blob_in)
        other = self.send(self.carol, ["dave@other.net"], "between others", b"other")

        export = self.path("export")
        r = self.cli("escrow", "export", "--config", self.server.config_path,
                     "--domain", "example.org", "--out", export)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 messages", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(export, "manifest.json")))
        with self.server.db() as db:
            events = audit_events(db)
        set_events = [e for e in events if e["type"] == "escrow.key_set"]
        self.assertEqual(len(set_events), 1)
        exported = [e for e in events if e["type"] == "escrow.exported"]
        self.assertEqual(len(exported), 1)
        self.assertTrue(exported[0]["actor"].startswith("cli:"))
        self.assertEqual(exported[0]["subject"], "example.org")
        for root, _, files in os.walk(export):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                self.assertNotIn(b"Figures for Q3", data)
                self.assertNotIn(blob_out[:64], data)

        # Refused: a target that is not empty.
        r = self.cli("escrow", "export", "--config", self.server.config_path,
                     "--domain", "example.org", "--out", export)
        self.assertEqual(r.returncode, 2)
        self.assertIn("absent or empty", r.stderr)

        opened = self.path("eml")
        r = self.cli("escrow", "open", "--key", self.path("org.key"), "--in", export,
                     "--out", opened)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(opened)), sorted([out_id + ".eml", in_id + ".eml"]))
        self.assertNotIn(before + ".eml", os.listdir(opened))
        self.assertNotIn(other + ".eml", os.listdir(opened))
        for message_id, subject, sender, data in (
                (out_id, "Figures for Q3", "alice@example.org", blob_out),
                (in_id, "Re: Figures", "carol@other.net", blob_in)):
            with open(os.path.join(opened, message_id + ".eml"), "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            self.assertTrue(msg["X-Sealpost-Escrow-Seal"].startswith("valid"))
            self.assertEqual(msg["Subject"], subject)
            self.assertIn(sender, msg["From"])
            self.assertIn("text of " + subject, msg.get_body(("plain",)).get_content())
            parts = list(msg.iter_attachments())
            self.assertEqual(len(parts), 1)
            self.assertEqual(parts[0].get_filename(), "evidence.bin")
            self.assertEqual(parts[0].get_content(), data)

        # --member: only what Dave sent or received.
        r = self.cli("escrow", "export", "--config", self.server.config_path,
                     "--domain", "example.org", "--member", "dave@other.net",
                     "--out", self.path("dave"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 messages", r.stdout)

        # Another key opens nothing, and says so.
        self.keygen("wrong.key")
        r = self.cli("escrow", "open", "--key", self.path("wrong.key"), "--in", export,
                     "--out", self.path("wrong"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("does not open with this key", r.stderr)
        self.assertEqual(os.listdir(self.path("wrong")), [])
        # Not a key file at all.
        with open(self.path("junk.key"), "w") as f:
            f.write("hello\n")
        r = self.cli("escrow", "open", "--key", self.path("junk.key"), "--in", export,
                     "--out", self.path("junk"))
        self.assertEqual(r.returncode, 2)
        self.assertNotIn("Traceback", r.stderr)
        # keygen never overwrites a key file.
        r = self.cli("escrow", "keygen", "--out", self.path("org.key"))
        self.assertEqual(r.returncode, 2)

        # Off again: new messages are not escrowed.
        r = self.admin.client.request("DELETE", "/api/v1/admin/escrow/example.org")
        self.assertEqual(r.status, 204, r.body)
        self.send(self.alice, ["carol@other.net"], "after escrow", b"late")
        r = self.cli("escrow", "export", "--config", self.server.config_path,
                     "--domain", "example.org", "--out", self.path("after"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("2 messages", r.stdout)

    def test_3_mail_from_outside_is_escrowed_for_the_members_domain(self):
        public = self.keygen("inbound.key")
        r = self.admin.client.request("PUT", "/api/v1/admin/escrow/example.org",
                                      {"public_key": public})
        self.assertEqual(r.status, 200, r.body)
        since_ms = int(time.time() * 1000) - 1
        for to in ("alice@example.org", "carol@other.net"):
            run = subprocess.run(
                ["swaks", "--server", "127.0.0.1", "--port",
                 str(self.server.smtp_ports["inbound"]), "--helo", "mx.outside.test",
                 "--from", "zoe@outside.test", "--to", to,
                 "--header", f"Subject: From outside to {to}",
                 "--body", f"Outside text for {to}"],
                capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
            self.assertIn("250 2.0.0", run.stdout)

        export = self.path("inbound-export")
        r = self.cli("escrow", "export", "--config", self.server.config_path,
                     "--domain", "example.org", "--from", str(since_ms), "--out", export)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 messages", r.stdout)
        opened = self.path("inbound-eml")
        r = self.cli("escrow", "open", "--key", self.path("inbound.key"), "--in", export,
                     "--out", opened)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        files = os.listdir(opened)
        self.assertEqual(len(files), 1, files)
        with open(os.path.join(opened, files[0]), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        self.assertTrue(msg["X-Sealpost-Escrow-Seal"].startswith("valid"),
                        msg["X-Sealpost-Escrow-Seal"])
        self.assertIn("inbound mail gateway", msg["X-Sealpost-Escrow-Seal"])
        # The message as swaks sent it: its own header and text.
        self.assertEqual(msg["Subject"], "From outside to alice@example.org")
        self.assertIn("zoe@outside.test", msg["From"])
        self.assertIn("Outside text for alice@example.org", msg.get_body(("plain",)).get_content())


if __name__ == "__main__":
    unittest.main()
