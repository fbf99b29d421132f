"""Secure delivery through the API, end to end (docs/secure-delivery.md): a member imports a
contact's certificate (made by an external CA with `openssl req`/`openssl x509`) and a gpg-made
OpenPGP key, asks Compose's hints, sends one message to a member, an S/MIME contact, an OpenPGP
contact, a TLS partner's address and a guest, and watches each recipient's method and state.
The S/MIME copy from the .eml outbox is read by `openssl cms -decrypt` and `-verify` against the
platform root, the OpenPGP copy by `gpg --decrypt`. The TLS partner's host refuses connections:
its copy is deferred with the reason and never written in clear anywhere."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time

from harness import PASSWORD, Member, ServerTestCase

ALICE = "alice@example.org"
BOB = "bob@example.org"
CAROL = "carol@partner.example"   # S/MIME
GINA = "gina@partner.example"     # OpenPGP
ERIN = "erin@tls.example"         # a TLS partner's domain
DAN = "dan@elsewhere.example"     # pickup
SUBJECT = "Secure delivery check 7f3a"
TEXT = "The figures, for your eyes only. 7f3a\n"


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(args, cwd, env=None, check=True, stdin=None):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=120, input=stdin)
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} failed: {r.stderr.decode(errors='replace')}")
    return r


class SecureDeliveryTest(ServerTestCase):
    server_options = {"extra_config": f"""
[delivery]
dns_resolver = "127.0.0.1"

[[delivery.tls_partner]]
domain = "tls.example"
host = "127.0.0.1:{closed_port()}"
"""}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-secure-delivery-")
        cls.gnupg = os.path.join(cls.dir, "gnupg")
        os.mkdir(cls.gnupg, 0o700)
        cls.alice = Member(cls.server, ALICE)
        cls.bob = Member(cls.server, BOB)
        # carol: a P-256 certificate from the partner's CA.
        cls.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj",
                     "/CN=Partner Test CA", "-days", "3650", "-addext",
                     "basicConstraints=critical,CA:TRUE", "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign"])
        cls.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", "carol.key"])
        with open(os.path.join(cls.dir, "carol.ext"), "w") as f:
            f.write("[ext]\nbasicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyAgreement\n"
                    f"extendedKeyUsage=emailProtection\nsubjectAltName=email:{CAROL}\n")
        cls.openssl(["req", "-new", "-key", "carol.key", "-subj", "/CN=carol", "-out",
                     "carol.csr"])
        cls.openssl(["x509", "-req", "-in", "carol.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-days", "365", "-sha256", "-extfile", "carol.ext",
                     "-extensions", "ext", "-out", "carol.pem"])
        # gina: a gpg key.
        cls.gpg("--quick-gen-key", GINA, "ed25519", "cert,sign", "never")
        listed = cls.gpg("--with-colons", "--list-keys", GINA).stdout.decode()
        cls.gina_fpr = [line.split(":")[9] for line in listed.splitlines()
                        if line.startswith("fpr:")][0]
        cls.gpg("--quick-add-key", cls.gina_fpr, "cv25519", "encr", "never")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def openssl(cls, args):
        return run(["openssl", *args], cls.dir)

    @classmethod
    def gpg(cls, *args):
        return run(["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase",
                    "", "--trust-model", "always", *args], cls.dir,
                   env={**os.environ, "GNUPGHOME": cls.gnupg, "LC_ALL": "C"})

    def read(self, name):
        with open(os.path.join(self.dir, name), "rb") as f:
            return f.read()

    def write(self, name, data):
        with open(os.path.join(self.dir, name), "wb") as f:
            f.write(data)

    def import_keys(self):
        c = self.alice.client
        r = c.request("POST", "/api/v1/contacts/keys", raw=self.read("carol.pem"),
                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 201, r.body)
        key = r.json()
        r = c.request("POST", f"/api/v1/contacts/keys/{key['id']}/verify",
                      {"fingerprint": key["fingerprint"]})
        self.assertEqual(r.status, 200, r.body)
        exported = self.gpg("--export", self.gina_fpr).stdout
        r = c.request("POST", f"/api/v1/contacts/keys?address={GINA}", raw=exported,
                      headers={"Content-Type": "application/pgp-keys"})
        self.assertEqual(r.status, 201, r.body)

    def recipients(self, message_id):
        r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        return {x["address"]: x for x in r.json()["recipients"]}

    def outbox_mail_to(self, address):
        """The secure copy to `address` in the .eml outbox, if any: the outbox names each file
        after the copy's id (every copy lists all recipients in To, as one message would)."""
        db = self.server.db()
        rows = db.execute("SELECT id FROM secure_copies WHERE recipient = ?",
                          (address,)).fetchall()
        db.close()
        for (copy_id,) in rows:
            for path in glob.glob(os.path.join(self.server.outbox_dir, f"*-{copy_id[:12]}.eml")):
                with open(path, "rb") as f:
                    return f.read()
        return None

    def test_routes_sends_and_delivers_each_method(self):
        self.import_keys()
        c = self.alice.client
        # Compose's hints, for a list with commas and a repeated parameter.
        r = c.request("GET", f"/api/v1/contacts/methods?address={BOB},{CAROL}&address={GINA}"
                             f"&address={ERIN}&address={DAN}")
        self.assertEqual(r.status, 200, r.body)
        hints = {h["address"]: h for h in r.json()["items"]}
        self.assertEqual(hints[BOB]["method"], "member")
        self.assertEqual(hints[CAROL]["method"], "smime")
        self.assertEqual(hints[CAROL]["label"], "S/MIME")
        self.assertEqual(hints[GINA]["method"], "openpgp")
        self.assertEqual(hints[ERIN]["method"], "tls")
        self.assertEqual(hints[ERIN]["label"].split(" to ")[0], "TLS")
        self.assertEqual(hints[DAN]["method"], "pickup")
        self.assertTrue(hints[DAN]["needs_muc"])
        self.assertFalse(hints[CAROL]["needs_muc"])
        r = c.request("GET", f"/api/v1/contacts/methods?address={CAROL}&force_pickup=true")
        self.assertEqual(r.json()["items"][0]["method"], "pickup")
        r = c.request("GET", "/api/v1/contacts/methods?address=not-an-address")
        self.assertEqual(r.status, 400, r.body)
        r = c.request("GET", "/api/v1/contacts/methods?" +
                      "&".join(f"address=a{i}@x.example" for i in range(101)))
        self.assertEqual(r.status, 400, r.body)

        r = c.request("POST", "/api/v1/messages", {
            "to": [BOB, CAROL, GINA, ERIN, DAN], "subject": SUBJECT, "text": TEXT,
            "generate_mucs": True})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]

        deadline = time.monotonic() + 30
        while True:
            rec = self.recipients(message_id)
            done = (rec[CAROL]["status"] == "delivered" and rec[GINA]["status"] == "delivered"
                    and rec[ERIN]["status"] == "deferred")
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(rec[BOB]["method"], "member")
        self.assertEqual(rec[BOB]["status"], "delivered")
        self.assertEqual(rec[CAROL]["method"], "smime")
        self.assertEqual(rec[CAROL]["status"], "delivered", rec[CAROL])
        self.assertEqual(rec[GINA]["method"], "openpgp")
        self.assertEqual(rec[GINA]["status"], "delivered", rec[GINA])
        self.assertEqual(rec[ERIN]["method"], "tls")
        self.assertEqual(rec[ERIN]["status"], "deferred", rec[ERIN])
        self.assertTrue(rec[ERIN]["detail"], rec[ERIN])
        self.assertIn("next_attempt_at", rec[ERIN])
        self.assertEqual(rec[DAN]["method"], "pickup")

        # carol's copy: openssl decrypts it with her key and verifies alice's signature against
        # the platform root.
        r = self.alice.client.request("GET", "/api/v1/pki/root.pem")
        self.assertEqual(r.status, 200)
        self.write("root.pem", r.body)
        carol_mail = self.outbox_mail_to(CAROL)
        self.assertIsNotNone(carol_mail)
        self.assertNotIn(SUBJECT.encode(), carol_mail)
        self.assertNotIn(b"7f3a", carol_mail)
        self.write("carol.eml", carol_mail)
        self.openssl(["cms", "-decrypt", "-in", "carol.eml", "-recip", "carol.pem", "-inkey",
                      "carol.key", "-binary", "-out", "carol.signed"])
        verified = self.openssl(["cms", "-verify", "-in", "carol.signed", "-CAfile", "root.pem",
                                 "-binary", "-out", "carol.content"])
        self.assertIn(b"Verification successful", verified.stderr + verified.stdout)
        content = self.read("carol.content")
        self.assertIn(SUBJECT.encode(), content)

        # gina's copy: gpg decrypts it; the signature is alice's key (downloaded from the API).
        gina_mail = self.outbox_mail_to(GINA)
        self.assertIsNotNone(gina_mail)
        begin = gina_mail.index(b"-----BEGIN PGP MESSAGE-----")
        end = gina_mail.index(b"-----END PGP MESSAGE-----") + len(b"-----END PGP MESSAGE-----")
        self.write("gina.asc", gina_mail[begin:end] + b"\n")
        r = c.request("GET", "/api/v1/account/keys/openpgp.asc")
        self.assertEqual(r.status, 200, r.body)
        self.write("alice.asc", r.body)
        self.gpg("--import", "alice.asc")
        out = self.gpg("--status-fd", "1", "--output", "gina.out", "--decrypt", "gina.asc")
        self.assertIn(b"[GNUPG:] DECRYPTION_OKAY", out.stdout)
        self.assertIn(b"[GNUPG:] VALIDSIG", out.stdout)
        self.assertIn(SUBJECT.encode(), self.read("gina.out"))

        # erin's copy never went anywhere in clear: not to the outbox, not to the relay.
        self.assertIsNone(self.outbox_mail_to(ERIN))
        for path in glob.glob(os.path.join(self.server.outbox_dir, "*.eml")):
            with open(path, "rb") as f:
                self.assertNotIn(b"for your eyes only", f.read(), path)

        # The evidence leaves name the real methods.
        self.server.wait_for_log()
        db = self.server.db()
        rows = db.execute("SELECT count(*) FROM secure_copies WHERE message_id = ?",
                          (message_id,)).fetchone()
        db.close()
        self.assertEqual(rows[0], 3)

    def test_forced_pickup_reaches_contacts_by_pickup(self):
        r = self.alice.client.request("POST", "/api/v1/messages", {
            "to": [CAROL, ERIN], "subject": "forced", "text": "forced\n",
            "generate_mucs": True, "force_pickup": True})
        self.assertEqual(r.status, 201, r.body)
        rec = self.recipients(r.json()["id"])
        self.assertEqual(rec[CAROL]["method"], "pickup")
        self.assertEqual(rec[ERIN]["method"], "pickup")
