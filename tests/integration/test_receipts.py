"""Receipts for sent messages (issue 14): a member sends to a member and to a guest; the
recipients open it; the sender lists and downloads the receipts over HTTPS and every one verifies
with stock OpenSSL (`openssl cms -verify` against the root from GET /api/v1/pki/root.pem, and
`openssl ts -verify` on the embedded time-stamp token) and with `sealpost verify receipt`. A
flipped byte, or a receipt checked against another message's digest, fails. Only the sender sees
them."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Member, Server

GUEST = "gina@example.net"


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, timeout=60, **kwargs)


class ReceiptsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, "bob@example.org")
        cls.guest = cls.server.client()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-receipts-")
        c = cls.server.client()
        for name in ("root.pem", "chain.pem"):
            r = c.request("GET", "/api/v1/pki/" + name)
            assert r.status == 200, (name, r.status)
            with open(os.path.join(cls.dir, name), "wb") as f:
                f.write(r.body)
        r = c.request("GET", "/log/v1/key")
        assert r.status == 200, r.status
        with open(os.path.join(cls.dir, "log.vkey"), "wb") as f:
            f.write(r.body)
        c.close()

    @classmethod
    def tearDownClass(cls):
        for c in (cls.guest, cls.alice.client, cls.bob.client):
            c.close()
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def send(self, subject):
        r = self.alice.client.request(
            "POST", "/api/v1/messages",
            {"to": ["bob@example.org", GUEST], "subject": subject, "text": "body of " + subject,
             "generate_mucs": True})
        self.assertEqual(r.status, 201, r.body)
        # A guest who has a code already gets no new one.
        return r.json()["id"], r.json().get("generated_mucs", {}).get(GUEST)

    def wait_for_receipts(self, message_id, count, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}/receipts")
            self.assertEqual(r.status, 200, r.body)
            receipts = r.json()["receipts"]
            if len(receipts) >= count:
                return receipts
            if time.monotonic() > deadline:
                self.fail(f"{len(receipts)} of {count} receipts after {timeout} s: {receipts}")
            time.sleep(0.2)

    def download(self, item, name):
        r = self.alice.client.request("GET", item["href"])
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/pkcs7-mime"))
        with open(self.path(name), "wb") as f:
            f.write(r.body)
        return self.path(name)

    def sealpost_verify(self, receipt, *extra):
        return self.server.run_cli("verify", "receipt", receipt, "--root", self.path("root.pem"),
                                   "--log-key", self.path("log.vkey"), *extra)

    def openssl_cms_verify(self, receipt):
        return run("openssl", "cms", "-verify", "-inform", "DER", "-in", receipt, "-binary",
                   "-CAfile", self.path("root.pem"), "-purpose", "any")

    def time_stamp_token(self, receipt, name):
        """Cuts the RFC 3161 token out of the receipt's unsigned attribute, as the README does."""
        out = run("openssl", "asn1parse", "-inform", "DER", "-in", receipt).stdout.decode()
        lines = out.splitlines()
        at = next(i for i, line in enumerate(lines) if ":id-smime-aa-timeStampToken" in line)
        m = re.match(r"\s*(\d+):d=\d+\s+hl=\s*(\d+)\s+l=\s*(\d+)", lines[at + 2])
        self.assertIsNotNone(m, lines[at + 2])
        offset, hl, length = (int(g) for g in m.groups())
        token = self.path(name)
        r = run("openssl", "asn1parse", "-inform", "DER", "-in", receipt, "-offset", str(offset),
                "-length", str(hl + length), "-noout", "-out", token)
        self.assertEqual(r.returncode, 0, r.stderr)
        return token

    def test_receipts_for_a_member_and_a_guest_verify_with_stock_tools(self):
        message_id, muc = self.send("RECEIPTS-7731")
        # Both recipients open it: the guest with link and MUC, bob after log-in.
        link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", self.server.mail_to(GUEST)).group(1)
        r = self.guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": muc})
        self.assertEqual(r.status, 200, r.body)
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)

        receipts = self.wait_for_receipts(message_id, 6)
        got = sorted((x["recipient"], x["event"]) for x in receipts)
        self.assertEqual(got, sorted([
            ("bob@example.org", "SubmissionAcceptance"), ("bob@example.org", "ContentConsignment"),
            ("bob@example.org", "ContentHandover"), (GUEST, "SubmissionAcceptance"),
            (GUEST, "ContentConsignment"), (GUEST, "ContentHandover")]))
        indexes = [x["log_index"] for x in receipts]
        self.assertEqual(indexes, sorted(indexes))

        digest = None
        for n, item in enumerate(receipts):
            receipt = self.download(item, f"r{n}.p7m")
            # Stock OpenSSL: the CMS signature and chain to the downloaded root.
            r = self.openssl_cms_verify(receipt)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"Verification successful", r.stderr)
            document = r.stdout.decode()
            self.assertIn(f"event: {item['event']}\n", document)
            self.assertIn(f"message-id: {message_id}\n", document)
            self.assertIn(f"recipient: {item['recipient']}\n", document)
            self.assertIn(f"log-index: {item['log_index']}\n", document)
            digest = re.search(r"sealed-digest: ([0-9a-f]{64})", document).group(1)
            # Sealpost's own verifier: everything, with the log key, and the message's digest.
            r = self.sealpost_verify(receipt, "--digest", digest)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            imprint = re.search(r"imprint ([0-9a-f]{64})", r.stdout + r.stderr).group(1)
            # Stock OpenSSL on the embedded time-stamp token.
            token = self.time_stamp_token(receipt, f"t{n}.der")
            r = run("openssl", "ts", "-verify", "-in", token, "-token_in", "-digest", imprint,
                    "-CAfile", self.path("root.pem"), "-untrusted", self.path("chain.pem"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn(b"Verification: OK", r.stdout)

        # One byte flipped (in the signed document): both verifiers refuse it.
        with open(self.path("r0.p7m"), "rb") as f:
            der = bytearray(f.read())
        at = bytes(der).find(b"recipient: ")
        self.assertGreater(at, 0)
        der[at + 11] ^= 0x01
        with open(self.path("flipped.p7m"), "wb") as f:
            f.write(der)
        self.assertNotEqual(self.openssl_cms_verify(self.path("flipped.p7m")).returncode, 0)
        self.assertEqual(self.sealpost_verify(self.path("flipped.p7m")).returncode, 1)

        # A receipt of another message does not vouch for this one's digest.
        other_id, _ = self.send("RECEIPTS-OTHER-7731")
        other = self.wait_for_receipts(other_id, 1)
        receipt = self.download(other[0], "other.p7m")
        self.assertEqual(self.sealpost_verify(receipt).returncode, 0)
        r = self.sealpost_verify(receipt, "--digest", digest)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("sealed digest", r.stdout + r.stderr)

        # Only the sender: bob (a recipient) gets the 404 of a missing message.
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}/receipts")
        missing = self.bob.client.request("GET", "/api/v1/messages/nosuchmessage/receipts")
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(missing.status, 404)
        self.assertEqual(r.problem_type(), missing.problem_type())
        r = self.bob.client.request("GET", receipts[0]["href"])
        self.assertEqual(r.status, 404, r.body)
        r = self.alice.client.request("GET", f"/api/v1/messages/{other_id}/receipts/"
                                      f"{receipts[0]['id']}")
        self.assertEqual(r.status, 404, r.body)
        self.assertTrue(self.server.healthy())


if __name__ == "__main__":
    unittest.main()
