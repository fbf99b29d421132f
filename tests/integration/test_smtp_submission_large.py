"""A 100 MiB attachment (the upload limit) sent by a mail program through the submission port
(docs/smtp-submission.md): Python's smtplib over STARTTLS with an app password, the message
written as a mail program writes it (multipart/mixed, base64 in 76-character lines: 137 MiB),
streamed to the server and never whole in this process either. The recipient downloads it
through the API byte-identical (SHA-256), and the server's peak resident memory rises by far
less than the message (it is parsed from its spool and decoded into the blob as it is read;
src/mime/streamed_message.h). The same in C++: src/app/mail_submission_test.cpp."""

import base64
import hashlib
import os
import smtplib
import ssl
import time
import unittest
import uuid

from harness import PASSWORD, Member, Server

ATTACHMENT_SIZE = 100 * 1024 * 1024
LINE_BYTES = 57  # one 76-character base64 line


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def attachment_blocks(size, block=57 * 18396):
    """Reproducible incompressible bytes in blocks (a multiple of LINE_BYTES)."""
    seed = hashlib.sha256(b"sealpost large attachment").digest()
    counter = 0
    sent = 0
    while sent < size:
        n = min(block, size - sent)
        out = bytearray()
        while len(out) < n:
            out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest() * 64
            counter += 1
        yield bytes(out[:n])
        sent += n


def base64_lines(data):
    return b"".join(base64.b64encode(data[i:i + LINE_BYTES]) + b"\r\n"
                    for i in range(0, len(data), LINE_BYTES))


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class LargeAttachmentSubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_config='[smtp]\nhostname = "sealpost.test"\n').start()
        s = cls.server
        r = s.client().request("POST", "/api/v1/setup/admin",
                               {"token": s.bootstrap_token, "email": "root@example.org",
                                "password": PASSWORD})
        assert r.status == 201, r.body
        cls.alice = Member(s, "alice@example.org")
        cls.bob = Member(s, "bob@example.org")
        for m in (cls.alice, cls.bob):
            m.login()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_hundred_mebibyte_attachment_round_trips_in_bounded_memory(self):
        r = self.alice.client.request("POST", "/api/v1/account/app-passwords", {"name": "big"})
        self.assertEqual(r.status, 201, r.body)
        password = r.json()["password"]
        marker = uuid.uuid4().hex
        head = ("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
                f"Subject: =?UTF-8?Q?Gro=C3=9Fe_Datei?= {marker}\r\nMIME-Version: 1.0\r\n"
                'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
                "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
                f"see attached {marker}\r\n"
                "--b\r\nContent-Type: application/octet-stream\r\n"
                'Content-Disposition: attachment; filename="big.bin"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n").encode()

        pid = self.server.proc.pid
        before = proc_status(pid, "VmRSS")
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # resets the peak mark (VmHWM)
        started = time.time()
        digest = hashlib.sha256()
        with smtplib.SMTP("127.0.0.1", self.server.smtp_ports["submission"], timeout=120) as s:
            s.ehlo("client.test")
            s.starttls(context=tls_context())
            s.ehlo("client.test")
            limit = int(s.esmtp_features["size"])
            self.assertGreaterEqual(limit, 150 * 1024 * 1024)
            s.login("alice@example.org", password)
            code, text = s.mail("alice@example.org")
            self.assertEqual(code, 250, text)
            code, text = s.rcpt("bob@example.org")
            self.assertEqual(code, 250, text)
            code, text = s.docmd("DATA")
            self.assertEqual(code, 354, text)
            # No line starts with "." (base64, fixed text): nothing to dot-stuff.
            s.sock.sendall(head)
            for block in attachment_blocks(ATTACHMENT_SIZE):
                digest.update(block)
                s.sock.sendall(base64_lines(block))
            s.sock.sendall(b"--b--\r\n.\r\n")
            code, text = s.getreply()
            self.assertEqual(code, 250, text)
            self.assertIn(b"Sent securely", text)
        sent_in = time.time() - started
        growth = proc_status(pid, "VmHWM") - before
        print(f"\n100 MiB attachment: sent and stored in {sent_in:.1f} s; server peak resident "
              f"memory growth {growth / (1 << 20):.1f} MiB")
        # The message alone is 137 MiB; parsed in memory it took several times that. Under
        # AddressSanitizer (its runtime mapped in the server) freed memory stays resident in its
        # quarantine, so the bound is asserted only for the normal build.
        with open(f"/proc/{pid}/maps") as f:
            sanitized = "libasan" in f.read()
        if not sanitized:
            self.assertLess(growth, 96 * 1024 * 1024)

        received = self.bob.find_message("inbox", marker, timeout=60)
        self.assertIsNotNone(received, "the submitted message is not in bob's inbox")
        self.assertEqual(received["seal"]["status"], "valid")
        self.assertEqual(received["subject"], f"Große Datei {marker}")
        self.assertEqual(len(received["attachments"]), 1)
        self.assertEqual(received["attachments"][0]["name"], "big.bin")
        self.assertEqual(received["attachments"][0]["size"], ATTACHMENT_SIZE)

        conn = self.server.connect()
        conn.request("GET", f"/api/v1/messages/{received['id']}/attachments/0",
                     headers={"Cookie": self.bob.client.cookie_header()})
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        downloaded = hashlib.sha256()
        total = 0
        while True:
            piece = r.read(1 << 20)
            if not piece:
                break
            downloaded.update(piece)
            total += len(piece)
        conn.close()
        self.assertEqual(total, ATTACHMENT_SIZE)
        self.assertEqual(downloaded.hexdigest(), digest.hexdigest())


if __name__ == "__main__":
    unittest.main()
