"""Enforced TLS to partner domains through the API, against a real Postfix on loopback
(tests/postfix/postfix.sh): one partner whose server's certificate verifies gets the message in
its Maildir, with the host and its reply shown to the sender; a partner pinned to another key is
never sent anything — the copy is deferred, then failed, and the sender gets a report that
offers secure pickup. Retries are quick (1 s apart, given up after 3 s) so the test stays short."""

import base64
import email
import glob
import os
import shutil
import subprocess
import tempfile
import time

from harness import Member, ServerTestCase
from postfix_relay import POSTFIX, Relay, delivery_order, free_port, relay_config

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


RITA = "rita@partner.example"    # S/MIME, RSA-3072 certificate
CAROL = "carol@partner.example"  # S/MIME, P-256, imported from a signed mail announcing GCM
GINA = "gina@partner.example"    # OpenPGP, made by gpg
SAM = "sam@partner.example"      # OpenPGP, made by sq
BOB = "bob@example.org"          # a member: the message answered is his
# The clear-text marker: "-" is outside the base64 alphabet, so ciphertext cannot contain it by
# chance (a 4-character marker once did).
MARKER = "9d4b-e71c-52aa"
COPY_SUBJECT = f"Quarterly figures {MARKER}"
COPY_TEXT = f"For the partners only. {MARKER}\n"


def tool(args, cwd, env=None, check=True):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} {args[1]} failed: {r.stderr.decode(errors='replace')}")
    return r


class SecureCopiesThroughPostfixTest(ServerTestCase):
    """S/MIME and OpenPGP copies through Sealpost's relay into a private Postfix: an external CA
    (openssl req/x509) certifies an RSA-3072 and a P-256 recipient, gpg and sq make one OpenPGP key
    each; all four are imported through the API. Each copy is read from Postfix's Maildir and
    opened by the recipient's own tool: `openssl cms -decrypt` + `-verify -CAfile <platform
    root>`, `gpg --decrypt` (GOODSIG/VALIDSIG for alice's key) and `sq decrypt`. The message
    answers one of bob's, so the copies carry In-Reply-To/References."""

    @classmethod
    def setUpClass(cls):
        cls.relay = Relay(tls=True, accept_domains=["partner.example"])
        cls.server_options = {"extra_config": relay_config(cls.relay)}
        try:
            super().setUpClass()
        except Exception:
            cls.relay.stop()
            raise
        cls.server.outbox_token = cls.relay.confirmation_token
        cls.dir = tempfile.mkdtemp(prefix="sealpost-copies-postfix-")
        cls.gnupg = os.path.join(cls.dir, "gnupg")
        os.mkdir(cls.gnupg, 0o700)
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, BOB)
        cls.openssl(["req", "-x509", "-newkey", "rsa:3072", "-nodes", "-keyout", "ca.key",
                     "-out", "ca.pem", "-subj", "/CN=Partner Interop CA", "-days", "3650",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign"])
        cls.certify("rita", ["-newkey", "rsa:3072"], "digitalSignature,keyEncipherment")
        cls.certify("carol", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
                    "digitalSignature,keyAgreement")

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.relay.stop()
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def openssl(cls, args):
        return tool(["openssl", *args], cls.dir)

    @classmethod
    def certify(cls, name, newkey, key_usage):
        # Both certificates announce AES-256-GCM in an SMIMECapabilities extension (RFC 4262).
        with open(os.path.join(cls.dir, name + ".ext"), "w") as f:
            f.write(f"[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,{key_usage}\n"
                    f"extendedKeyUsage=emailProtection\n"
                    f"subjectAltName=email:{name}@partner.example\n"
                    "1.2.840.113549.1.9.15=ASN1:SEQUENCE:caps\n[caps]\nc0=SEQUENCE:gcm\n"
                    "c1=SEQUENCE:cbc\n[gcm]\noid=OID:id-aes256-GCM\n[cbc]\noid=OID:aes-256-cbc\n")
        cls.openssl(["req", "-new", *newkey, "-nodes", "-keyout", name + ".key", "-subj",
                     f"/CN={name}", "-out", name + ".csr"])
        cls.openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-days", "365", "-sha256", "-extfile", name + ".ext",
                     "-extensions", "ext", "-out", name + ".pem"])

    def gpg(self, *args, check=True):
        return tool(["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase",
                     "", "--trust-model", "always", *args], self.dir,
                    env={**os.environ, "GNUPGHOME": self.gnupg, "LC_ALL": "C"}, check=check)

    def sq(self, *args):
        return tool(["sq", *args], self.dir, env={**os.environ, "HOME": self.dir})

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def write(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)

    def import_key(self, data, content_type, address=""):
        query = f"?address={address}" if address else ""
        r = self.alice.client.request("POST", "/api/v1/contacts/keys" + query, raw=data,
                                      headers={"Content-Type": content_type})
        self.assertEqual(r.status, 201, r.body)
        return r.json()

    def verify_key(self, key):
        r = self.alice.client.request("POST", f"/api/v1/contacts/keys/{key['id']}/verify",
                                      {"fingerprint": key["fingerprint"]})
        self.assertEqual(r.status, 200, r.body)

    def delivered_copies(self, count):
        """{recipient: raw mail} of the copies in Postfix's Maildir for partner.example, read by
        the Delivered-To header Postfix's delivery agent adds (every copy lists all To)."""
        deadline = time.time() + 60
        while True:
            files = self.relay.delivered("all", "partner.example")
            if len(files) >= count or time.time() >= deadline:
                break
            time.sleep(0.2)
        self.assertEqual(len(files), count, files)
        out = {}
        for path in files:
            with open(path, "rb") as f:
                raw = f.read()
            to = email.message_from_bytes(raw)["Delivered-To"]
            out[to.strip().lower()] = raw
        return out

    def test_copies_through_postfix_open_in_openssl_gpg_and_sq(self):
        # rita: her certificate (PEM) from the external CA, personally verified.
        self.verify_key(self.import_key(self.read("rita.pem"), "application/x-pem-file"))
        # carol: her certificate is imported from a signed mail of hers (openssl cms -sign), whose
        # SMIMECapabilities (openssl's default list: no GCM) are recorded and win over the
        # certificate's extension: she gets CBC.
        self.write("hello.txt", b"Content-Type: text/plain\r\n\r\nHello from carol\r\n")
        self.openssl(["cms", "-sign", "-in", "hello.txt", "-signer", "carol.pem", "-inkey",
                      "carol.key", "-certfile", "ca.pem", "-from", CAROL, "-to",
                      "alice@example.org", "-subject", "my certificate", "-out", "carol.eml"])
        carol_key = self.import_key(self.read("carol.eml"), "message/rfc822")
        self.assertEqual(carol_key["address"], CAROL)
        self.assertEqual(carol_key["source"], "signed-mail")
        self.assertEqual(carol_key["smime_capabilities"], "aes256-cbc")
        self.verify_key(carol_key)
        # gina: gpg; sam: sq.
        self.gpg("--quick-gen-key", GINA, "ed25519", "cert,sign", "never")
        listed = self.gpg("--with-colons", "--list-keys", GINA).stdout.decode()
        gina_fpr = [line.split(":")[9] for line in listed.splitlines()
                    if line.startswith("fpr:")][0]
        self.gpg("--quick-add-key", gina_fpr, "cv25519", "encr", "never")
        self.import_key(self.gpg("--armor", "--export", gina_fpr).stdout, "application/pgp-keys",
                        GINA)
        self.sq("key", "generate", "--userid", f"<{SAM}>", "--export", "sam.key")
        self.sq("key", "extract-cert", "--binary", "--output", "sam.cert", "sam.key")
        self.import_key(self.read("sam.cert"), "application/pgp-keys", SAM)

        r = self.alice.client.request(
            "GET", f"/api/v1/contacts/methods?address={RITA},{CAROL},{GINA},{SAM}")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual({h["address"]: h["method"] for h in r.json()["items"]},
                         {RITA: "smime", CAROL: "smime", GINA: "openpgp", SAM: "openpgp"})

        # bob writes to alice; alice answers him and the four partners.
        r = self.bob.client.request("POST", "/api/v1/messages", {
            "to": ["alice@example.org"], "subject": "Figures?", "text": "Send them, please.\n"})
        self.assertEqual(r.status, 201, r.body)
        parent_id = r.json()["id"]
        r = self.alice.client.request("POST", "/api/v1/messages", {
            "to": [BOB, RITA, CAROL, GINA, SAM], "subject": COPY_SUBJECT, "text": COPY_TEXT,
            "in_reply_to": parent_id})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]

        copies = self.delivered_copies(4)
        self.assertEqual(set(copies), {RITA, CAROL, GINA, SAM})
        for address, raw in copies.items():
            msg = email.message_from_bytes(raw)
            self.assertEqual(msg["Subject"], "[...]", address)
            self.assertNotIn(MARKER.encode(), raw, address)
            # Sealpost's relay handed it over TLS; the copies thread under bob's message.
            self.assertRegex(" ".join(msg.get_all("Received")), r"using TLSv1\.[23]")
            self.assertEqual(msg["In-Reply-To"], f"<{parent_id}@example.org>", address)
            self.assertIn(f"<{parent_id}@example.org>", msg["References"], address)
            self.assertEqual(msg["Message-ID"], f"<{message_id}@example.org>", address)

        r = self.alice.client.request("GET", "/api/v1/pki/root.pem")
        self.assertEqual(r.status, 200)
        self.write("root.pem", r.body)
        r = self.alice.client.request("GET", "/api/v1/account/keys/openpgp.asc")
        self.assertEqual(r.status, 200, r.body)
        self.write("alice.asc", r.body)

        # S/MIME: openssl decrypts with the recipient's key, verifies alice against the root.
        envelopes = {}
        for name, address in (("rita", RITA), ("carol", CAROL)):
            self.write(name + ".mail", copies[address])
            envelopes[address] = email.message_from_bytes(copies[address]).get_param("smime-type")
            self.openssl(["cms", "-decrypt", "-in", name + ".mail", "-recip", name + ".pem",
                          "-inkey", name + ".key", "-binary", "-out", name + ".signed"])
            verified = self.openssl(["cms", "-verify", "-in", name + ".signed", "-CAfile",
                                     "root.pem", "-binary", "-out", name + ".content"])
            self.assertIn(b"Verification successful", verified.stderr + verified.stdout)
            content = self.read(name + ".content")
            self.assertIn(COPY_SUBJECT.encode(), content)
            self.assertIn(MARKER.encode(), content)
            # One flipped byte of the signed content does not verify.
            self.openssl(["cms", "-cmsout", "-in", name + ".signed", "-outform", "DER", "-out",
                          name + ".der"])
            signed = bytearray(self.read(name + ".der"))
            at = signed.index(MARKER.encode())
            signed[at] ^= 0x01
            self.write(name + ".bad", bytes(signed))
            bad = tool(["openssl", "cms", "-verify", "-in", name + ".bad", "-inform", "DER",
                        "-CAfile", "root.pem", "-binary", "-out", name + ".badout"], self.dir,
                       check=False)
            self.assertNotEqual(bad.returncode, 0)
        # rita's certificate announces GCM and no mail of hers was seen: AuthEnvelopedData
        # (RSA-OAEP); carol's signed mail listed only CBC ciphers: EnvelopedData.
        self.assertEqual(envelopes[RITA], "authEnveloped-data")
        self.assertEqual(envelopes[CAROL], "enveloped-data")

        # OpenPGP: gpg (gina) shows GOODSIG and VALIDSIG for alice's key; sq (sam) decrypts
        # and checks the signature with alice's certificate.
        imported = self.gpg("--status-fd", "1", "--import", "alice.asc").stdout.decode()
        alice_fpr = [line.split()[3] for line in imported.splitlines()
                     if line.startswith("[GNUPG:] IMPORT_OK")][0]
        for name, address in (("gina", GINA), ("sam", SAM)):
            raw = copies[address]
            begin = raw.index(b"-----BEGIN PGP MESSAGE-----")
            end = raw.index(b"-----END PGP MESSAGE-----") + len(b"-----END PGP MESSAGE-----")
            self.write(name + ".asc", raw[begin:end].replace(b"\r\n", b"\n") + b"\n")
        out = self.gpg("--status-fd", "1", "--output", "gina.out", "--decrypt", "gina.asc")
        self.assertIn(b"[GNUPG:] DECRYPTION_OKAY", out.stdout)
        self.assertIn(b"[GNUPG:] GOODSIG", out.stdout)
        validsig = [line for line in out.stdout.decode().splitlines()
                    if line.startswith("[GNUPG:] VALIDSIG")]
        self.assertEqual(len(validsig), 1, out.stdout)
        self.assertEqual(validsig[0].split()[-1], alice_fpr)
        self.assertIn(COPY_SUBJECT.encode(), self.read("gina.out"))
        self.sq("decrypt", "--recipient-key", "sam.key", "--signer-cert", "alice.asc",
                "--output", "sam.out", "sam.asc")
        self.assertIn(COPY_SUBJECT.encode(), self.read("sam.out"))
        self.assertIn(MARKER.encode(), self.read("sam.out"))

        # The sender sees each copy delivered, with Postfix's reply and the envelope used.
        deadline = time.monotonic() + 30
        while True:
            r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}")
            rec = {x["address"]: x for x in r.json()["recipients"]}
            if all(rec[a]["status"] == "delivered" for a in copies) or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.2)
        for address in copies:
            self.assertEqual(rec[address]["status"], "delivered", rec[address])
            self.assertIn("250", rec[address]["detail"])
        self.assertEqual(rec[RITA]["format"], "smime-authenveloped-aes256gcm")
        self.assertEqual(rec[CAROL]["format"], "smime-enveloped-aes256cbc")
        self.assertEqual(rec[GINA]["format"], "pgp-mime")
        self.assertEqual(rec[BOB]["method"], "member")
        self.assertNotIn("format", rec[BOB])
