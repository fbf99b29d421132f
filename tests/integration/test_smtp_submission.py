"""The submission face in the real `sealpost serve` (docs/smtp-submission.md), driven by swaks,
msmtp and Python's smtplib on both submission listeners (STARTTLS and implicit TLS): a member
makes an app password through the API, a mail program sends with it, and the message is in the
sender's Sent folder and the recipient's inbox, sealed with the sender's own key; once the
password is revoked the same mail program is refused. Refusals: 535 for a wrong password, 530
for MAIL without AUTH, 553 for MAIL FROM of another member; the server keeps serving. The face
and the use case are also tested in C++ (src/smtp/submission_face_test.cpp,
src/app/mail_submission_test.cpp)."""

import glob
import os
import shutil
import smtplib
import ssl
import subprocess
import unittest

import time
import uuid

from harness import PASSWORD, Member, Server
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

    def app_password(self, member, name):
        r = member.client.request("POST", "/api/v1/account/app-passwords", {"name": name})
        self.assertEqual(r.status, 201, r.body)
        return r.json()

    def test_send_with_an_app_password_then_revoke(self):
        if not shutil.which("swaks"):
            self.skipTest("swaks is not installed")
        created = self.app_password(self.alice, "swaks")
        password = created["password"]
        marker = uuid.uuid4().hex
        swaks = ["swaks", "--server", "127.0.0.1", "--port", str(self.submission), "--tls",
                 "--auth", "PLAIN", "--auth-user", "alice@example.org",
                 "--auth-password", password, "--from", "alice@example.org",
                 "--to", "bob@example.org", "--header", f"Subject: [secure] quarterly {marker}",
                 "--body", f"body {marker}", "--timeout", "30"]
        run = subprocess.run(swaks, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("250 2.0.0 Sent securely as", run.stdout)

        received = self.bob.find_message("inbox", marker)
        self.assertIsNotNone(received, "the submitted message is not in bob's inbox")
        self.assertEqual(received["from"]["email"], "alice@example.org")
        self.assertEqual(received["seal"]["status"], "valid")
        self.assertEqual(received["seal"]["kind"], "member")
        self.assertIn(f"body {marker}", received["text"])
        # The policy here is "rules": the subject tag marked it, and is gone from the subject.
        self.assertEqual(received["subject"], f"quarterly {marker}")
        self.assertIsNotNone(self.alice.find_message("sent", marker), "not in alice's Sent folder")

        # Last used is recorded; revoked, the same mail program is refused and nothing is sent.
        listed = self.alice.client.request("GET", "/api/v1/account/app-passwords").json()["items"]
        mine = [p for p in listed if p["id"] == created["id"]]
        self.assertIsNotNone(mine[0]["last_used_at"])
        r = self.alice.client.request("DELETE", f"/api/v1/account/app-passwords/{created['id']}")
        self.assertEqual(r.status, 204, r.body)
        second = uuid.uuid4().hex
        run = subprocess.run([a.replace(marker, second) for a in swaks],
                             capture_output=True, text=True, timeout=120)
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertIn("535 5.7.8", run.stdout)
        self.assertIsNone(self.bob.find_message("inbox", second, timeout=2))

    def send_with_msmtp(self, port, starttls, password, marker, user="alice@example.org",
                        trust_file=None):
        """msmtp (GnuTLS) as the member's mail program, configured as docs/mail-clients.md says:
        TLS with the server's own certificate as the only trust anchor (so the certificate and
        its name are verified), AUTH PLAIN with the app password."""
        self.assertIsNotNone(shutil.which("msmtp"),
                             "msmtp is missing (scripts/install-deps.sh test installs it)")
        config = os.path.join(self.server.tmp, f"msmtprc-{marker}")
        with open(config, "w") as f:
            f.write(f"""defaults
logfile -

account sealpost
host 127.0.0.1
port {port}
tls on
tls_starttls {"on" if starttls else "off"}
tls_trust_file {trust_file or os.path.join(self.server.data_dir, "tls", "certificate.pem")}
auth plain
user {user}
password {password}
from {user}
domain client.test
""")
        os.chmod(config, 0o600)  # msmtp refuses a configuration with a password others can read
        message = (f"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n"
                   f"Subject: [secure] msmtp {marker}\r\n\r\nbody {marker}\r\n")
        return subprocess.run(["msmtp", "-C", config, "-a", "sealpost", "bob@example.org"],
                              input=message, capture_output=True, text=True, timeout=120)

    def check_sealed_in_inbox(self, marker):
        received = self.bob.find_message("inbox", marker)
        self.assertIsNotNone(received, "the message sent with msmtp is not in bob's inbox")
        self.assertEqual(received["from"]["email"], "alice@example.org")
        self.assertEqual(received["seal"]["kind"], "member")
        self.assertEqual(received["seal"]["status"], "valid")
        self.assertEqual(received["subject"], f"msmtp {marker}")
        self.assertIn(f"body {marker}", received["text"])

    def test_msmtp_starttls(self):
        password = self.app_password(self.alice, "msmtp starttls")["password"]
        marker = uuid.uuid4().hex
        run = self.send_with_msmtp(self.submission, True, password, marker)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.check_sealed_in_inbox(marker)

    def test_msmtp_implicit_tls(self):
        password = self.app_password(self.alice, "msmtp implicit tls")["password"]
        marker = uuid.uuid4().hex
        run = self.send_with_msmtp(self.submissions, False, password, marker)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.check_sealed_in_inbox(marker)

    def test_msmtp_checks_the_certificate(self):
        """Trusting only the system's CAs, msmtp refuses the server's self-signed certificate
        before it sends the password: the trust file of the tests above is what verifies it."""
        password = self.app_password(self.alice, "msmtp wrong trust")["password"]
        marker = uuid.uuid4().hex
        run = self.send_with_msmtp(self.submissions, False, password, marker,
                                   trust_file="/etc/ssl/certs/ca-certificates.crt")
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertIn("TLS certificate verification failed", run.stdout + run.stderr)
        self.assertIsNone(self.bob.find_message("inbox", marker, timeout=1))

    def test_msmtp_wrong_app_password_is_refused(self):
        # Another address than alice's: the log-in throttle counts failures per address.
        marker = uuid.uuid4().hex
        run = self.send_with_msmtp(self.submissions, False, "not-the-app-password-0123", marker,
                                   user="nobody@example.org")
        self.assertNotEqual(run.returncode, 0, run.stdout)
        self.assertIn("535", run.stdout + run.stderr)
        self.assertIsNone(self.bob.find_message("inbox", marker, timeout=1))

    def test_revoked_on_an_open_connection_the_next_message_is_refused(self):
        """A mail program keeps its connection open between messages: revoking its app password
        through the API stops the connection already logged in, at its next MAIL FROM."""
        created = self.app_password(self.alice, "kept open")
        first, second = uuid.uuid4().hex, uuid.uuid4().hex

        def mail(marker):
            return (f"From: alice@example.org\r\nTo: bob@example.org\r\n"
                    f"Subject: [secure] open {marker}\r\n\r\nbody {marker}\r\n")

        with smtplib.SMTP("127.0.0.1", self.submission, timeout=30) as s:
            s.starttls(context=tls_context())
            s.login("alice@example.org", created["password"])
            self.assertEqual(s.sendmail("alice@example.org", ["bob@example.org"], mail(first)), {})
            r = self.alice.client.request(
                "DELETE", f"/api/v1/account/app-passwords/{created['id']}")
            self.assertEqual(r.status, 204, r.body)
            code, text = s.mail("alice@example.org")
            self.assertEqual(code, 530, text)
            self.assertIn(b"5.7.0", text)
            self.assertIn(b"app password revoked", text)
            with self.assertRaises(smtplib.SMTPSenderRefused):
                s.sendmail("alice@example.org", ["bob@example.org"], mail(second))
        self.assertIsNotNone(self.bob.find_message("inbox", first), "the first message is missing")
        self.assertIsNone(self.bob.find_message("inbox", second, timeout=2))

    def test_unmarked_mail_is_relayed_unchanged(self):
        """Under the "rules" policy a message with no tag and no rule hit goes to the relay as it
        is (here the .eml outbox), not into the recipient's Sealpost inbox. (The wrong-password
        tests use another address: the log-in throttle counts failures per address.)"""
        password = self.app_password(self.alice, "relay check")["password"]
        marker = uuid.uuid4().hex
        with smtplib.SMTP("127.0.0.1", self.submission, timeout=30) as s:
            s.starttls(context=tls_context())
            s.login("alice@example.org", password)
            s.sendmail("alice@example.org", ["bob@example.org"],
                       f"From: alice@example.org\r\nTo: bob@example.org\r\n"
                       f"Subject: lunch {marker}\r\n\r\nNothing secret.\r\n")
        deadline = time.time() + 20
        found = False
        while time.time() < deadline and not found:
            for path in glob.glob(os.path.join(self.server.outbox_dir, "*.eml")):
                with open(path, "rb") as f:
                    found = found or marker.encode() in f.read()
            time.sleep(0.2)
        self.assertTrue(found, "the unmarked message was not handed to the relay")
        self.assertIsNone(self.bob.find_message("inbox", marker, timeout=1))

    def test_mail_from_another_member_is_553(self):
        password = self.app_password(self.alice, "smtplib")["password"]
        with smtplib.SMTP_SSL("127.0.0.1", self.submissions, context=tls_context(),
                              timeout=30) as s:
            s.ehlo("client.test")
            s.login("alice@example.org", password)
            code, text = s.mail("bob@example.org")
            self.assertEqual(code, 553, text)
            # The session goes on: her own address is accepted.
            s.rset()
            code, text = s.mail("alice@example.org")
            self.assertEqual(code, 250, text)

    def test_smtplib_starttls_wrong_password_is_535(self):
        with smtplib.SMTP("127.0.0.1", self.submission, timeout=30) as s:
            s.ehlo("client.test")
            s.starttls(context=tls_context())
            s.ehlo("client.test")
            self.assertIn("auth", s.esmtp_features)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
                s.login("nobody@example.org", "not-an-app-password-0123456789")
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
                 "--tls-on-connect", "--auth", "PLAIN", "--auth-user", "nobody@example.org",
                 "--auth-password", "wrong-app-password", "--from", "nobody@example.org",
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
