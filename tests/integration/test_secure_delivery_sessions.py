"""How secure copies are carried (docs/secure-delivery.md, "Delivery"): one message to eleven
recipients at a TLS partner goes out in a few SMTP sessions of at most `copies_per_session`
transactions each, over at most `connections` sessions at once, and the one recipient the
partner refuses (550) fails alone while the others in its session are delivered.

The partner's server is a small ESMTP server in this file (STARTTLS with a key Sealpost pins)
rather than Postfix, because the test needs exact counts: how many sessions were open at the
same moment (counted under a lock, the count lowered before the 221 to QUIT goes out, so a
session that follows another cannot be seen overlapping it), and which transactions each
session carried. Postfix's own log shows session reuse against the real thing
(delivery/tls_direct_sender_test.cpp, TlsDirectPostfix.BatchSharesOneSession...)."""

import base64
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from harness import Member, ServerTestCase

DOMAIN = "fast.example"
DELIVERED = [f"r{i:02d}@{DOMAIN}" for i in range(10)]
REFUSED = f"nobody@{DOMAIN}"
CONNECTIONS = 2
PER_SESSION = 3
DATA_DELAY = 0.25  # seconds before each 250 to DATA: sessions last long enough to overlap


class CountingSmtpServer:
    """ESMTP with STARTTLS on 127.0.0.1; records each session's accepted recipients and the most
    sessions open at once. RCPT to REFUSED gets 550."""

    def __init__(self, cert, key):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.open = 0
        self.max_open = 0
        self.sessions = []  # per session: the recipients of its delivered transactions
        self.refused = []
        self.stopping = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        with self.lock:
            self.open += 1
            self.max_open = max(self.max_open, self.open)
            delivered = []
            self.sessions.append(delivered)
        counted = True
        try:
            conn.settimeout(30)
            reader = conn.makefile("rb")
            conn.sendall(b"220 fast.example ESMTP test\r\n")
            tls = False
            rcpts = []
            while True:
                line = reader.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb == b"EHLO":
                    offer = b"250-fast.example\r\n250 8BITMIME\r\n" if tls else \
                        b"250-fast.example\r\n250 STARTTLS\r\n"
                    conn.sendall(offer)
                elif verb == b"STAR":
                    conn.sendall(b"220 2.0.0 go ahead\r\n")
                    conn = self.context.wrap_socket(conn, server_side=True)
                    reader = conn.makefile("rb")
                    tls = True
                elif verb == b"MAIL":
                    rcpts = []
                    conn.sendall(b"250 2.1.0 ok\r\n")
                elif verb == b"RCPT":
                    address = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
                    if address == REFUSED:
                        with self.lock:
                            self.refused.append(address)
                        conn.sendall(b"550 5.1.1 no such user here\r\n")
                    else:
                        rcpts.append(address)
                        conn.sendall(b"250 2.1.5 ok\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    while reader.readline() not in (b".\r\n", b""):
                        pass
                    time.sleep(DATA_DELAY)
                    delivered.extend(rcpts)
                    conn.sendall(b"250 2.0.0 Ok: queued\r\n")
                elif verb == b"RSET":
                    rcpts = []
                    conn.sendall(b"250 2.0.0 ok\r\n")
                elif verb == b"QUIT":
                    with self.lock:
                        self.open -= 1
                    counted = False
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 5.5.2 not here\r\n")
        except (OSError, ssl.SSLError):
            return
        finally:
            if counted:
                with self.lock:
                    self.open -= 1
            conn.close()

    def stop(self):
        self.stopping = True
        self.sock.close()


class SecureDeliverySessionsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sealpost-sessions-")
        cert, key = os.path.join(cls.dir, "cert.pem"), os.path.join(cls.dir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-subj", "/CN=fast.example", "-days", "2"],
                       check=True, capture_output=True, timeout=60)
        spki = subprocess.run(f"openssl x509 -in '{cert}' -pubkey -noout | "
                              "openssl pkey -pubin -outform DER", shell=True, check=True,
                              capture_output=True, timeout=60).stdout
        pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
        cls.smtp = CountingSmtpServer(cert, key)
        cls.server_options = {"extra_config": f"""
[mail]
retry_first_seconds = 1
retry_max_seconds = 1
give_up_after_seconds = 60

[delivery]
dns_resolver = "127.0.0.1"
connections = {CONNECTIONS}
copies_per_session = {PER_SESSION}

[[delivery.tls_partner]]
domain = "{DOMAIN}"
tls = "pin"
pins = ["sha256/{pin}"]
host = "127.0.0.1:{cls.smtp.port}"
"""}
        try:
            super().setUpClass()
        except Exception:
            cls.smtp.stop()
            raise
        cls.alice = Member(cls.server, "alice@example.org")

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.smtp.stop()
            shutil.rmtree(cls.dir, ignore_errors=True)

    def copy_states(self, message_id):
        db = self.server.db()
        try:
            return dict(db.execute("SELECT recipient, state FROM secure_copies WHERE "
                                   "message_id = ?", (message_id,)).fetchall())
        finally:
            db.close()

    def test_copies_share_sessions_bounded_in_size_and_number(self):
        everyone = DELIVERED[:5] + [REFUSED] + DELIVERED[5:]
        r = self.alice.client.request("POST", "/api/v1/messages", {
            "to": everyone, "subject": "Session figures", "text": "Carried in few sessions.\n"})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]

        deadline = time.monotonic() + 60
        while True:
            states = self.copy_states(message_id)
            finished = [s for s in states.values() if s in (1, 3)]  # delivered, failed
            if len(finished) == len(everyone) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        expected = {a: 1 for a in DELIVERED}
        expected[REFUSED] = 3  # the 550 fails its own copy only
        self.assertEqual(states, expected)

        r = self.alice.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        recipients = {x["address"]: x for x in r.json()["recipients"]}
        self.assertEqual(recipients[REFUSED]["status"], "failed")
        self.assertIn("550 5.1.1", recipients[REFUSED]["detail"])
        for address in DELIVERED:
            self.assertEqual(recipients[address]["status"], "delivered", recipients[address])

        with self.smtp.lock:
            sessions = [list(s) for s in self.smtp.sessions]
            max_open = self.smtp.max_open
        delivered = sorted(a for s in sessions for a in s)
        self.assertEqual(delivered, sorted(DELIVERED))  # each exactly once
        self.assertEqual(self.smtp.refused, [REFUSED])  # tried once: a 5xx is not retried
        # Eleven copies, at most three per session: four sessions at the least, and far fewer
        # than one per copy.
        self.assertTrue(all(len(s) <= PER_SESSION for s in sessions), sessions)
        used = [s for s in sessions if s]
        self.assertGreaterEqual(len(used), 4, sessions)
        self.assertLess(len(sessions), len(everyone), sessions)
        # Two deliverers: sessions ran side by side, never more than two at once.
        self.assertEqual(max_open, CONNECTIONS, sessions)


if __name__ == "__main__":
    import unittest
    unittest.main()
