"""The foundation issue's bad-input list: each case gets a clear error, stores nothing, and the
server stays healthy."""

import http.client
import json
import os
import socket
import ssl
import time

from harness import Member, PASSWORD, ServerTestCase, current_step, totp


def count(server, table):
    db = server.db()
    (n,) = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    db.close()
    return n


class BadInputTest(ServerTestCase):
    server_options = {"header_timeout": 3}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = Member(cls.server, "alice@example.org")
        cls.bob = Member(cls.server, "bob@example.org")
        cls.alice.login()

    def tearDown(self):
        self.assertHealthy()

    # --- JSON bodies -------------------------------------------------------------------------

    def test_malformed_json(self):
        c = self.server.client()
        for raw in [b"{", b"[1,2]", b"null", b'{"email": }', b"\xff\xfe"]:
            r = c.request("POST", "/api/v1/session", raw=raw,
                          headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 400, raw)
            self.assertEqual(r.problem_type(), "invalid-argument")

    def test_oversized_json_names_the_limit(self):
        # The server refuses on the declared length, before reading the body, so the client
        # sends only the head and reads the answer.
        raw = socket.create_connection(("127.0.0.1", self.server.port))
        tls = self.server.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 2097152\r\n\r\n")
        response = http.client.HTTPResponse(tls)
        response.begin()
        body = response.read()
        tls.close()
        self.assertEqual(response.status, 413)
        problem = json.loads(body)
        self.assertTrue(problem["type"].endswith("/payload-too-large"))
        self.assertIn(str(1 << 20), problem["detail"])

    def test_a_key_named_twice_is_refused(self):
        # Python's json module keeps the last key too: the raw body is written by hand.
        before = count(self.server, "messages")
        r = self.send_raw(b'{"to":["bob@example.org"],"to":["alice@example.org"],'
                          b'"subject":"s","text":"t"}')
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"), r.body)
        self.assertIn('"to" appears more than once', r.json()["detail"])
        self.assertEqual(count(self.server, "messages"), before)

    def test_unknown_fields(self):
        c = self.server.client()
        r = c.request("POST", "/api/v1/session",
                      {"email": "alice@example.org", "password": PASSWORD, "admin": True})
        self.assertEqual(r.status, 400)
        self.assertIn("unknown field", r.json()["detail"])

    def test_deeply_nested_json(self):
        c = self.alice.client
        r = c.request("POST", "/api/v1/messages", raw=b'{"to":' + b"[" * 100000 + b"]" * 100000 + b"}",
                      headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)

    def test_wrong_content_type(self):
        c = self.server.client()
        r = c.request("POST", "/api/v1/session", raw=b"email=a&password=b",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 415)

    # --- sessions and CSRF -------------------------------------------------------------------

    def test_missing_and_wrong_csrf_token(self):
        c = self.alice.client
        before = count(self.server, "messages")
        body = {"to": ["bob@example.org"], "subject": "csrf", "text": "x"}
        r = c.request("POST", "/api/v1/messages", body, csrf=False)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.problem_type(), "csrf-failed")
        r = c.request("POST", "/api/v1/messages", body, headers={"X-CSRF-Token": "A" * 43})
        self.assertEqual(r.status, 403)
        self.assertEqual(count(self.server, "messages"), before)

    def test_forged_and_logged_out_session_cookies(self):
        c = self.server.client()
        c.cookies["__Host-sealpost_session"] = "A" * 43
        r = c.request("GET", "/api/v1/session")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.problem_type(), "session-required")
        c.cookies["__Host-sealpost_session"] = "not-even-base64!"
        self.assertEqual(c.request("GET", "/api/v1/mailbox/inbox").status, 401)
        # A real session, ended by logout, is dead for good.
        bob = self.bob
        client = bob.login()
        old_cookie = dict(client.cookies)
        self.assertEqual(client.request("DELETE", "/api/v1/session").status, 204)
        stale = self.server.client()
        stale.cookies = old_cookie
        self.assertEqual(stale.request("GET", "/api/v1/session").status, 401)

    def test_logout_everywhere(self):
        first = self.bob.login()
        second = self.bob.login(self.server.client())
        self.assertEqual(second.request("DELETE", "/api/v1/sessions").status, 204)
        self.assertEqual(first.request("GET", "/api/v1/session").status, 401)
        # Zero access: with no live session, the only stored copies of Bob's user master key
        # are wrapped under his password and his recovery code (argon2id). Nothing the server
        # holds, master key included, opens his mailbox now.
        db = self.server.db()
        (uid,) = db.execute("SELECT id FROM users WHERE email = 'bob@example.org'").fetchone()
        (live,) = db.execute("SELECT COUNT(*) FROM sessions WHERE user_id = ?", (uid,)).fetchone()
        db.close()
        self.assertEqual(live, 0)

    def test_no_session(self):
        c = self.server.client()
        r = c.request("GET", "/api/v1/mailbox/inbox")
        self.assertEqual(r.status, 401)

    # --- log-in ------------------------------------------------------------------------------

    def test_wrong_password_and_unknown_user_answer_alike(self):
        c = self.server.client()
        wrong = c.request("POST", "/api/v1/session",
                          {"email": "alice@example.org", "password": "wrong password!"})
        unknown = c.request("POST", "/api/v1/session",
                            {"email": "nobody@example.org", "password": "wrong password!"})
        self.assertEqual(wrong.status, 401)
        self.assertEqual((wrong.status, wrong.body), (unknown.status, unknown.body))

    def test_wrong_and_replayed_totp(self):
        m = Member(self.server, "dave@example.org")
        c = self.server.client()
        r = c.request("POST", "/api/v1/session", {"email": m.address, "password": PASSWORD})
        ticket = r.json()["login_ticket"]
        wrong = totp(m.totp_secret, current_step() + 5)  # valid once, but not now
        r = c.request("POST", "/api/v1/session/totp", {"login_ticket": ticket, "code": wrong})
        self.assertEqual(r.status, 401)
        code = m.next_code()
        r = c.request("POST", "/api/v1/session/totp", {"login_ticket": ticket, "code": code})
        self.assertEqual(r.status, 200, r.body)
        # The same code again, on a fresh password step, is refused.
        c2 = self.server.client()
        r = c2.request("POST", "/api/v1/session", {"email": m.address, "password": PASSWORD})
        ticket2 = r.json()["login_ticket"]
        r = c2.request("POST", "/api/v1/session/totp", {"login_ticket": ticket2, "code": code})
        self.assertEqual(r.status, 401)
        self.assertNotIn("__Host-sealpost_session", c2.cookies)

    def test_rapid_failed_logins_are_throttled(self):
        Member(self.server, "erin@example.org")
        c = self.server.client()
        statuses = []
        for _ in range(20):
            r = c.request("POST", "/api/v1/session",
                          {"email": "erin@example.org", "password": "not the password"})
            statuses.append(r.status)
        self.assertIn(429, statuses)
        self.assertEqual(set(statuses), {401, 429})
        first_429 = statuses.index(429)
        self.assertTrue(all(s == 429 for s in statuses[first_429:]))
        # Even the right password is refused while throttled.
        r = c.request("POST", "/api/v1/session", {"email": "erin@example.org", "password": PASSWORD})
        self.assertEqual(r.status, 429)
        self.assertEqual(r.problem_type(), "too-many-attempts")
        self.assertIn("retry-after", r.headers)
        # An unknown account is throttled the same way (no existence oracle).
        statuses = [c.request("POST", "/api/v1/session",
                              {"email": "ghost@example.org", "password": "x" * 12}).status
                    for _ in range(8)]
        self.assertIn(429, statuses)

    def test_failed_logins_at_one_address_do_not_lock_the_owner_out(self):
        Member(self.server, "owner@example.org")
        attacker = self.server.client(source="127.0.0.2")
        for _ in range(5):
            r = attacker.request("POST", "/api/v1/session",
                                 {"email": "owner@example.org", "password": "not the password"})
            self.assertEqual(r.status, 401, r.body)
        r = attacker.request("POST", "/api/v1/session",
                             {"email": "owner@example.org", "password": PASSWORD})
        self.assertEqual((r.status, r.problem_type()), (429, "too-many-attempts"))
        owner = self.server.client()  # from 127.0.0.1
        r = owner.request("POST", "/api/v1/session",
                          {"email": "owner@example.org", "password": PASSWORD})
        self.assertEqual((r.status, r.json()["status"]), (200, "totp_required"), r.body)

    def test_cross_origin_unsafe_requests_are_refused(self):
        base = f"https://127.0.0.1:{self.server.port}"
        body = {"email": "nobody@example.org", "password": "not the password"}
        for origin in ("https://evil.example", "null", f"http://127.0.0.1:{self.server.port}"):
            r = self.server.client(source="127.0.0.3").request(
                "POST", "/api/v1/session", body, headers={"Origin": origin})
            self.assertEqual((r.status, r.problem_type()), (403, "origin-mismatch"), origin)
        # The server's own origin (the Host it was asked for), and no Origin at all, pass on.
        r = self.server.client(source="127.0.0.3").request(
            "POST", "/api/v1/session", body, headers={"Origin": base})
        self.assertEqual(r.status, 401, r.body)
        r = self.server.client(source="127.0.0.3").request("POST", "/api/v1/session", body)
        self.assertEqual(r.status, 401, r.body)

    # --- static files ------------------------------------------------------------------------

    def test_path_traversal_in_static_paths(self):
        c = self.server.client()
        for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                     "/static/..%5c..%5cetc%5cpasswd", "/%00", "/a/../../sealpost.toml"]:
            r = c.request("GET", path)
            self.assertIn(r.status, (400, 404), path)
            self.assertNotIn(b"root:", r.body)
            self.assertNotIn(b"argon2", r.body)

    # --- sending -----------------------------------------------------------------------------

    def send(self, body):
        return self.alice.client.request("POST", "/api/v1/messages", body)

    def send_raw(self, raw):
        return self.alice.client.request("POST", "/api/v1/messages", raw=raw,
                                         headers={"Content-Type": "application/json"})

    def upload(self, data=b"attachment bytes"):
        r = self.alice.client.request("POST", "/api/v1/uploads", raw=data,
                                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        return r.json()["id"]

    def test_bad_attachment_names(self):
        before = count(self.server, "messages")
        upload_id = self.upload()
        for name in ["../../etc/passwd", "a/../b", "..", "nul\x00byte.pdf", "bell\x07.pdf",
                     "line\nbreak.pdf", "x" * 10000, "", "back\\slash.pdf"]:
            r = self.send({"to": ["bob@example.org"], "subject": "s", "text": "t",
                           "attachments": [{"upload_id": upload_id, "name": name}]})
            self.assertEqual(r.status, 400, name)
            self.assertEqual(r.problem_type(), "invalid-attachment")
        self.assertEqual(count(self.server, "messages"), before)
        # The upload was not consumed by the refused messages.
        r = self.send({"to": ["bob@example.org"], "subject": "s", "text": "t",
                       "attachments": [{"upload_id": upload_id, "name": "fine.txt"}]})
        self.assertEqual(r.status, 201, r.body)

    def test_bad_recipient_lists(self):
        before = count(self.server, "messages")
        cases = [
            [],
            ["bob@example.org", "BOB@example.org"],
            ["not an address"],
            ["bob@example.org\r\nBcc: x@example.org"],
            [f"r{i}@example.org" for i in range(10001)],
        ]
        for to in cases:
            r = self.send({"to": to, "subject": "s", "text": "t"})
            self.assertEqual(r.status, 400, to[:3])
            self.assertEqual(r.problem_type(), "invalid-recipient")
        # Not a member: a guest, who needs a message unlock code on first contact.
        r = self.send({"to": ["bob@example.org", "nobody@example.org"], "subject": "s", "text": "t"})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.problem_type(), "muc-required")
        self.assertEqual(r.json()["addresses"], ["nobody@example.org"])
        self.assertEqual(count(self.server, "messages"), before)

    def test_invalid_utf8_subject(self):
        before = count(self.server, "messages")
        raw = b'{"to":["bob@example.org"],"subject":"bad \xc3\x28 subject","text":"t"}'
        r = self.alice.client.request("POST", "/api/v1/messages", raw=raw,
                                      headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        r = self.send({"to": ["bob@example.org"], "subject": "line\r\nBcc: x", "text": "t"})
        self.assertEqual(r.status, 400)
        self.assertEqual(count(self.server, "messages"), before)

    def test_upload_cut_off_midway_leaves_nothing(self):
        uploads_before = count(self.server, "uploads")
        blobs_before = self.server.stored_blobs()
        c = self.alice.client
        raw = socket.create_connection(("127.0.0.1", self.server.port))
        tls = self.server.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        head = ("POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n"
                f"Cookie: {c.cookie_header()}\r\n"
                f"X-CSRF-Token: {c.csrf}\r\n\r\n")
        tls.sendall(head.encode())
        tls.sendall(os.urandom(3_000_000))
        tls.close()
        time.sleep(1.0)
        self.assertEqual(count(self.server, "uploads"), uploads_before)
        self.assertEqual(self.server.stored_blobs(), blobs_before)
        if not self.server.store_url:
            self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "blobs", "tmp")), [])

    def test_upload_over_the_limit_is_refused_up_front(self):
        c = self.alice.client
        r = c.request("POST", "/api/v1/uploads", raw=b"x",
                      headers={"Content-Type": "application/octet-stream",
                               "Content-Length": str(200 << 20)})
        self.assertEqual(r.status, 413)

    # --- slow clients ------------------------------------------------------------------------

    def test_slowloris_headers_are_cut_off(self):
        raw = socket.create_connection(("127.0.0.1", self.server.port))
        tls = self.server.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start = time.time()
        closed = False
        tls.settimeout(1.0)
        while time.time() - start < 15:
            try:
                tls.sendall(b"X-Slow: a\r\n")
                data = tls.recv(1024)
                if data == b"" or b"HTTP/1.1" in data:
                    closed = True
                    break
            except socket.timeout:
                continue
            except (ssl.SSLError, OSError):
                closed = True
                break
        elapsed = time.time() - start
        tls.close()
        self.assertTrue(closed, "server kept a slow-header connection open")
        self.assertLess(elapsed, 3 + 3)


if __name__ == "__main__":
    import unittest
    unittest.main()
