"""The key directory through the API, as a member and an administrator use it: contacts'
certificates made by an external CA (`openssl req`/`openssl x509`, RSA-3072 and P-256) and OpenPGP
keys made by gpg, imported as PEM, DER, .p7b, a signed mail or an OpenPGP key; every bad input of
issue 12 answered with a clear problem and nothing stored; personal verification; an
administrator's trust anchor turning an untrusted certificate trusted; deletion."""

import os
import shutil
import subprocess
import tempfile

from harness import PASSWORD, Member, ServerTestCase

ALICE = "alice@example.org"
CAROL = "carol@partner.example"


def run(args, cwd, env=None, check=True):
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, timeout=120)
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} failed: {r.stderr.decode(errors='replace')}")
    return r


class ContactKeysTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-contact-keys-")
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin", {"token": cls.server.bootstrap_token,
                                                     "email": "admin@example.org",
                                                     "password": PASSWORD})
        assert r.status in (200, 201), (r.status, r.body)
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.alice = Member(cls.server, ALICE)
        cls.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj",
                     "/CN=Partner Test CA", "-days", "3650", "-addext",
                     "basicConstraints=critical,CA:TRUE", "-addext",
                     "keyUsage=critical,keyCertSign,cRLSign"])
        cls.gnupg = os.path.join(cls.dir, "gnupg")
        os.mkdir(cls.gnupg, 0o700)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def openssl(cls, args):
        return run(["openssl", *args], cls.dir)

    @classmethod
    def leaf(cls, name, email, key="rsa:3072", eku="emailProtection", days=365):
        """A certificate issued by the partner CA; returns its PEM bytes."""
        kind, param = key.split(":")
        if kind == "rsa":
            cls.openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{param}",
                         "-out", f"{name}.key"])
        else:
            cls.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{param}",
                         "-out", f"{name}.key"])
        usage = "keyEncipherment" if kind == "rsa" else "keyAgreement"
        ext = f"[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,{usage}\n"
        if eku:
            ext += f"extendedKeyUsage={eku}\n"
        ext += f"subjectAltName=email:{email}\n"
        with open(os.path.join(cls.dir, f"{name}.ext"), "w") as f:
            f.write(ext)
        cls.openssl(["req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out",
                     f"{name}.csr"])
        cls.openssl(["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", f"{name}.ext",
                     "-extensions", "ext", "-out", f"{name}.pem"])
        return cls.read(f"{name}.pem")

    @classmethod
    def read(cls, name):
        with open(os.path.join(cls.dir, name), "rb") as f:
            return f.read()

    def gpg(self, *args, stdin=None):
        return run(["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase",
                    "", *args], self.dir, env={**os.environ, "GNUPGHOME": self.gnupg,
                                               "LC_ALL": "C"})

    def gpg_key(self, uid, usage="cert,sign", subkey=True, expire="never", extra=()):
        self.gpg(*extra, "--quick-gen-key", uid, "ed25519", usage, expire)
        listed = self.gpg("--with-colons", "--list-keys", uid).stdout.decode()
        fpr = [line.split(":")[9] for line in listed.splitlines() if line.startswith("fpr:")][0]
        if subkey:
            self.gpg(*extra, "--quick-add-key", fpr, "cv25519", "encr", expire)
        return fpr

    def fingerprint(self, pem_name):
        out = self.openssl(["x509", "-in", pem_name, "-noout", "-fingerprint", "-sha256"])
        return out.stdout.decode().split("=", 1)[1].strip().replace(":", "").lower()

    def upload(self, body, content_type, address=None, who=None, path="/api/v1/contacts/keys"):
        if address:
            path += "?address=" + address
        return (who or self.alice).client.request("POST", path, raw=body,
                                                  headers={"Content-Type": content_type})

    def stored(self):
        """Every row of contact_keys, deleted ones (kept as evidence) included."""
        db = self.server.db()
        rows = db.execute("SELECT id FROM contact_keys").fetchall()
        db.close()
        return sorted(rows)

    def listed(self, who=None):
        r = (who or self.alice).client.request("GET", "/api/v1/contacts/keys")
        self.assertEqual(r.status, 200, r.body)
        return r.json()["items"]

    def delete_all(self):
        for item in self.listed():
            if not item["organisation"]:
                r = self.alice.client.request("DELETE", f"/api/v1/contacts/keys/{item['id']}")
                self.assertEqual(r.status, 204, r.body)

    def test_1_import_formats_verification_anchor_and_deletion(self):
        pem = self.leaf("carol", CAROL)
        fpr = self.fingerprint("carol.pem")
        r = self.upload(pem, "application/x-pem-file")
        self.assertEqual(r.status, 201, r.body)
        key = r.json()
        self.assertEqual(key["fingerprint"], fpr)
        self.assertEqual(key["address"], CAROL)
        self.assertEqual(key["kind"], "smime")
        self.assertEqual(key["algorithm"], "RSA 3072")
        self.assertEqual(key["status"], "needs-verification")
        self.assertEqual(key["source"], "upload")

        # The same certificate as DER is the same entry: 409, nothing added.
        self.openssl(["x509", "-in", "carol.pem", "-outform", "DER", "-out", "carol.der"])
        r = self.upload(self.read("carol.der"), "application/pkix-cert")
        self.assertEqual(r.status, 409, r.body)
        self.assertEqual(len(self.stored()), 1)
        self.assertIn("already", r.json()["detail"])

        # Personal verification: a wrong fingerprint (one digit changed) is refused.
        wrong = fpr[:10] + ("1" if fpr[10] == "0" else "0") + fpr[11:]
        r = self.alice.client.request("POST", f"/api/v1/contacts/keys/{key['id']}/verify",
                                      {"fingerprint": wrong})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "invalid-argument")
        r = self.alice.client.request("POST", f"/api/v1/contacts/keys/{key['id']}/verify",
                                      {"fingerprint": fpr.upper()})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["status"], "trusted")
        self.assertTrue(r.json()["personally_verified"])

        # Another member sees nothing of it.
        bob = Member(self.server, "bob@example.org")
        self.assertEqual(self.listed(bob), [])
        r = bob.client.request("GET", f"/api/v1/contacts/keys/{key['id']}")
        self.assertEqual(r.status, 404, r.body)
        r = bob.client.request("DELETE", f"/api/v1/contacts/keys/{key['id']}")
        self.assertEqual(r.status, 404, r.body)

        r = self.alice.client.request("DELETE", f"/api/v1/contacts/keys/{key['id']}")
        self.assertEqual(r.status, 204, r.body)
        self.assertEqual(self.listed(), [])
        r = self.alice.client.request("GET", f"/api/v1/contacts/keys/{key['id']}")
        self.assertEqual(r.status, 404, r.body)

        # A P-256 certificate in a .p7b (sniffed as octet-stream), untrusted until the
        # administrator adds the partner CA as a trust anchor.
        self.leaf("dave", "dave@partner.example", key="ec:P-256")
        self.openssl(["crl2pkcs7", "-nocrl", "-certfile", "dave.pem", "-outform", "DER", "-out",
                      "dave.p7b"])
        r = self.upload(self.read("dave.p7b"), "application/octet-stream")
        self.assertEqual(r.status, 201, r.body)
        dave = r.json()
        self.assertEqual(dave["algorithm"], "EC prime256v1")
        self.assertEqual(dave["status"], "needs-verification")
        r = self.alice.client.request("POST", "/api/v1/admin/anchors", raw=self.read("ca.pem"),
                                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 403, r.body)
        self.admin.login()
        r = self.admin.client.request("POST", "/api/v1/admin/anchors", raw=self.read("ca.pem"),
                                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 201, r.body)
        anchor = r.json()
        self.assertEqual(anchor["fingerprint"], self.fingerprint("ca.pem"))
        r = self.alice.client.request("GET", f"/api/v1/contacts/keys/{dave['id']}")
        self.assertEqual(r.json()["status"], "trusted")
        r = self.admin.client.request("GET", "/api/v1/admin/anchors")
        self.assertEqual([a["id"] for a in r.json()["items"]], [anchor["id"]])
        # A leaf is no anchor.
        r = self.admin.client.request("POST", "/api/v1/admin/anchors", raw=self.read("dave.pem"),
                                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("(not-a-ca)", r.json()["detail"])
        r = self.admin.client.request("DELETE", f"/api/v1/admin/anchors/{anchor['id']}")
        self.assertEqual(r.status, 204, r.body)
        r = self.alice.client.request("GET", f"/api/v1/contacts/keys/{dave['id']}")
        self.assertEqual(r.json()["status"], "needs-verification")
        self.delete_all()

        # A signed mail (openssl cms -sign): the signer's certificate, for the sender.
        with open(os.path.join(self.dir, "body.txt"), "w") as f:
            f.write("Hello Alice\n")
        self.openssl(["cms", "-sign", "-in", "body.txt", "-signer", "carol.pem", "-inkey",
                      "carol.key", "-from", f"Carol <{CAROL}>", "-to", ALICE, "-subject", "hi",
                      "-out", "signed.eml"])
        r = self.upload(self.read("signed.eml"), "message/rfc822")
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["fingerprint"], fpr)
        self.assertEqual(r.json()["source"], "signed-mail")
        self.assertEqual(r.json()["address"], CAROL)

        # OpenPGP, armoured and made by gpg.
        pgp_fpr = self.gpg_key(f"<{CAROL}>")
        armoured = self.gpg("--armor", "--export", pgp_fpr).stdout
        r = self.upload(armoured, "application/pgp-keys", address=CAROL)
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["kind"], "openpgp")
        self.assertEqual(r.json()["fingerprint"], pgp_fpr)
        self.assertEqual(r.json()["status"], "trusted")
        self.assertEqual(len(self.listed()), 2)
        self.delete_all()
        self.assertEqual(self.listed(), [])

        # The audit log has the trail.
        r = self.admin.client.request("GET", "/api/v1/admin/audit?limit=200")
        events = {e["event"] for e in r.json()["items"]}
        for event in ("contact_key_added", "contact_key_verified", "contact_key_deleted",
                      "trust_anchor_added", "trust_anchor_deleted"):
            self.assertIn(event, events)

    def test_2_bad_input_gets_a_clear_problem_and_stores_nothing(self):
        before = self.stored()
        good = self.leaf("erin", "erin@partner.example", key="ec:P-256")
        self.openssl(["x509", "-in", "erin.pem", "-outform", "DER", "-out", "erin.der"])
        no_eku = self.leaf("web", "erin@partner.example", key="ec:P-256", eku="serverAuth")
        weak = self.leaf("weak", "erin@partner.example", key="rsa:1024")
        # Expired: `openssl ca` sets the dates (openssl x509 dates from now).
        self.openssl(["req", "-new", "-key", "erin.key", "-subj", "/CN=old", "-out", "old.csr"])
        with open(os.path.join(self.dir, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nunique_subject = no\n"
                    "serial = ca.serial\ndefault_md = sha256\npolicy = p\n"
                    "[p]\ncommonName = supplied\n")
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "ca.serial"), "w") as f:
            f.write("1000\n")
        self.openssl(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile",
                      "ca.key", "-in", "old.csr", "-out", "expired.pem", "-startdate",
                      "20200101000000Z", "-enddate", "20210101000000Z", "-extfile", "erin.ext",
                      "-extensions", "ext", "-notext"])
        expired = self.read("expired.pem")
        self.openssl(["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile",
                      "ca.key", "-in", "old.csr", "-out", "future.pem", "-startdate",
                      "20990101000000Z", "-enddate", "21000101000000Z", "-extfile", "erin.ext",
                      "-extensions", "ext", "-notext"])
        not_yet_valid = self.read("future.pem")
        sign_only = self.gpg_key("<frank@partner.example>", subkey=False)
        old_pgp = self.gpg_key("<gina@partner.example>", expire="1y",
                               extra=("--faked-system-time", "20200101T000000!"))
        revoked = self.gpg_key("<hank@partner.example>")
        with open(os.path.join(self.gnupg, "openpgp-revocs.d", revoked + ".rev")) as f:
            rev = f.read().replace(":-----", "-----")
        with open(os.path.join(self.dir, "hank.rev"), "w") as f:
            f.write(rev)
        self.gpg("--import", "hank.rev")
        other = self.gpg_key("<ivy@partner.example>")
        secret = self.gpg("--armor", "--export-secret-keys", other).stdout
        self.assertIn(b"PRIVATE KEY BLOCK", secret)
        binary_secret = self.gpg("--export-secret-keys", other).stdout
        # 100,000 empty user ID packets (new format, tag 13: 0xCD, length 0) after a good key:
        # 200 KB, under the size limit, refused by their count before any is parsed.
        many_uids = self.gpg("--export", other).stdout + b"\xcd\x00" * 100000
        # One user ID packet of 300 KiB (a five-octet length), over the size limit; and one
        # whose length claims 2 GiB where a few bytes follow.
        huge_packet = (self.gpg("--export", other).stdout + b"\xcd\xff" +
                       (300 << 10).to_bytes(4, "big") + b"u" * (300 << 10))
        lying_packet = self.gpg("--export", other).stdout + b"\xcd\xff\x7f\xff\xff\xff" + b"u" * 16

        cases = [
            ("garbage", b"this is not a certificate at all", "application/x-pem-file", None,
             400, "not-a-certificate"),
            ("truncated PEM", good[: len(good) // 2], "application/x-pem-file", None, 400,
             "not-a-certificate"),
            ("DER with trailing bytes", self.read("erin.der") + b"\x00\x00",
             "application/pkix-cert", None, 400, "not-a-certificate"),
            ("5 MB certificate", b"A" * (5 << 20), "application/pkix-cert", None, 413,
             "too-large"),
            ("no emailProtection", no_eku, "application/x-pem-file", None, 400,
             "no-email-protection"),
            ("another address", good, "application/x-pem-file", "zoe@partner.example", 400,
             "address-mismatch"),
            ("expired", expired, "application/x-pem-file", None, 400, "expired"),
            ("not yet valid", not_yet_valid, "application/x-pem-file", None, 400,
             "not-yet-valid"),
            ("RSA-1024", weak, "application/x-pem-file", None, 400, "weak-key"),
            ("private key", self.read("erin.key"), "application/x-pem-file", None, 400,
             "private-key-material"),
            ("OpenPGP key without an encryption subkey",
             self.gpg("--export", sign_only).stdout, "application/pgp-keys",
             "frank@partner.example", 400, "no-encryption-key"),
            ("expired OpenPGP key", self.gpg("--armor", "--export", old_pgp).stdout,
             "application/pgp-keys", "gina@partner.example", 400, "expired"),
            ("revoked OpenPGP key", self.gpg("--armor", "--export", revoked).stdout,
             "application/pgp-keys", "hank@partner.example", 400, "revoked"),
            ("other user ID", self.gpg("--armor", "--export", other).stdout,
             "application/pgp-keys", "zoe@partner.example", 400, "address-mismatch"),
            ("secret key", secret, "application/pgp-keys", "ivy@partner.example", 400,
             "secret-key"),
            ("secret key, sniffed", secret, "application/octet-stream", "ivy@partner.example",
             400, "secret-key"),
            ("secret key, binary", binary_secret, "application/pgp-keys", "ivy@partner.example",
             400, "secret-key"),
            ("100,000 user IDs", many_uids, "application/pgp-keys", "ivy@partner.example", 413,
             "too-many-user-ids"),
            ("huge packet", huge_packet, "application/pgp-keys", "ivy@partner.example", 413,
             "too-large"),
            ("packet longer than the key", lying_packet, "application/pgp-keys",
             "ivy@partner.example", 400, "not-openpgp"),
        ]
        for name, body, content_type, address, status, slug in cases:
            with self.subTest(name):
                r = self.upload(body, content_type, address=address)
                self.assertEqual(r.status, status, (name, r.body[:300]))
                problem = r.json()
                self.assertIn(f"({slug})", problem.get("detail", ""), name)
                self.assertNotIn(b"PRIVATE KEY", r.body)
        self.assertEqual(self.stored(), before)
        self.assertEqual(self.listed(), [])
        # The secret key's bytes are nowhere in the database or the server's log.
        self.assertNotIn(b"PRIVATE KEY BLOCK", self.server.raw_database_bytes())
        self.assertNotIn(binary_secret[-64:], self.server.raw_database_bytes())
        self.assertNotIn("PRIVATE KEY", self.server.read_log())
        # A Content-Type that is no key at all.
        r = self.upload(good, "text/html")
        self.assertEqual(r.status, 415, r.body)


if __name__ == "__main__":
    import unittest

    unittest.main()
