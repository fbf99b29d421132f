"""A member's own keys, checked with stock tools as a contact would: the S/MIME certificate from
GET /api/v1/account/keys/smime.pem chains to the platform root (`openssl verify`, purpose
smimesign) and names the address in its subjectAltName; the OpenPGP key from openpgp.asc is read
by `gpg --show-keys` (an import that stores nothing) with the address as its user ID and an ed25519 + cv25519 key."""

import os
import re
import shutil
import subprocess
import tempfile

from harness import Member, ServerTestCase

ADDRESS = "keyholder@example.org"


def run(args, cwd, env=None):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


class MemberKeysTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-member-keys-")
        cls.member = Member(cls.server, ADDRESS, display_name="Key Holder")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    def save(self, name, body):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(body)
        return path

    def get(self, path, client=None):
        r = (client or self.member.client).request("GET", path)
        self.assertEqual(r.status, 200, (path, r.body[:300]))
        return r

    def test_summary_matches_the_downloads(self):
        keys = self.get("/api/v1/account/keys").json()
        der = self.get("/api/v1/account/keys/smime.der")
        self.assertEqual(der.headers.get("content-type"), "application/pkix-cert")
        self.assertIn("attachment", der.headers.get("content-disposition", ""))
        path = self.save("summary.cer", der.body)
        out = run(["openssl", "x509", "-inform", "DER", "-in", path, "-noout", "-fingerprint",
                   "-sha256", "-serial", "-issuer", "-nameopt", "RFC2253"], self.dir)
        self.assertEqual(out.returncode, 0, out.stderr)
        fingerprint = re.search(r"Fingerprint=([0-9A-F:]+)", out.stdout).group(1)
        self.assertEqual(fingerprint.replace(":", "").lower(), keys["smime"]["sha256_fingerprint"])
        serial = re.search(r"serial=([0-9A-F]+)", out.stdout).group(1)
        self.assertEqual(serial, keys["smime"]["serial"])
        self.assertIn("Issuing CA", keys["smime"]["issuer"])
        self.assertEqual(keys["openpgp"]["algorithm"], "ed25519/cv25519")
        self.assertEqual(keys["openpgp"]["user_id"], ADDRESS)
        self.assertRegex(keys["openpgp"]["fingerprint"], r"^[0-9A-F]{40}$")

    def test_certificate_chains_to_the_platform_root_for_smime(self):
        root = self.save("root.pem", self.get("/api/v1/pki/root.pem").body)
        pem = self.get("/api/v1/account/keys/smime.pem").body
        self.assertEqual(pem.count(b"-----BEGIN CERTIFICATE-----"), 3)  # member, issuing, root
        chain = self.save("smime.pem", pem)
        # `openssl verify` reads the first certificate of the file; the rest is the chain. Not
        # "-purpose smimeencrypt": OpenSSL asks for keyEncipherment there, which an EC key does
        # not have (it agrees keys: keyAgreement, RFC 8550 section 4.4.2).
        for purpose in ([], ["-purpose", "smimesign"]):
            out = run(["openssl", "verify", "-CAfile", root, "-untrusted", chain, *purpose, chain],
                      self.dir)
            self.assertEqual(out.returncode, 0, (purpose, out.stdout, out.stderr))
            self.assertIn(": OK", out.stdout)
        # Another root (a fresh self-signed one) does not anchor it: the check can fail.
        other_key = os.path.join(self.dir, "other.key")
        other = os.path.join(self.dir, "other.pem")
        made = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", other_key, "-out", other,
                    "-subj", "/CN=Someone Else", "-days", "1"], self.dir)
        self.assertEqual(made.returncode, 0, made.stderr)
        out = run(["openssl", "verify", "-CAfile", other, "-untrusted", chain, chain], self.dir)
        self.assertNotEqual(out.returncode, 0, out.stdout)

        san = run(["openssl", "x509", "-in", chain, "-noout", "-ext",
                   "subjectAltName,extendedKeyUsage"], self.dir)
        self.assertEqual(san.returncode, 0, san.stderr)
        self.assertIn("email:" + ADDRESS, san.stdout)
        self.assertIn("E-mail Protection", san.stdout)
        key = run(["openssl", "x509", "-in", chain, "-noout", "-text"], self.dir)
        self.assertIn("prime256v1", key.stdout)

    def test_openpgp_key_is_read_by_gpg(self):
        armored = self.get("/api/v1/account/keys/openpgp.asc")
        self.assertEqual(armored.headers.get("content-type"), "application/pgp-keys")
        self.assertTrue(armored.body.startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"))
        path = self.save("openpgp.asc", armored.body)
        home = tempfile.mkdtemp(prefix="gnupg-", dir=self.dir)
        os.chmod(home, 0o700)
        env = dict(os.environ, GNUPGHOME=home)
        # --show-keys is --import with --import-options show-only: nothing is stored.
        out = run(["gpg", "--batch", "--with-colons", "--show-keys", path], self.dir, env)
        self.assertEqual(out.returncode, 0, out.stderr)
        records = [line.split(":") for line in out.stdout.splitlines()]
        pub = [r for r in records if r[0] == "pub"]
        sub = [r for r in records if r[0] == "sub"]
        uids = [r[9] for r in records if r[0] == "uid"]
        self.assertEqual(len(pub), 1, out.stdout)
        self.assertEqual(pub[0][16], "ed25519")  # field 17: curve name
        self.assertIn("s", pub[0][11])  # capabilities: sign
        self.assertEqual([r[16] for r in sub], ["cv25519"])
        self.assertIn("e", sub[0][11])  # encrypt
        self.assertEqual(uids, [ADDRESS])
        fpr = [r[9] for r in records if r[0] == "fpr"][0]
        keys = self.get("/api/v1/account/keys").json()
        self.assertEqual(fpr, keys["openpgp"]["fingerprint"])

    def test_keys_need_a_session(self):
        anonymous = self.server.client()
        try:
            for path in ("/api/v1/account/keys", "/api/v1/account/keys/smime.pem",
                         "/api/v1/account/keys/smime.der", "/api/v1/account/keys/openpgp.asc"):
                r = anonymous.request("GET", path)
                self.assertEqual(r.status, 401, path)
        finally:
            anonymous.close()

    def test_each_member_gets_their_own(self):
        other = Member(self.server, "second-keyholder@example.org")
        mine = self.get("/api/v1/account/keys").json()
        theirs = self.get("/api/v1/account/keys", other.client).json()
        self.assertNotEqual(mine["smime"]["sha256_fingerprint"], theirs["smime"]["sha256_fingerprint"])
        self.assertNotEqual(mine["openpgp"]["fingerprint"], theirs["openpgp"]["fingerprint"])
        self.assertEqual(theirs["openpgp"]["user_id"], "second-keyholder@example.org")
