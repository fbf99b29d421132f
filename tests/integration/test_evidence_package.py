"""The sender's evidence package (issue 14): GET /api/v1/messages/{id}/evidence answers 409 until
a receipt exists, then a ZIP that `unzip` unpacks; every command its README.txt lists
(`openssl cms -verify`, `openssl ts -verify`, `sealpost verify receipt`) is run as written in the
unpacked folder and succeeds; `pdftotext` reads the message id from report.pdf. Only the sender
gets it: anyone else, like a missing message, gets the same 404. A send refused for a rule it
broke (a guest without a MUC) answers with a submission_id whose SubmissionRejection receipts,
naming the reason, verify with `openssl cms -verify` and `sealpost verify receipt`."""

import os
import shlex
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import BINARY, Member, Server


class EvidencePackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, "bob@example.org")
        cls.dir = tempfile.mkdtemp(prefix="sealpost-evidence-")

    @classmethod
    def tearDownClass(cls):
        for c in (cls.alice.client, cls.bob.client):
            c.close()
        cls.server.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def send(self, subject):
        r = self.alice.client.request(
            "POST", "/api/v1/messages",
            {"to": ["bob@example.org"], "subject": subject, "text": "body of " + subject})
        self.assertEqual(r.status, 201, r.body)
        return r.json()["id"]

    def package(self, message_id, count, timeout=30):
        """The package once `count` receipts are in it (bob's opening comes a little later)."""
        deadline = time.monotonic() + timeout
        while True:
            r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}/receipts")
            self.assertEqual(r.status, 200, r.body)
            if len(r.json()["receipts"]) >= count:
                break
            if time.monotonic() > deadline:
                self.fail(f"fewer than {count} receipts after {timeout} s")
            time.sleep(0.2)
        r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}/evidence")
        self.assertEqual(r.status, 200, r.body[:300])
        return r

    def test_the_package_verifies_with_the_commands_of_its_readme(self):
        message_id = self.send("EVIDENCE-4402")
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        r = self.package(message_id, 3)
        self.assertEqual(r.headers.get("content-type"), "application/zip")
        self.assertIn(f"evidence-{message_id}.zip", r.headers.get("content-disposition", ""))

        zip_path = os.path.join(self.dir, "package.zip")
        with open(zip_path, "wb") as f:
            f.write(r.body)
        out = os.path.join(self.dir, "package")
        u = subprocess.run(["unzip", "-q", zip_path, "-d", out], capture_output=True, timeout=60)
        self.assertEqual(u.returncode, 0, u.stderr)
        receipts = sorted(os.listdir(os.path.join(out, "receipts")))
        self.assertEqual([n.split("-", 1)[1] for n in receipts if n.endswith(".p7m")], [
            "SubmissionAcceptance-bob@example.org.p7m", "ContentConsignment-bob@example.org.p7m",
            "ContentHandover-bob@example.org.p7m"])

        with open(os.path.join(out, "README.txt"), encoding="utf-8") as f:
            readme = f.read()
        self.assertIn(f"Message id: {message_id}", readme)
        commands = [line[2:] for line in readme.splitlines() if line.startswith("$ ")]
        kinds = {}
        for command in commands:
            argv = shlex.split(command)
            if argv[0] == "sealpost":
                argv[0] = BINARY
            res = subprocess.run(argv, cwd=out, capture_output=True, text=True, timeout=120)
            self.assertEqual(res.returncode, 0, f"{command}\n{res.stdout}\n{res.stderr}")
            key = " ".join(shlex.split(command)[:2])
            kinds[key] = kinds.get(key, 0) + 1
            if key == "openssl cms":
                self.assertIn("Verification successful", res.stderr)
                self.assertIn(f"message-id: {message_id}", res.stdout)
            elif key == "openssl ts":
                self.assertIn("Verification: OK", res.stdout)
        self.assertEqual(kinds, {"openssl x509": 1, "openssl cms": 3, "openssl ts": 3,
                                 "sealpost verify": 3})

        # The README's sealpost command fails for a receipt with one byte flipped.
        first = os.path.join(out, "receipts", receipts[0])
        with open(first, "rb") as f:
            der = bytearray(f.read())
        at = bytes(der).find(b"recipient: ")
        der[at + 11] ^= 0x01
        with open(first, "wb") as f:
            f.write(der)
        sealpost = next(c for c in commands if c.startswith("sealpost ") and receipts[0] in c)
        argv = shlex.split(sealpost)
        argv[0] = BINARY
        res = subprocess.run(argv, cwd=out, capture_output=True, text=True, timeout=120)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)

        pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", os.path.join(out, "report.pdf"), "-"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(pdf.returncode, 0, pdf.stderr)
        self.assertIn(message_id, pdf.stdout)
        self.assertIn("bob@example.org", pdf.stdout)

    def test_only_the_sender_and_only_once_a_receipt_exists(self):
        message_id = self.send("EVIDENCE-OTHERS")
        r = self.bob.client.request("GET", f"/api/v1/messages/{message_id}/evidence")
        missing = self.bob.client.request("GET", "/api/v1/messages/nosuchmessage/evidence")
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(missing.status, 404)
        self.assertEqual(r.problem_type(), missing.problem_type())
        # A fresh message may have no receipt yet: then 409 with a message, never an empty ZIP.
        r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}/evidence")
        if r.status == 409:
            self.assertIn("No receipts", r.json().get("detail", ""))
        else:
            self.assertEqual(r.status, 200, r.body[:300])
        self.package(message_id, 2)
        anonymous = self.server.client()
        r = anonymous.request("GET", f"/api/v1/messages/{message_id}/evidence")
        anonymous.close()
        self.assertEqual(r.status, 401, r.body)
        self.assertTrue(self.server.healthy())

    def test_a_refused_send_has_rejection_receipts_with_the_reason(self):
        r = self.alice.client.request(
            "POST", "/api/v1/messages",
            {"to": ["bob@example.org", "gina@example.net"], "subject": "EVIDENCE-REFUSED",
             "text": "no MUC for gina"})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "muc-required")
        submission = r.json().get("submission_id", "")
        self.assertRegex(submission, r"^[0-9a-f]{32}$")
        r = self.package(submission, 2)
        out = os.path.join(self.dir, "refused")
        zip_path = out + ".zip"
        with open(zip_path, "wb") as f:
            f.write(r.body)
        u = subprocess.run(["unzip", "-q", zip_path, "-d", out], capture_output=True, timeout=60)
        self.assertEqual(u.returncode, 0, u.stderr)
        receipts = sorted(n for n in os.listdir(os.path.join(out, "receipts")) if n.endswith(".p7m"))
        self.assertEqual([n.split("-", 1)[1] for n in receipts], [
            "SubmissionRejection-bob@example.org.p7m", "SubmissionRejection-gina@example.net.p7m"])
        for name in receipts:
            path = os.path.join("receipts", name)
            res = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", path,
                                  "-binary", "-CAfile", "certificates/root.pem", "-purpose", "any"],
                                 cwd=out, capture_output=True, text=True, timeout=60)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("event: SubmissionRejection\n", res.stdout)
            self.assertIn(f"message-id: {submission}\n", res.stdout)
            self.assertRegex(res.stdout, r"reason: .*MUC")
            res = subprocess.run([BINARY, "verify", "receipt", path, "--root",
                                  "certificates/root.pem", "--log-key", "log-key.txt"],
                                 cwd=out, capture_output=True, text=True, timeout=60)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        # Bob, named in the refused send, sees nothing of it.
        r = self.bob.client.request("GET", f"/api/v1/messages/{submission}/receipts")
        self.assertEqual(r.status, 404, r.body)


if __name__ == "__main__":
    unittest.main()
