"""S/MIME and OpenPGP mail from outside, opened when the member reads it: a real `sealpost serve`
with the inbound listener; bob's certificate and OpenPGP key downloaded through the API as a
correspondent would; alice@partner.test signs with a certificate of her own CA (`openssl cms
-sign`, then `-encrypt` to bob's certificate) and with a gpg key (PGP/MIME, RFC 3156, `gpg --sign
--encrypt`); swaks delivers to the MX. GET /api/v1/messages/{id} answers the decrypted text and
the signature: unknown_signer until an administrator trusts alice's CA, then valid; a flipped
byte in the ciphertext is invalid with the content withheld, and the server keeps serving.
Nothing decrypted reaches the disk."""

import os
import shutil
import subprocess
import tempfile

from harness import PASSWORD, Member, ServerTestCase

ALICE = "alice@partner.test"
CAROL = "carol@partner.test"  # an OpenPGP sender bob has no key of
BOB = "bob@example.org"
SMIME_MARKER = "SMIME-inner-7c41e0"
PGP_MARKER = "PGP-inner-19d3aa"


def run(args, cwd, env=None):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"{args[0]} failed: {r.stderr.decode(errors='replace')}")
    return r


def inner_entity(marker):
    return ("Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"The contract terms: {marker}\r\n").encode()


def flip_middle(text, start, end):
    """`text` with one base64 character between start and end changed."""
    at = start + (end - start) // 2
    while text[at] in "\r\n=-":
        at += 1
    return text[:at] + ("B" if text[at] == "A" else "A") + text[at + 1:]


class SmtpInboundProtectedTest(ServerTestCase):
    server_options = {"extra_config": (
        '\n[smtp.inbound]\nenabled = true\naddress = "127.0.0.1"\ntls = "optional"\n')}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-inbound-protected-")
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin", {"token": cls.server.bootstrap_token,
                                                     "email": "admin@example.org",
                                                     "password": PASSWORD})
        assert r.status == 201, (r.status, r.body)
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.admin.login()
        cls.bob = Member(cls.server, BOB, "Bob Example")
        cls.bob.login()

        # Bob's public keys, as a correspondent downloads them.
        for name in ("smime.pem", "openpgp.asc"):
            r = cls.bob.client.request("GET", f"/api/v1/account/keys/{name}")
            assert r.status == 200, (name, r.status, r.body[:300])
            cls.write(f"bob-{name}", r.body)

        # Alice's CA and her signing certificate (P-256, emailProtection, her address).
        cls.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj",
                    "/CN=Partner Test CA", "-days", "30", "-addext",
                    "basicConstraints=critical,CA:TRUE", "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign")
        cls.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", "alice.key")
        cls.write("alice.ext", (
            "[ext]\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyAgreement\n"
            f"extendedKeyUsage=emailProtection\nsubjectAltName=email:{ALICE}\n").encode())
        cls.openssl("req", "-new", "-key", "alice.key", "-subj", "/CN=Alice Partner", "-out",
                    "alice.csr")
        cls.openssl("x509", "-req", "-in", "alice.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "alice.ext",
                    "-extensions", "ext", "-out", "alice.pem")

        # Alice's and Carol's OpenPGP keys; bob's public key in the same keyring.
        cls.gnupg = os.path.join(cls.dir, "gnupg")
        os.mkdir(cls.gnupg, 0o700)
        cls.alice_fpr = cls.gpg_key(ALICE)
        cls.carol_fpr = cls.gpg_key(CAROL)
        cls.gpg("--import", "bob-openpgp.asc")
        # Bob imports Alice's key (not Carol's) as his contact.
        armoured = cls.gpg("--armor", "--export", cls.alice_fpr).stdout
        r = cls.bob.client.request("POST", f"/api/v1/contacts/keys?address={ALICE}", raw=armoured,
                                   headers={"Content-Type": "application/pgp-keys"})
        assert r.status == 201, (r.status, r.body)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def write(cls, name, data):
        with open(os.path.join(cls.dir, name), "wb") as f:
            f.write(data)

    @classmethod
    def read(cls, name):
        with open(os.path.join(cls.dir, name), "rb") as f:
            return f.read()

    @classmethod
    def openssl(cls, *args):
        return run(["openssl", *args], cls.dir)

    @classmethod
    def gpg(cls, *args):
        return run(["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase",
                    "", *args], cls.dir, env={**os.environ, "GNUPGHOME": cls.gnupg,
                                              "LC_ALL": "C"})

    @classmethod
    def gpg_key(cls, address):
        cls.gpg("--quick-gen-key", f"<{address}>", "ed25519", "cert,sign", "never")
        listed = cls.gpg("--with-colons", "--list-keys", f"<{address}>").stdout.decode()
        fpr = [line.split(":")[9] for line in listed.splitlines() if line.startswith("fpr:")][0]
        cls.gpg("--quick-add-key", fpr, "cv25519", "encr", "never")
        return fpr

    def smime_mail(self, subject, marker):
        """Alice's mail: signed (opaque), then encrypted to bob's certificate, by openssl."""
        self.write("inner.txt", inner_entity(marker))
        self.openssl("cms", "-sign", "-in", "inner.txt", "-signer", "alice.pem", "-inkey",
                     "alice.key", "-nodetach", "-md", "sha256", "-binary", "-outform", "SMIME",
                     "-out", "signed.eml")
        self.openssl("cms", "-encrypt", "-in", "signed.eml", "-aes-256-gcm", "-binary", "-from",
                     ALICE, "-to", BOB, "-subject", subject, "-outform", "SMIME", "-out",
                     "smime.eml", "bob-smime.pem")
        # openssl writes LF; an SMTP client sends CRLF.
        mail = self.read("smime.eml").decode().replace("\r\n", "\n").replace("\n", "\r\n")
        self.assertNotIn(marker, mail)
        self.assertIn("application/pkcs7-mime", mail)
        return mail

    def pgp_mail(self, sender, sender_fpr, subject, marker):
        """PGP/MIME (RFC 3156): the inner entity signed by `sender` and encrypted to bob."""
        self.write("inner.txt", inner_entity(marker))
        self.gpg("--yes", "--trust-model", "always", "--armor", "--sign", "--encrypt", "-u",
                 sender_fpr, "-r", BOB, "--output", "msg.asc", "inner.txt")
        armoured = self.read("msg.asc").decode()
        self.assertNotIn(marker, armoured)
        return (f"From: <{sender}>\r\nTo: {BOB}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
                'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; '
                'boundary="pgp-boundary"\r\n\r\n'
                "This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n"
                "--pgp-boundary\r\nContent-Type: application/pgp-encrypted\r\n"
                "Content-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n"
                "--pgp-boundary\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
                "Content-Description: OpenPGP encrypted message\r\n"
                "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n"
                + armoured.replace("\r\n", "\n").replace("\n", "\r\n")
                + "\r\n--pgp-boundary--\r\n")

    def deliver(self, sender, mail):
        """Delivers `mail` to bob through the MX with swaks; returns its message id."""
        self.write("outgoing.eml", mail.encode())
        r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                            str(self.server.smtp_ports["inbound"]), "--helo", "mx.partner.test",
                            "--from", sender, "--to", BOB, "--data",
                            "@" + os.path.join(self.dir, "outgoing.eml")],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("250 2.0.0", r.stdout)
        subject = [line for line in mail.splitlines() if line.startswith("Subject: ")][0][9:]
        items = self.bob.client.request("GET", "/api/v1/mailbox/inbox?limit=50").json()["items"]
        mine = [i for i in items if i.get("subject") == subject]
        self.assertEqual(len(mine), 1, items)
        self.assertEqual(mine[0]["seal"]["kind"], "inbound")
        return mine[0]["id"]

    def open(self, message_id):
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def assertNothingInClearOnDisk(self, *markers):
        db = self.server.raw_database_bytes()
        for marker in markers:
            self.assertNotIn(marker.encode(), db)
        for root, _, files in os.walk(self.server.data_dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for marker in markers:
                    self.assertNotIn(marker.encode(), data, name)

    def test_smime_is_opened_and_its_signer_trusted_once_the_ca_is_an_anchor(self):
        message_id = self.deliver(ALICE, self.smime_mail("Contract (S/MIME)", SMIME_MARKER))
        view = self.open(message_id)
        self.assertEqual(view["received"]["protection"], "smime")
        sig = view["signature"]
        self.assertEqual(sig["method"], "S/MIME")
        # Alice's CA is nobody's anchor yet: the signature holds, the signer is unknown.
        self.assertEqual(sig["state"], "unknown_signer", sig)
        self.assertEqual(sig["signer"], ALICE)
        self.assertTrue(sig["content_shown"])
        self.assertIn(SMIME_MARKER, view["text"])

        r = self.admin.client.request("POST", "/api/v1/admin/anchors", raw=self.read("ca.pem"),
                                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 201, r.body)
        try:
            view = self.open(message_id)
            sig = view["signature"]
            self.assertEqual(sig["state"], "valid", sig)
            self.assertEqual(sig["signer"], ALICE)
            self.assertIn(ALICE, sig["detail"])
            self.assertEqual(view["text"].strip(), f"The contract terms: {SMIME_MARKER}")
            self.assertEqual(view["subject"], "Contract (S/MIME)")
            # The original stays downloadable, still encrypted.
            self.assertEqual(view["attachments"][0]["name"], "original.eml")
            original = self.bob.client.request(
                "GET", f"/api/v1/messages/{message_id}/attachments/0")
            self.assertEqual(original.status, 200)
            self.assertNotIn(SMIME_MARKER.encode(), original.body)
        finally:
            r = self.admin.client.request("DELETE", f"/api/v1/admin/anchors/{r.json()['id']}")
            self.assertEqual(r.status, 204, r.body)
        self.assertNothingInClearOnDisk(SMIME_MARKER)

    def test_openpgp_from_a_contact_is_opened_and_valid(self):
        message_id = self.deliver(
            ALICE, self.pgp_mail(ALICE, self.alice_fpr, "Contract (OpenPGP)", PGP_MARKER))
        view = self.open(message_id)
        self.assertEqual(view["received"]["protection"], "openpgp")
        sig = view["signature"]
        self.assertEqual(sig["method"], "OpenPGP")
        self.assertEqual(sig["state"], "valid", sig)
        self.assertEqual(sig["signer"], self.alice_fpr)
        self.assertTrue(sig["content_shown"])
        self.assertEqual(view["text"].strip(), f"The contract terms: {PGP_MARKER}")
        self.assertNothingInClearOnDisk(PGP_MARKER)

    def test_openpgp_from_an_unknown_key_is_not_opened(self):
        marker = "PGP-unknown-5a0c"
        message_id = self.deliver(
            CAROL, self.pgp_mail(CAROL, self.carol_fpr, "From Carol (OpenPGP)", marker))
        view = self.open(message_id)
        sig = view["signature"]
        self.assertEqual(sig["state"], "unknown_signer", sig)
        self.assertFalse(sig["content_shown"])
        self.assertIn(CAROL, sig["detail"])
        self.assertNotIn(marker, view["text"])

    def test_flipped_byte_is_invalid_and_withheld(self):
        smime = self.smime_mail("Tampered (S/MIME)", "SMIME-tampered-e8b2")
        body = smime.index("\r\n\r\n") + 4
        smime = flip_middle(smime, body, len(smime))
        pgp = self.pgp_mail(ALICE, self.alice_fpr, "Tampered (OpenPGP)", "PGP-tampered-3f6d")
        armour = pgp.index("-----BEGIN PGP MESSAGE-----")
        armour = pgp.index("\r\n\r\n", armour) + 4  # past the armour header lines
        pgp = flip_middle(pgp, armour, pgp.index("-----END PGP MESSAGE-----"))
        for method, mail, marker in (("S/MIME", smime, "SMIME-tampered-e8b2"),
                                     ("OpenPGP", pgp, "PGP-tampered-3f6d")):
            with self.subTest(method=method):
                view = self.open(self.deliver(ALICE, mail))
                sig = view["signature"]
                self.assertEqual(sig["method"], method)
                self.assertEqual(sig["state"], "invalid", sig)
                self.assertFalse(sig["content_shown"])
                self.assertIn("not shown", sig["detail"])
                self.assertEqual(view["text"], "")
                self.assertEqual(view["html"], "")
                self.assertNotIn(marker, view["text"])
                self.assertEqual([a["name"] for a in view["attachments"]], ["original.eml"])
        self.assertHealthy()
        # Still serving: bob's inbox lists, and plain mail reads as before.
        plain = self.deliver(ALICE, f"From: {ALICE}\r\nTo: {BOB}\r\nSubject: Plain after tamper"
                                    "\r\n\r\nplain text\r\n")
        view = self.open(plain)
        self.assertNotIn("signature", view)
        self.assertIn("plain text", view["text"])
