"""Operations: GET /metrics in the Prometheus text format, checked by promtool (Debian's
`prometheus` package) and read for counters that a real flow moved; JSON log lines with request
ids; and the log of that whole flow (sign-up, log-in with TOTP, a send with a guest MUC, the
guest's pickup) holds none of the secrets or message markers the flow used."""

import json
import os
import re
import subprocess
import tempfile
import time

from harness import Member, ServerTestCase, Server, PASSWORD

TOKEN = "metrics-scraper-token-5d41402abc4b2a76b9719d911017c592"
GUEST = "carol@example.net"
MUC = "MUC-SECRET-4417-QQZ"
SUBJECT_MARKER = "SUBJECT-MARKER-9c2e"
TEXT_MARKER = "BODY-MARKER-77d0a1"
ATTACHMENT = b"ATTACHMENT-MARKER-31f9 " * 1000


def parse_metrics(text):
    """{series: value} of a text exposition; comments skipped."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        samples[series] = float(value)
    return samples


class MetricsAndLoggingTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        tmp = tempfile.mkdtemp(prefix="sealpost-metrics-")
        cls.token_file = os.path.join(tmp, "metrics.token")
        with open(cls.token_file, "w") as f:
            f.write(TOKEN + "\n")
        cls.server = Server(extra_config=(
            '\n[logging]\nformat = "json"\n'
            f'\n[metrics]\nallow_loopback = false\nbearer_token_file = "{cls.token_file}"\n'
        )).start()
        s = cls.server
        # The whole flow: two members sign up and log in with TOTP, Alice sends to Bob and to a
        # guest with a MUC, Bob reads it, the guest opens it with the MUC.
        cls.alice = Member(s, "alice@example.org", "Alice Example")
        cls.bob = Member(s, "bob@example.org")
        cls.alice.login()
        cls.bob.login()
        r = cls.alice.client.request("POST", "/api/v1/uploads", raw=ATTACHMENT,
                                     headers={"Content-Type": "application/octet-stream"})
        assert r.status == 201, (r.status, r.body)
        r = cls.alice.client.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org", GUEST],
            "subject": f"Statement {SUBJECT_MARKER}",
            "text": f"Dear all,\n{TEXT_MARKER}\n",
            "mucs": {GUEST: MUC},
            "attachments": [{"upload_id": r.json()["id"], "name": "statement.txt",
                             "content_type": "text/plain"}],
        })
        assert r.status == 201, (r.status, r.body)
        cls.send_request_id = r.headers.get("x-request-id")
        cls.message_id = r.json()["id"]
        r = cls.bob.client.request("GET", f"/api/v1/messages/{cls.message_id}")
        assert r.status == 200 and TEXT_MARKER in r.json()["text"], (r.status, r.body)
        mail = s.mail_to(GUEST)
        cls.link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", mail).group(1)
        cls.guest = s.client()
        r = cls.guest.request("POST", "/api/v1/pickup/unlock", {"link": cls.link, "muc": MUC})
        assert r.status == 200 and TEXT_MARKER in r.json()["text"], (r.status, r.body)
        cls.pickup_token = r.json().get("pickup_token", "")
        s.wait_for_log()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            os.unlink(cls.token_file)
            os.rmdir(os.path.dirname(cls.token_file))

    def scrape(self, authorization=None):
        c = self.server.client()
        headers = {"Authorization": authorization} if authorization else {}
        r = c.request("GET", "/metrics", headers=headers)
        c.close()
        return r

    def test_scrape_needs_the_token_when_loopback_is_off(self):
        self.assertEqual(self.scrape().status, 403)
        self.assertEqual(self.scrape("Bearer " + TOKEN[:-1] + "0").status, 403)
        self.assertEqual(self.scrape("Basic " + TOKEN).status, 403)
        r = self.scrape("Bearer " + TOKEN)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")

    def test_promtool_accepts_the_exposition(self):
        r = self.scrape("Bearer " + TOKEN)
        self.assertEqual(r.status, 200)
        check = subprocess.run(["promtool", "check", "metrics"], input=r.body,
                               capture_output=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(check.stdout + check.stderr, b"")

    def test_the_flow_moved_the_counters(self):
        m = parse_metrics(self.scrape("Bearer " + TOKEN).body.decode())
        def at_least(series, n=1):
            self.assertGreaterEqual(m.get(series, 0), n, series)
        at_least('sealpost_http_requests_total{route="/api/v1/messages",method="POST",code="2xx"}')
        at_least('sealpost_http_requests_total{route="/api/v1/session",method="POST",code="2xx"}', 4)
        at_least('sealpost_http_requests_total{route="/metrics",method="GET",code="4xx"}')
        at_least('sealpost_http_request_duration_seconds_count{route="/api/v1/messages",'
                 'method="POST"}')
        self.assertEqual(
            m['sealpost_http_request_duration_seconds_bucket{route="/api/v1/messages",'
              'method="POST",le="+Inf"}'],
            m['sealpost_http_request_duration_seconds_count{route="/api/v1/messages",'
              'method="POST"}'])
        at_least('sealpost_messages_sent_total{kind="member"}')
        at_least('sealpost_mail_deliveries_total{method="eml_file",result="delivered"}', 3)
        at_least("sealpost_store_commit_duration_seconds_count")
        at_least("sealpost_store_writes_total", 10)
        at_least("sealpost_log_size", 5)
        at_least("sealpost_log_sequenced_total", 5)
        at_least("sealpost_log_sequencing_delay_seconds_count", 5)
        at_least("sealpost_blobs_written_total")
        at_least("sealpost_blob_written_bytes_total", len(ATTACHMENT))
        at_least('sealpost_http_requests_total{route="/api/v1/uploads",method="POST",code="2xx"}')
        at_least("sealpost_http_connections")  # this scrape's own
        self.assertIn('sealpost_mail_queue_depth{state="waiting"}', m)

    def test_live_sessions_gauge_follows_log_in_and_log_out(self):
        def live():
            m = parse_metrics(self.scrape("Bearer " + TOKEN).body.decode())
            self.assertIn("sealpost_sessions_live", m)
            return m["sealpost_sessions_live"]
        self.assertGreaterEqual(live(), 2)  # Alice and Bob
        dave = Member(self.server, "dave@example.org")
        before = live()
        dave.login()
        self.assertEqual(live(), before + 1)
        r = dave.client.request("DELETE", "/api/v1/session")
        self.assertIn(r.status, (200, 204), r.body)
        self.assertEqual(live(), before)

    def test_no_id_address_or_content_in_the_exposition(self):
        body = self.scrape("Bearer " + TOKEN).body.decode()
        for secret in (self.message_id, "example.org", "example.net", "127.0.0.1", MUC,
                       TEXT_MARKER, SUBJECT_MARKER, self.link, TOKEN):
            self.assertNotIn(secret, body)

    def test_every_response_names_its_request_id(self):
        c = self.server.client()
        ids = set()
        for _ in range(3):
            r = c.request("GET", "/healthz")
            self.assertRegex(r.headers.get("x-request-id", ""), r"^[0-9a-f]{24}$")
            ids.add(r.headers["x-request-id"])
        r = c.request("GET", "/api/v1/no-such-route")
        self.assertEqual(r.status, 404)
        ids.add(r.headers["x-request-id"])
        c.close()
        self.assertEqual(len(ids), 4)
        # A request's log line is written once its response has gone out: wait for the last.
        deadline = time.monotonic() + 10
        while True:
            lines = [json.loads(line) for line in self.server.read_log().splitlines()]
            logged = {line.get("request_id") for line in lines}
            if ids <= logged or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(ids <= logged, ids - logged)

    def test_log_is_json_lines_with_request_ids(self):
        log = self.server.read_log()
        lines = log.splitlines()
        self.assertGreater(len(lines), 20)
        access = 0
        for line in lines:
            entry = json.loads(line)  # every line is one JSON object
            self.assertEqual(set(entry) - {"request_id"}, {"time", "level", "logger", "message"},
                             line)
            self.assertRegex(entry["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            if entry["message"].startswith("http "):  # the access line of a request
                access += 1
                self.assertRegex(entry.get("request_id", ""), r"^[0-9a-f]{24}$", line)
        self.assertGreater(access, 15)
        # The send's lines carry the id its response named.
        self.assertTrue(any(json.loads(l).get("request_id") == self.send_request_id
                            for l in lines))

    def test_log_holds_no_secret_or_content(self):
        log = self.server.read_log()
        secrets = {
            "password": PASSWORD,
            "TOTP secret": self.alice.totp_secret,
            "TOTP secret (Bob)": self.bob.totp_secret,
            "MUC": MUC,
            "subject marker": SUBJECT_MARKER,
            "text marker": TEXT_MARKER,
            "attachment marker": ATTACHMENT[:22].decode(),
            "pickup link": self.link,
            "metrics token": TOKEN,
            "recovery code": self.alice.recovery_code,
        }
        if self.pickup_token:
            secrets["pickup token"] = self.pickup_token
        for client in (self.alice.client, self.bob.client):
            for name, value in client.cookies.items():
                secrets[f"cookie {name}"] = value
            if client.csrf:
                secrets["CSRF token"] = client.csrf
        self.assertTrue(any(what.startswith("cookie") and "session" in what for what in secrets),
                        secrets.keys())
        for what, value in secrets.items():
            self.assertTrue(value)
            self.assertNotIn(value, log, what)
            # Also not in the form JSON escaping would give it.
            self.assertNotIn(json.dumps(value)[1:-1], log, what)


if __name__ == "__main__":
    import unittest
    unittest.main()
