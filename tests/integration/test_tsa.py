"""The platform PKI downloads and the RFC 3161 time-stamping authority at POST /tsa, checked with
stock OpenSSL as anyone would: `openssl ts -query` makes the query, `openssl ts -verify` checks
the reply against the downloaded root. Bad queries get a rejection reply or a 4xx, and the server
stays healthy."""

import base64
import os
import shutil
import subprocess
import tempfile

from harness import ServerTestCase

DATA = b"a document whose existence at this time is to be proven\n"


def der(tag, body):
    """One DER TLV (lengths below 64 KiB)."""
    if len(body) < 128:
        return bytes([tag, len(body)]) + body
    return bytes([tag, 0x82, len(body) >> 8, len(body) & 0xFF]) + body


def time_stamp_req(oid, digest_len):
    """TimeStampReq (RFC 3161 section 2.4.1) without nonce or certReq, written by hand so that
    its hash algorithm and digest length can be wrong in ways `openssl ts -query` refuses."""
    algorithm = der(0x30, der(0x06, oid) + b"\x05\x00")
    imprint = der(0x30, algorithm + der(0x04, b"\xab" * digest_len))
    return der(0x30, der(0x02, b"\x01") + imprint)


SHA256_OID = bytes.fromhex("608648016503040201")
UNKNOWN_OID = bytes.fromhex("2a0304")  # 1.2.3.4


class TsaTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-tsa-")
        c = cls.server.client()
        cls.addClassCleanup(c.close)
        for name in ("root.pem", "root.der", "chain.pem"):
            r = c.request("GET", "/api/v1/pki/" + name)
            assert r.status == 200, (name, r.status, r.body[:200])
            with open(os.path.join(cls.dir, name), "wb") as f:
                f.write(r.body)
        with open(os.path.join(cls.dir, "data.txt"), "wb") as f:
            f.write(DATA)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        self.client = self.server.client()

    def tearDown(self):
        self.client.close()
        self.assertHealthy()

    def openssl(self, *args, check=True):
        p = subprocess.run(["openssl", *args], cwd=self.dir, capture_output=True, text=True)
        if check:
            self.assertEqual(p.returncode, 0, f"openssl {' '.join(args)}:\n{p.stdout}{p.stderr}")
        return p

    def query(self, *flags):
        self.openssl("ts", "-query", "-data", "data.txt", *flags, "-out", "q.tsq")
        with open(os.path.join(self.dir, "q.tsq"), "rb") as f:
            return f.read()

    def post(self, body, content_type="application/timestamp-query"):
        return self.client.request("POST", "/tsa", raw=body, headers={"Content-Type": content_type})

    def reply(self, body):
        """Posts a query, expects 200 with a TimeStampResp, writes it to r.tsr; returns its text."""
        r = self.post(body)
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertEqual(r.headers["content-type"], "application/timestamp-reply")
        with open(os.path.join(self.dir, "r.tsr"), "wb") as f:
            f.write(r.body)
        return self.openssl("ts", "-reply", "-in", "r.tsr", "-text").stdout

    def verify(self, *extra):
        return self.openssl("ts", "-verify", "-in", "r.tsr", "-CAfile", "root.pem", "-untrusted",
                            "chain.pem", *extra, check=False)

    # --- Downloads ---------------------------------------------------------------------------

    def test_root_certificate_downloads_agree(self):
        with open(os.path.join(self.dir, "root.pem")) as f:
            pem = f.read()
        with open(os.path.join(self.dir, "root.der"), "rb") as f:
            der_bytes = f.read()
        body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
        self.assertEqual(base64.b64decode(body), der_bytes)
        text = self.openssl("x509", "-in", "root.pem", "-noout", "-subject", "-ext",
                            "basicConstraints").stdout
        self.assertIn("CN = Sealpost Root CA", text)
        self.assertIn("CA:TRUE", text)
        # chain.pem: the issuing CA, the TSA and the evidence signer, all under the root.
        with open(os.path.join(self.dir, "chain.pem")) as f:
            chain = f.read()
        self.assertEqual(chain.count("BEGIN CERTIFICATE"), 3)

    # --- Granted tokens, verified by openssl ts -verify ----------------------------------------

    def test_token_with_nonce_and_certificates_verifies(self):
        text = self.reply(self.query("-sha256", "-cert"))
        self.assertIn("Status: Granted.", text)
        self.assertIn("Policy OID: 2.25.51534812254060784980597431590958149787", text)
        p = self.verify("-data", "data.txt")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Verification: OK", p.stdout)
        # Against the query: the nonce and the imprint match (openssl compares them).
        p = self.verify("-queryfile", "q.tsq")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # The token carries its certificates: the root alone is enough.
        p = self.openssl("ts", "-verify", "-in", "r.tsr", "-data", "data.txt", "-CAfile",
                         "root.pem", check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_token_without_nonce_or_certificates_verifies_with_the_chain(self):
        text = self.reply(self.query("-sha256", "-no_nonce"))
        self.assertIn("Status: Granted.", text)
        self.assertIn("Nonce: unspecified", text)
        p = self.verify("-data", "data.txt")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_sha512_imprint_and_another_document_fails(self):
        self.reply(self.query("-sha512", "-cert"))
        self.assertEqual(self.verify("-data", "data.txt").returncode, 0)
        with open(os.path.join(self.dir, "other.txt"), "wb") as f:
            f.write(b"a different document\n")
        self.assertNotEqual(self.verify("-data", "other.txt").returncode, 0)

    def test_flipped_byte_in_the_reply_fails_verification(self):
        self.reply(self.query("-sha256", "-cert"))
        path = os.path.join(self.dir, "r.tsr")
        with open(path, "rb") as f:
            reply = bytearray(f.read())
        reply[-1] ^= 0x01
        with open(path, "wb") as f:
            f.write(reply)
        self.assertNotEqual(self.verify("-data", "data.txt").returncode, 0)

    # --- Bad queries: rejections or 4xx --------------------------------------------------------

    def assertRejected(self, body, failure):
        text = self.reply(body)
        self.assertIn("Status: Rejected.", text)
        self.assertIn(failure, text)

    def test_garbage_is_rejected_as_bad_data_format(self):
        for body in (b"garbage", b"", b"\x30", b"\x30\x82\xff\xff" + b"\x00" * 100):
            self.assertRejected(body, "the data submitted has the wrong format")

    def test_unknown_hash_algorithms_are_rejected_as_bad_alg(self):
        self.assertRejected(self.query("-sha1"), "unrecognized or unsupported algorithm")
        self.assertRejected(time_stamp_req(UNKNOWN_OID, 32), "unrecognized or unsupported algorithm")

    def test_wrong_digest_length_is_rejected_as_bad_data_format(self):
        self.assertRejected(time_stamp_req(SHA256_OID, 31), "the data submitted has the wrong format")
        self.assertRejected(time_stamp_req(SHA256_OID, 64), "the data submitted has the wrong format")
        # The same builder with the right length is granted: the rejections above are the length's.
        self.assertIn("Status: Granted.", self.reply(time_stamp_req(SHA256_OID, 32)))

    def test_oversized_query_is_413(self):
        # http.client sends the whole body before it reads: the answer must survive that.
        for size in (64 * 1024 + 1, 4 * 1024 * 1024):
            r = self.post(b"\x30" * size)
            self.assertEqual(r.status, 413)
            self.assertEqual(r.problem_type(), "payload-too-large")
        # Exactly at the limit: read and answered with a rejection.
        self.assertRejected(b"\x30" * (64 * 1024), "the data submitted has the wrong format")

    def test_wrong_content_type_and_method(self):
        r = self.post(self.query("-sha256"), content_type="application/json")
        self.assertEqual(r.status, 415)
        r = self.client.request("GET", "/tsa")
        self.assertEqual(r.status, 405)

    # --- Persistence ---------------------------------------------------------------------------

    def test_restart_keeps_the_same_pki(self):
        self.server.stop()
        self.server.start()
        self.client.close()
        self.client = self.server.client()
        r = self.client.request("GET", "/api/v1/pki/root.der")
        self.assertEqual(r.status, 200)
        with open(os.path.join(self.dir, "root.der"), "rb") as f:
            self.assertEqual(r.body, f.read())
        # A token made after the restart verifies with the root downloaded before it.
        self.reply(self.query("-sha256", "-cert"))
        self.assertEqual(self.verify("-data", "data.txt").returncode, 0)
