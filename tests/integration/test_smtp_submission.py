"""The submission face in the real `sealpost serve` (docs/smtp-submission.md), driven by swaks and
Python's smtplib on both submission listeners (STARTTLS and implicit TLS).

App passwords (another part of issue 13) are not wired into serve yet: every AUTH is refused, so
what is checked here is that mail programs reach the face and get its refusals — 535 for any
password, 530 for MAIL without AUTH — and that the server keeps serving. Sending for real comes
with app passwords; the face and the use case are tested in C++ (src/smtp/submission_face_test.cpp,
src/app/mail_submission_test.cpp)."""

import shutil
import smtplib
import ssl
import subprocess
import unittest

from harness import Server
from postfix_relay import free_port


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class SmtpSubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.submission = free_port()
        cls.submissions = free_port()
        cls.server = Server(extra_config=f"""
[smtp]
hostname = "sealpost.test"

[smtp.submission]
port = {cls.submission}

[smtp.submissions]
port = {cls.submissions}

[smtp_policy]
policy = "rules"
ready_rules = ["iban", "card", "ssn"]
""").start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_smtplib_starttls_wrong_password_is_535(self):
        with smtplib.SMTP("127.0.0.1", self.submission, timeout=30) as s:
            s.ehlo("client.test")
            s.starttls(context=tls_context())
            s.ehlo("client.test")
            self.assertIn("auth", s.esmtp_features)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
                s.login("alice@example.org", "not-an-app-password-0123456789")
            self.assertEqual(refused.exception.smtp_code, 535)

    def test_smtplib_mail_without_auth_is_530(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.submissions, context=tls_context(),
                              timeout=30) as s:
            s.ehlo("client.test")
            code, text = s.mail("alice@example.org")
            self.assertEqual(code, 530, text)
            self.assertIn(b"5.7.0", text)

    def test_swaks_implicit_tls_auth_refused_and_server_serves_on(self):
        if not shutil.which("swaks"):
            self.skipTest("swaks is not installed")
        for attempt in range(2):
            run = subprocess.run(
                ["swaks", "--server", "127.0.0.1", "--port", str(self.submissions),
                 "--tls-on-connect", "--auth", "PLAIN", "--auth-user", "alice@example.org",
                 "--auth-password", "wrong-app-password", "--from", "alice@example.org",
                 "--to", "bob@example.org", "--timeout", "30"],
                capture_output=True, text=True, timeout=120)
            self.assertNotEqual(run.returncode, 0, run.stdout)
            self.assertIn("535 5.7.8", run.stdout, run.stdout)
        # STARTTLS listener too.
        run = subprocess.run(
            ["swaks", "--server", "127.0.0.1", "--port", str(self.submission), "--tls",
             "--from", "alice@example.org", "--to", "bob@example.org", "--timeout", "30"],
            capture_output=True, text=True, timeout=120)
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertIn("530 5.7.0", run.stdout, run.stdout)


if __name__ == "__main__":
    unittest.main()
