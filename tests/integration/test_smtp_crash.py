"""Crash safety of the SMTP gateway (issue 13): a real `sealpost serve` takes a steady SMTP load
while the test kills it with SIGKILL several times, at random moments, and starts it again on the
same data directory. At the end every message that got `250` is in the recipient's inbox exactly
once (read through the API), and no message is there twice.

Which listener, and why: Postfix's `smtp-source` speaks neither AUTH nor TLS, so it cannot use the
submission listeners (AUTH only inside TLS, docs/smtp-submission.md). The load therefore goes to
the inbound MX listener `[smtp.inbound]` (tls = "optional", no AUTH; docs/inbound-mail.md), which
stores a message into a member's inbox before its `250`, as submission does. `smtp-source` also
sends the same fixed message every time and reports no per-message outcome, so the messages whose
fate is checked come from Python's smtplib: several concurrent connections, each message carrying a
unique marker, every marker that got `250` recorded. `smtp-source` runs beside them as raw load (to
carol, so that bob's inbox holds only the marked messages), restarted whenever a kill ends it.

A message that got no `250` (the connection was cut by the kill) may or may not have been stored:
the client never learns which, so it is never sent again under the same marker — any marker seen
twice is a duplicate made by the server."""

import os
import random
import shutil
import signal
import smtplib
import subprocess
import threading
import time
import urllib.parse
import uuid

from harness import PASSWORD, Member, Server
from postfix_relay import POSTFIX as POSTFIX_SH, free_port

import unittest

SMTP_SOURCE = "/usr/sbin/smtp-source"
KILLS = 8
SENDERS = 6  # concurrent smtplib connections
BOB = "bob@example.org"
CAROL = "carol@example.org"


def marked_message(marker):
    return (f"From: <load@outside.test>\r\nTo: <{BOB}>\r\nSubject: crash load {marker}\r\n"
            f"Message-ID: <{marker}@outside.test>\r\n\r\n"
            f"Marker {marker}.\r\n" + "Some text to make the message a few lines long.\r\n" * 40)


class SmtpCrashTest(unittest.TestCase):
    def setUp(self):
        if not os.access(SMTP_SOURCE, os.X_OK):
            # Debian's postfix package brings smtp-source; postfix.sh installs it like the
            # Postfix tests do (configuring no system instance).
            r = subprocess.run(["bash", POSTFIX_SH, "install"], capture_output=True, text=True,
                               timeout=600)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.access(SMTP_SOURCE, os.X_OK), f"{SMTP_SOURCE} is missing")
        self.port = free_port()
        self.server = Server(extra_config=f"""
[smtp.inbound]
enabled = true
address = "127.0.0.1"
port = {self.port}
tls = "optional"
max_sessions = 100
max_sessions_per_address = 50
""").start()
        s = self.server
        r = s.client().request("POST", "/api/v1/setup/admin",
                               {"token": s.bootstrap_token, "email": "root@example.org",
                                "password": PASSWORD})
        self.assertEqual(r.status, 201, r.body)
        self.bob = Member(s, BOB)
        self.carol = Member(s, CAROL)
        self.lock = threading.Lock()
        self.attempted = set()
        self.accepted = []  # markers whose DATA got 250, in order
        self.stop_load = threading.Event()
        self.source_runs = {"ok": 0, "failed": 0}
        self.source_proc = None

    def tearDown(self):
        self.stop_load.set()
        p = self.source_proc
        if p and p.poll() is None:
            p.kill()
        self.server.cleanup()

    # The load.

    def smtplib_sender(self, index):
        conn = None
        seq = 0
        while not self.stop_load.is_set():
            try:
                if conn is None:
                    conn = smtplib.SMTP("127.0.0.1", self.port, local_hostname="mx.outside.test",
                                        timeout=20)
                marker = f"k{index}n{seq}x{uuid.uuid4().hex[:10]}"
                seq += 1
                with self.lock:
                    self.attempted.add(marker)
                conn.sendmail("load@outside.test", [BOB], marked_message(marker))
                with self.lock:
                    self.accepted.append(marker)
            except (OSError, smtplib.SMTPException):
                # Refused while the server is down, cut by the kill, or a 4xx: a new connection.
                if conn is not None:
                    try:
                        conn.close()
                    except OSError:
                        pass
                conn = None
                time.sleep(0.05)
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                pass

    def smtp_source_loop(self):
        while not self.stop_load.is_set():
            self.source_proc = subprocess.Popen(
                [SMTP_SOURCE, "-s", "4", "-m", "40", "-l", "4096", "-d", "-f", "raw@outside.test",
                 "-t", CAROL, "-M", "source.outside.test", f"127.0.0.1:{self.port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while self.source_proc.poll() is None and not self.stop_load.is_set():
                time.sleep(0.05)
            if self.source_proc.poll() is None:
                self.source_proc.kill()
                self.source_proc.wait()
                return
            self.source_runs["ok" if self.source_proc.returncode == 0 else "failed"] += 1
            time.sleep(0.05)

    def accepted_count(self):
        with self.lock:
            return len(self.accepted)

    def wait_for_progress(self, since, at_least, timeout=30):
        """Waits until `at_least` more messages than `since` got 250."""
        deadline = time.monotonic() + timeout
        while self.accepted_count() < since + at_least:
            if time.monotonic() > deadline:
                self.fail(f"no 250 for {timeout} s after a restart "
                          f"({self.accepted_count() - since} new)\n"
                          + self.server.read_log()[-3000:])
            time.sleep(0.02)

    # Kill and restart.

    def kill_and_restart(self):
        s = self.server
        os.kill(s.proc.pid, signal.SIGKILL)
        s.proc.wait()
        self.assertEqual(s.proc.returncode, -signal.SIGKILL)
        s.out.close()
        s.log.close()
        # Keep the log of each life for diagnosis (start() truncates server.log).
        shutil.copy(s.log.name, s.log.name + f".{time.monotonic_ns()}")
        s.proc = None
        s.start()  # same config and data directory; fails if it does not come up

    # Reading back.

    def inbox_subjects(self, member):
        subjects = []
        cursor = ""
        while True:
            path = "/api/v1/mailbox/inbox?limit=100" + (
                f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            r = member.client.request("GET", path)
            self.assertEqual(r.status, 200, r.body)
            page = r.json()
            subjects += [item.get("subject") or "" for item in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                return subjects

    def test_every_250_survives_sigkill_exactly_once(self):
        seed = int(os.environ.get("SMTP_CRASH_SEED", random.randrange(1 << 30)))
        print(f"SMTP_CRASH_SEED={seed}")
        rng = random.Random(seed)
        threads = [threading.Thread(target=self.smtplib_sender, args=(i,), daemon=True)
                   for i in range(SENDERS)]
        threads.append(threading.Thread(target=self.smtp_source_loop, daemon=True))
        for t in threads:
            t.start()
        try:
            self.wait_for_progress(0, 20)
            for kill in range(KILLS):
                time.sleep(rng.uniform(0.5, 3.0))
                before = self.accepted_count()
                self.kill_and_restart()
                # The restarted server takes mail again.
                self.wait_for_progress(before, 10)
            time.sleep(1.0)
        finally:
            self.stop_load.set()
            for t in threads:
                t.join(timeout=60)
        self.assertFalse(any(t.is_alive() for t in threads), "the load did not stop")

        # A fresh log-in on the last server (a new HTTPS port, and sessions need not outlive
        # the process that unlocked their keys).
        self.bob.login()
        self.carol.login()
        subjects = self.inbox_subjects(self.bob)
        seen = {}
        for subject in subjects:
            self.assertTrue(subject.startswith("crash load "), subject)
            marker = subject[len("crash load "):]
            seen[marker] = seen.get(marker, 0) + 1
        duplicated = {m: n for m, n in seen.items() if n > 1}
        lost = [m for m in self.accepted if m not in seen]
        unknown = [m for m in seen if m not in self.attempted]
        print(f"{len(self.accepted)} got 250, {len(self.attempted) - len(self.accepted)} were cut, "
              f"{len(seen)} in the inbox; smtp-source runs {self.source_runs}")
        self.assertEqual(lost, [], f"{len(lost)} message(s) that got 250 are lost")
        self.assertEqual(duplicated, {}, "message(s) stored more than once")
        self.assertEqual(unknown, [])
        self.assertEqual(len(set(self.accepted)), len(self.accepted))
        self.assertGreaterEqual(len(self.accepted), 20 + 10 * KILLS)

        # The raw load reached the server too, and nothing of it is in bob's inbox.
        raw = self.inbox_subjects(self.carol)
        self.assertGreater(len(raw), 0, f"smtp-source stored nothing: {self.source_runs}")

        # A message that survived the kills opens, sealed by the inbound gateway.
        item = self.bob.client.request("GET", "/api/v1/mailbox/inbox?limit=1").json()["items"][0]
        view = self.bob.client.request("GET", f"/api/v1/messages/{item['id']}")
        self.assertEqual(view.status, 200, view.body)
        self.assertEqual(view.json()["seal"]["kind"], "inbound")
        self.assertEqual(view.json()["seal"]["status"], "valid")
        self.assertIn("Marker ", view.json()["text"])
        # After all the kills, a clean stop (cleanup() fails on a non-zero exit).
        self.server.stop()


if __name__ == "__main__":
    unittest.main()
