"""Real mail clients against the SMTP server (tests/smtp/smtp_test_server.cpp): swaks (STARTTLS,
implicit TLS, AUTH PLAIN and LOGIN, pipelining, attachments, refusals) and Python's smtplib;
BDAT through a raw TLS socket (neither swaks 20201014 nor smtplib speaks CHUNKING).

Every accepted message lands in the server's output directory; each test checks what is there.
Standard library only. SMTP_TEST_SERVER names the binary.
"""

import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
from email.message import EmailMessage

SERVER = os.environ.get("SMTP_TEST_SERVER", "")
USER = "alice@example.org"
PASSWORD = "correct horse"


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class SmtpClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not SERVER:
            raise unittest.SkipTest("SMTP_TEST_SERVER not set")
        cls.dir = tempfile.mkdtemp(prefix="sealpost-smtp-")
        cls.out = os.path.join(cls.dir, "out")
        os.mkdir(cls.out)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=sealpost.test",
             "-days", "2", "-addext", "subjectAltName=DNS:sealpost.test,IP:127.0.0.1"],
            cwd=cls.dir, check=True, capture_output=True)
        cls.log = open(os.path.join(cls.dir, "server.log"), "w")
        cls.proc = subprocess.Popen(
            [SERVER, os.path.join(cls.dir, "cert.pem"), os.path.join(cls.dir, "key.pem"), cls.out],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=cls.log, text=True)
        line = cls.proc.stdout.readline()
        while line and not line.startswith("ports "):  # the server's log lines come first
            line = cls.proc.stdout.readline()
        ports = dict(re.findall(r"(\w+)=(\d+)", line))
        if not ports:
            raise RuntimeError("server did not start: " + line)
        cls.submission = int(ports["submission"])
        cls.submissions = int(ports["submissions"])
        cls.inbound = int(ports["inbound"])

    @classmethod
    def tearDownClass(cls):
        cls.proc.stdin.close()
        cls.proc.wait(timeout=20)
        cls.proc.stdout.close()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def messages(self):
        names = sorted(os.listdir(self.out), key=lambda n: int(n.split(".")[0]))
        out = []
        for name in names:
            with open(os.path.join(self.out, name), "rb") as f:
                out.append(f.read())
        return out

    def count(self):
        return len(os.listdir(self.out))

    def swaks(self, *args, expect_ok=True):
        result = subprocess.run(
            ["swaks", "--server", "127.0.0.1", "--helo", "client.test", "--timeout", "20",
             *args], capture_output=True, text=True, timeout=120)
        if expect_ok:
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result

    def test_swaks_starttls_auth_plain(self):
        before = self.count()
        result = self.swaks("--port", str(self.submission), "--tls", "--auth", "PLAIN",
                            "--auth-user", USER, "--auth-password", PASSWORD,
                            "--from", USER, "--to", "bob@example.org",
                            "--header", "Subject: swaks plain", "--body", "hello over STARTTLS")
        self.assertIn("220 2.0.0 Ready to start TLS", result.stdout)
        self.assertIn("235 2.7.0", result.stdout)
        self.assertRegex(result.stdout, r"250 2\.0\.0 Queued as \d+")
        self.assertEqual(self.count(), before + 1)
        message = self.messages()[-1]
        self.assertIn(b"Subject: swaks plain\r\n", message)
        self.assertIn(b"hello over STARTTLS", message)
        self.assertNotIn(b"\n", message.replace(b"\r\n", b""))  # every line end is CRLF

    def test_swaks_implicit_tls_auth_login_pipelining_attachment(self):
        before = self.count()
        attachment = os.path.join(self.dir, "report.bin")
        payload = os.urandom(300_000)
        with open(attachment, "wb") as f:
            f.write(payload)
        result = self.swaks("--port", str(self.submissions), "--tls-on-connect",
                            "--auth", "LOGIN", "--auth-user", USER, "--auth-password", PASSWORD,
                            "--pipeline", "--from", USER, "--to", "bob@example.org,carol@example.org",
                            "--header", "Subject: with attachment", "--attach", "@" + attachment)
        self.assertIn("334 VXNlcm5hbWU6", result.stdout)
        self.assertIn("PIPELINING", result.stdout)
        self.assertEqual(self.count(), before + 1)
        message = self.messages()[-1]
        # The attachment survives intact: decode the MIME part and compare.
        import email
        parsed = email.message_from_bytes(message)
        parts = [p for p in parsed.walk() if p.get_filename()]
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_payload(decode=True), payload)

    def test_swaks_refusals(self):
        before = self.count()
        # AUTH before STARTTLS on the submission port: not offered, refused.
        result = self.swaks("--port", str(self.submission), "--auth", "PLAIN",
                            "--auth-user", USER, "--auth-password", PASSWORD,
                            "--from", USER, "--to", "bob@example.org", expect_ok=False)
        self.assertNotEqual(result.returncode, 0)
        # A wrong password.
        result = self.swaks("--port", str(self.submission), "--tls", "--auth", "PLAIN",
                            "--auth-user", USER, "--auth-password", "wrong",
                            "--from", USER, "--to", "bob@example.org", expect_ok=False)
        self.assertIn("535 5.7.8", result.stdout)
        # An unknown recipient at the MX.
        result = self.swaks("--port", str(self.inbound), "--from", "x@outside.example",
                            "--to", "unknown@example.org", expect_ok=False)
        self.assertIn("550 5.1.1", result.stdout)
        # Over the size limit of the MX (64 KiB), while streaming.
        big = os.path.join(self.dir, "big.txt")
        with open(big, "w") as f:
            f.write(("x" * 76 + "\r\n") * 2000)
        result = self.swaks("--port", str(self.inbound), "--from", "x@outside.example",
                            "--to", "bob@example.org", "--attach", "@" + big, expect_ok=False)
        self.assertIn("552 5.3.4", result.stdout)
        self.assertEqual(self.count(), before)

    def test_swaks_smuggling_attempt_is_refused(self):
        before = self.count()
        # swaks sends --data as given, with --no-data-fixup keeping the bare LF around the dot.
        data = ("From: x@outside.example\r\nSubject: smuggle\r\n\r\nbody\n.\n"
                "MAIL FROM:<evil@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
                "smuggled\r\n.\r\n")  # --no-data-fixup: the real end is ours to send
        result = self.swaks("--port", str(self.inbound), "--from", "x@outside.example",
                            "--to", "bob@example.org", "--data", data, "--no-data-fixup",
                            expect_ok=False)
        self.assertIn("550 5.6.11", result.stdout)
        self.assertEqual(self.count(), before)

    def test_smtplib_starttls_utf8_and_8bit(self):
        before = self.count()
        msg = EmailMessage()
        msg["From"] = USER
        msg["To"] = "bob@example.org"
        msg["Subject"] = "Grüße aus smtplib"
        msg.set_content("Ünïcödé body\n", cte="8bit")
        with smtplib.SMTP("127.0.0.1", self.submission, timeout=20) as client:
            client.ehlo("client.test")
            self.assertTrue(client.has_extn("starttls"))
            self.assertFalse(client.has_extn("auth"))
            client.starttls(context=tls_context())
            client.ehlo("client.test")
            self.assertIn("PLAIN", client.esmtp_features["auth"])
            client.login(USER, PASSWORD)
            refused = client.send_message(msg, mail_options=["BODY=8BITMIME"])
            self.assertEqual(refused, {})
        self.assertEqual(self.count(), before + 1)
        self.assertIn("Ünïcödé".encode(), self.messages()[-1])

    def test_smtplib_implicit_tls(self):
        before = self.count()
        with smtplib.SMTP_SSL("127.0.0.1", self.submissions, context=tls_context(),
                              timeout=20) as client:
            client.login(USER, PASSWORD)
            client.sendmail(USER, ["bob@example.org"], "Subject: ssl\r\n\r\n.leading dot\r\n")
        self.assertEqual(self.count(), before + 1)
        self.assertIn(b"\r\n.leading dot\r\n", self.messages()[-1])

    def test_bdat_over_tls(self):
        before = self.count()
        raw = socket.create_connection(("127.0.0.1", self.submissions), timeout=20)
        conn = tls_context().wrap_socket(raw)
        reader = conn.makefile("rb")

        def reply():
            lines = []
            while True:
                line = reader.readline().decode()
                lines.append(line)
                if len(line) < 4 or line[3] == " ":
                    return "".join(lines)

        self.assertTrue(reply().startswith("220"))
        conn.sendall(b"EHLO client.test\r\n")
        self.assertIn("CHUNKING", reply())
        conn.sendall(b"AUTH PLAIN " + __import__("base64").b64encode(
            b"\0" + USER.encode() + b"\0" + PASSWORD.encode()) + b"\r\n")
        self.assertTrue(reply().startswith("235"))
        first = b"Subject: chunked\r\n"
        second = b"\r\nbody in two chunks\r\n"
        conn.sendall(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\n"
                     + b"BDAT %d\r\n" % len(first) + first
                     + b"BDAT %d LAST\r\n" % len(second) + second)
        self.assertTrue(reply().startswith("250"))
        self.assertTrue(reply().startswith("250"))
        self.assertTrue(reply().startswith("250 2.0.0 %d octets" % len(first)))
        self.assertTrue(reply().startswith("250 2.0.0 Queued"))
        conn.sendall(b"QUIT\r\n")
        self.assertTrue(reply().startswith("221"))
        conn.close()
        self.assertEqual(self.count(), before + 1)
        self.assertEqual(self.messages()[-1], first + second)

    def test_sessions_per_address_are_limited(self):
        held = []
        try:
            for _ in range(3):
                s = socket.create_connection(("127.0.0.1", self.inbound), timeout=10)
                self.assertTrue(s.recv(100).startswith(b"220"))
                held.append(s)
            extra = socket.create_connection(("127.0.0.1", self.inbound), timeout=10)
            self.assertTrue(extra.recv(100).startswith(b"421 4.7.0"))
            extra.close()
        finally:
            for s in held:
                s.close()
        # Held sessions time out on their own (2 s command timeout here); then one gets in.
        deadline = time.time() + 10
        while time.time() < deadline:
            s = socket.create_connection(("127.0.0.1", self.inbound), timeout=10)
            greeting = s.recv(100)
            s.close()
            if greeting.startswith(b"220"):
                return
            time.sleep(0.2)
        self.fail("no session accepted after the others closed")

    def test_idle_session_times_out(self):
        s = socket.create_connection(("127.0.0.1", self.inbound), timeout=10)
        self.assertTrue(s.recv(100).startswith(b"220"))
        start = time.time()
        self.assertEqual(s.recv(100), b"")  # closed by the server after the 2 s deadline
        self.assertLess(time.time() - start, 6)
        s.close()


if __name__ == "__main__":
    unittest.main()
