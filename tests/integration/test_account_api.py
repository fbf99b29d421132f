"""The account, session, search and administrator routes of the web UI contract
(/work/brief/api-contract.md) over HTTPS against the real server, including bad input."""

import hashlib
import os
import re
import unittest
import urllib.parse

from harness import Member, PASSWORD, ServerTestCase, audit_events, parse_leaf

NEW_PASSWORD = "a completely new passphrase"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def login(server, member, password):
    """Password + TOTP log-in on a new client; returns (client, last response)."""
    c = server.client()
    r = c.request("POST", "/api/v1/session", {"email": member.address, "password": password})
    if r.status != 200:
        return c, r
    r = c.request("POST", "/api/v1/session/totp",
                  {"login_ticket": r.json()["login_ticket"], "code": member.next_code()})
    return c, r


def send(sender, to, subject, text="the body"):
    r = sender.client.request("POST", "/api/v1/messages",
                              {"to": [to], "subject": subject, "text": text})
    assert r.status == 201, (r.status, r.body)
    return r.json()["id"]


class AccountApiTest(ServerTestCase):
    # A configured limit, so that the account can be seen to report the server's own values.
    server_options = {"extra_config": "[limits]\nmax_upload_bytes = 12345678\n"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": cls.server.bootstrap_token, "email": "admin@example.org",
                       "password": PASSWORD})
        assert r.status == 201, r.body
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.sender = Member(cls.server, "sender@example.org", display_name="Sam Sender")

    def mail_to(self, address):
        return self.server.mail_to(address)

    def test_account_and_password_change(self):
        m = Member(self.server, "pw@example.org")
        here = m.client  # the enrolment session
        elsewhere = m.login(self.server.client())
        message_id = send(self.sender, m.address, "before the change", "readable later")

        r = here.request("GET", "/api/v1/account")
        self.assertEqual(r.status, 200, r.body)
        account = r.json()
        self.assertEqual(account["email"], "pw@example.org")
        self.assertEqual(account["role"], "member")
        self.assertIs(account["totp_enabled"], True)
        self.assertRegex(account["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        self.assertEqual(account["limits"], {"max_upload_bytes": 12345678, "max_attachments": 100,
                                             "max_recipients": 10000, "max_subject_bytes": 998,
                                             "default_expiry_days": 30, "max_expiry_days": 90})
        self.assertEqual(self.admin.client.request("GET", "/api/v1/account").json()["role"], "admin")

        path = "/api/v1/account/password"
        r = here.request("POST", path, {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
                         headers={"X-CSRF-Token": "wrong"})
        self.assertEqual((r.status, r.problem_type()), (403, "csrf-failed"))
        r = here.request("POST", path, {"current_password": "not my password",
                                        "new_password": NEW_PASSWORD})
        self.assertEqual((r.status, r.problem_type()), (403, "wrong-password"))
        r = here.request("POST", path, {"current_password": PASSWORD, "new_password": "short"})
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-password"))
        r = here.request("POST", path, {"current_password": PASSWORD})
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))
        r = here.request("POST", path, {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        self.assertEqual(r.status, 204, r.body)

        # The current session stays, every other one ended.
        self.assertEqual(here.request("GET", "/api/v1/account").status, 200)
        r = elsewhere.request("GET", "/api/v1/account")
        self.assertEqual((r.status, r.problem_type()), (401, "session-required"))

        # Old password refused like any wrong password; the new one opens the same messages.
        r = self.server.client().request("POST", "/api/v1/session",
                                         {"email": m.address, "password": PASSWORD})
        self.assertEqual((r.status, r.problem_type()), (401, "invalid-credentials"))
        c, r = login(self.server, m, NEW_PASSWORD)
        self.assertEqual(r.status, 200, r.body)
        r = c.request("GET", "/api/v1/messages/" + message_id)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["text"], "readable later")
        self.assertEqual(r.json()["seal"]["status"], "valid")
        # Messages stay encrypted at rest: the body is nowhere in the database file.
        db = self.server.db()
        self.assertFalse(any(b"readable later" in bytes(row[0])
                             for row in db.execute("SELECT body FROM messages")))
        db.close()

    def test_wrong_current_password_is_throttled(self):
        m = Member(self.server, "throttled@example.org")
        for i in range(5):
            r = m.client.request("POST", "/api/v1/account/password",
                                 {"current_password": f"wrong password {i}",
                                  "new_password": NEW_PASSWORD})
            self.assertEqual((r.status, r.problem_type()), (403, "wrong-password"), i)
        r = m.client.request("POST", "/api/v1/account/password",
                             {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
        self.assertEqual(r.status, 429, r.body)
        self.assertIn("retry-after", r.headers)
        # Nothing changed: the password still is the old one (log-in is throttled too, though).
        db = self.server.db()
        (user_id,) = db.execute("SELECT id FROM users WHERE email = ?", (m.address,)).fetchone()
        changed = [e for e in audit_events(db)
                   if e["type"] == "password_changed" and e["subject"] == user_id]
        db.close()
        self.assertEqual(changed, [])

    def test_recovery(self):
        m = Member(self.server, "forgetful@example.org")
        message_id = send(self.sender, m.address, "for after recovery", "still mine")
        old_code = m.recovery_code
        path = "/api/v1/account/recover"
        anon = self.server.client()

        wrong = anon.request("POST", path, {"email": m.address,
                                            "recovery_code": "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA",
                                            "new_password": NEW_PASSWORD})
        unknown = anon.request("POST", path, {"email": "nobody@example.org",
                                              "recovery_code": old_code,
                                              "new_password": NEW_PASSWORD})
        for r in (wrong, unknown):
            self.assertEqual((r.status, r.problem_type()), (400, "recovery-failed"))
        self.assertEqual(wrong.json(), unknown.json())
        r = anon.request("POST", path, {"email": m.address, "recovery_code": old_code})
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))
        r = anon.request("POST", path, {"email": m.address, "recovery_code": old_code,
                                        "new_password": NEW_PASSWORD}, headers={})
        self.assertEqual(r.status, 200, r.body)
        new_code = r.json()["recovery_code"]
        self.assertEqual(len(new_code), 39)
        self.assertNotEqual(new_code, old_code)

        # Every session ended; TOTP is still asked for; the message is readable.
        r = m.client.request("GET", "/api/v1/account")
        self.assertEqual(r.status, 401)
        c, r = login(self.server, m, NEW_PASSWORD)
        self.assertEqual(r.status, 200, r.body)
        r = c.request("GET", "/api/v1/messages/" + message_id)
        self.assertEqual((r.status, r.json()["text"]), (200, "still mine"))

        # The old code is spent; the new one works once.
        r = anon.request("POST", path, {"email": m.address, "recovery_code": old_code,
                                        "new_password": "yet another passphrase"})
        self.assertEqual((r.status, r.problem_type()), (400, "recovery-failed"))
        r = anon.request("POST", path, {"email": m.address, "recovery_code": new_code.lower(),
                                        "new_password": "yet another passphrase"})
        self.assertEqual(r.status, 200, r.body)
        r = anon.request("POST", path, {"email": m.address, "recovery_code": new_code,
                                        "new_password": "and one more passphrase"})
        self.assertEqual((r.status, r.problem_type()), (400, "recovery-failed"))

    def test_recovery_is_throttled(self):
        anon = self.server.client()
        for i in range(5):
            r = anon.request("POST", "/api/v1/account/recover",
                             {"email": "ghost@example.org",
                              "recovery_code": "BBBB-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAA" + "A",
                              "new_password": NEW_PASSWORD})
            self.assertEqual((r.status, r.problem_type()), (400, "recovery-failed"), i)
        r = anon.request("POST", "/api/v1/account/recover",
                         {"email": "ghost@example.org", "recovery_code": "x",
                          "new_password": NEW_PASSWORD})
        self.assertEqual((r.status, r.problem_type()), (429, "too-many-attempts"))
        self.assertIn("retry-after", r.headers)

    def test_sessions(self):
        m = Member(self.server, "sessions@example.org")
        first = m.client
        second = m.login(self.server.client())
        r = second.request("GET", "/api/v1/sessions")
        self.assertEqual(r.status, 200, r.body)
        sessions = r.json()["sessions"]
        self.assertEqual(len(sessions), 2)
        self.assertEqual(sum(s["current"] for s in sessions), 1)
        cookie = second.cookies["__Host-sealpost_session"]
        for s in sessions:
            self.assertRegex(s["id"], HEX32)
            self.assertNotIn(s["id"], cookie)
            self.assertEqual(s["client_ip"], "127.0.0.1")
            self.assertEqual(set(s), {"id", "created_at", "last_seen_at", "client_ip",
                                      "user_agent", "current"})
        first_id = next(s["id"] for s in sessions if not s["current"])

        other = Member(self.server, "other-sessions@example.org")
        r = other.client.request("DELETE", "/api/v1/sessions/" + first_id)
        self.assertEqual((r.status, r.problem_type()), (404, "not-found"))
        for bad in ("0" * 32, "xyz"):
            r = second.request("DELETE", "/api/v1/sessions/" + bad)
            self.assertEqual((r.status, r.problem_type()), (404, "not-found"), bad)
        r = second.request("DELETE", "/api/v1/sessions/" + first_id, csrf=False)
        self.assertEqual((r.status, r.problem_type()), (403, "csrf-failed"))
        self.assertEqual(first.request("GET", "/api/v1/account").status, 200)

        r = second.request("DELETE", "/api/v1/sessions/" + first_id)
        self.assertEqual(r.status, 204, r.body)
        self.assertEqual(first.request("GET", "/api/v1/account").status, 401)
        self.assertEqual(second.request("GET", "/api/v1/account").status, 200)
        self.assertEqual(len(second.request("GET", "/api/v1/sessions").json()["sessions"]), 1)
        r = second.request("GET", "/api/v1/sessions")
        self.assertEqual(r.status, 200)

    def test_mailbox_search(self):
        m = Member(self.server, "searcher@example.org")
        for subject in ("Quarterly report", "Lunch on Friday", "Report draft"):
            send(self.sender, m.address, subject)

        def page(query, **params):
            params["q"] = query
            r = m.client.request("GET", "/api/v1/mailbox/inbox?" + urllib.parse.urlencode(params))
            return r

        r = page("REPORT")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([i["subject"] for i in r.json()["items"]],
                         ["Report draft", "Quarterly report"])
        self.assertIsNone(r.json()["next_cursor"])
        r = page("report", limit=1)
        self.assertEqual([i["subject"] for i in r.json()["items"]], ["Report draft"])
        cursor = r.json()["next_cursor"]
        self.assertIsNotNone(cursor)
        r = page("report", limit=1, cursor=cursor)
        self.assertEqual([i["subject"] for i in r.json()["items"]], ["Quarterly report"])
        self.assertEqual(len(page("Sam Sender").json()["items"]), 3)
        self.assertEqual(len(page("sender@example").json()["items"]), 3)
        self.assertEqual(page("nothing like this").json()["items"], [])
        self.assertTrue(all(i["unread"] for i in page("report").json()["items"]))

        r = page("x" * 201)
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))
        r = page("")
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))
        self.assertEqual(page("x" * 200).status, 200)
        r = page("report", limit=0)
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))
        r = page("report", limit=101)
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))

    def test_admin_routes_refuse_members(self):
        m = Member(self.server, "curious@example.org")
        c = m.client
        admin_id = self.user_id("admin@example.org")
        for method, path, body in (
                ("GET", "/api/v1/admin/users", None),
                ("POST", f"/api/v1/admin/users/{admin_id}/disable", None),
                ("POST", f"/api/v1/admin/users/{admin_id}/enable", None),
                ("POST", "/api/v1/admin/invitations", {"email": "friend@example.org"}),
                ("GET", "/api/v1/admin/audit", None)):
            r = c.request(method, path, body)
            self.assertEqual((r.status, r.problem_type()), (403, "forbidden"), path)
        r = self.server.client().request("GET", "/api/v1/admin/users")
        self.assertEqual(r.status, 401)
        self.assertFalse(self.user_row("admin@example.org")[1])

    def user_id(self, address):
        return self.user_row(address)[0]

    def user_row(self, address):
        db = self.server.db()
        row = db.execute("SELECT id, disabled FROM users WHERE email = ?", (address,)).fetchone()
        db.close()
        return row

    def list_users(self, limit):
        users, cursor = [], None
        for _ in range(50):
            path = f"/api/v1/admin/users?limit={limit}"
            if cursor:
                path += "&cursor=" + urllib.parse.quote(cursor)
            r = self.admin.client.request("GET", path)
            self.assertEqual(r.status, 200, r.body)
            self.assertLessEqual(len(r.json()["items"]), limit)
            users += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                return users
        self.fail("paging did not end")

    def test_admin_disables_and_enables(self):
        a = self.admin.client
        m = Member(self.server, "troublemaker@example.org")
        self.server.client().request("POST", "/api/v1/accounts",
                                     {"email": "pending@example.org", "password": PASSWORD})
        users = self.list_users(2)
        emails = [u["email"] for u in users]
        self.assertEqual(emails, sorted(emails))
        self.assertEqual(len(emails), len(set(emails)))
        by_email = {u["email"]: u for u in users}
        self.assertEqual(by_email["admin@example.org"]["role"], "admin")
        self.assertEqual(by_email["pending@example.org"]["status"], "unverified")
        self.assertEqual(by_email["troublemaker@example.org"]["status"], "active")
        self.assertIs(by_email["troublemaker@example.org"]["totp_enabled"], True)
        self.assertEqual(set(users[0]), {"id", "email", "role", "status", "totp_enabled",
                                         "created_at"})
        target = by_email["troublemaker@example.org"]["id"]

        for bad in ("0", "201", "abc", "-1"):
            r = a.request("GET", "/api/v1/admin/users?limit=" + bad)
            self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"), bad)
        r = a.request("GET", "/api/v1/admin/users?cursor=not-hex")
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"))

        admin_id = by_email["admin@example.org"]["id"]
        r = a.request("POST", f"/api/v1/admin/users/{admin_id}/disable")
        self.assertEqual((r.status, r.problem_type()), (409, "conflict"))
        r = a.request("POST", f"/api/v1/admin/users/{'f' * 32}/disable")
        self.assertEqual((r.status, r.problem_type()), (404, "not-found"))
        r = a.request("POST", f"/api/v1/admin/users/{target}/disable", csrf=False)
        self.assertEqual((r.status, r.problem_type()), (403, "csrf-failed"))
        self.assertEqual(m.client.request("GET", "/api/v1/account").status, 200)

        r = a.request("POST", f"/api/v1/admin/users/{target}/disable")
        self.assertEqual(r.status, 204, r.body)
        self.assertEqual(m.client.request("GET", "/api/v1/account").status, 401)
        r = self.server.client().request("POST", "/api/v1/session",
                                         {"email": m.address, "password": PASSWORD})
        self.assertEqual((r.status, r.problem_type()), (401, "invalid-credentials"))
        wrong = self.server.client().request("POST", "/api/v1/session",
                                             {"email": "no-such-user@example.org",
                                              "password": PASSWORD})
        self.assertEqual(r.json()["detail"], wrong.json()["detail"])
        self.assertEqual({u["email"]: u for u in self.list_users(200)}[m.address]["status"],
                         "disabled")

        r = a.request("POST", f"/api/v1/admin/users/{target}/enable")
        self.assertEqual(r.status, 204, r.body)
        c, r = login(self.server, m, PASSWORD)
        self.assertEqual(r.status, 200, r.body)

        r = a.request("GET", "/api/v1/admin/audit?limit=200")
        events = [(e["event"], e["actor"], e["subject"]) for e in r.json()["items"]]
        self.assertIn(("user_disabled", admin_id, target), events)
        self.assertIn(("user_enabled", admin_id, target), events)

    def test_invitations(self):
        a = self.admin.client
        r = a.request("POST", "/api/v1/admin/invitations", {"email": "Invitee+1@Example.org"})
        self.assertEqual(r.status, 202, r.body)
        self.assertIn("/signup?email=invitee%2B1%40example.org", self.mail_to("invitee+1@example.org"))
        r = a.request("POST", "/api/v1/admin/invitations", {"email": "not an address"})
        self.assertEqual((r.status, r.problem_type()), (400, "invalid-email"))
        for body in ({"email": 5}, {"mail": "x@example.org"}):
            r = a.request("POST", "/api/v1/admin/invitations", body)
            self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"), body)
        r = a.request("POST", "/api/v1/admin/invitations", {"email": "sender@example.org"})
        self.assertEqual((r.status, r.problem_type()), (409, "address-taken"))
        r = a.request("POST", "/api/v1/admin/invitations", raw=b"email=x@example.org",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 415)
        r = a.request("GET", "/api/v1/admin/audit?limit=10")
        self.assertIn(("invitation_sent", "invitee+1@example.org"),
                      [(e["event"], e["subject"]) for e in r.json()["items"]])

    def test_audit_listing(self):
        a = self.admin.client
        # The first page sequences what is pending (this one process is the sequencer), so
        # everything listed has its log index at once.
        r = a.request("GET", "/api/v1/admin/audit?limit=5")
        self.assertEqual(r.status, 200, r.body)
        page = r.json()
        self.assertEqual(len(page["items"]), 5)
        self.assertEqual(page["pending"], 0)
        indexes = [e["index"] for e in page["items"]]
        self.assertEqual(indexes, list(range(indexes[0], indexes[0] - 5, -1)))
        self.assertEqual(page["next_before"], indexes[-1])
        db = self.server.db()
        leaves = dict(db.execute("SELECT idx, leaf FROM log_entries"))
        db.close()
        for e in page["items"]:
            self.assertFalse(e["pending"])
            self.assertEqual(e["leaf_hash"],
                             hashlib.sha256(b"\x00" + bytes(leaves[e["index"]])).hexdigest())
            self.assertEqual(parse_leaf(leaves[e["index"]])["type"], e["event"])
            self.assertIsInstance(e["details"], dict)
            self.assertRegex(e["time"], r"Z$")
        r = a.request("GET", f"/api/v1/admin/audit?limit=3&before={page['next_before']}")
        older = [e["index"] for e in r.json()["items"]]
        self.assertEqual(older, [indexes[-1] - 1, indexes[-1] - 2, indexes[-1] - 3])
        # The oldest page has no next_before; the first entry is index 0.
        r = a.request("GET", "/api/v1/admin/audit?before=3")
        self.assertEqual([e["index"] for e in r.json()["items"]], [2, 1, 0])
        self.assertIsNone(r.json()["next_before"])
        # Default limit 50.
        self.assertLessEqual(len(a.request("GET", "/api/v1/admin/audit").json()["items"]), 50)
        for bad in ("limit=0", "limit=201", "limit=x", "before=0", "before=abc"):
            r = a.request("GET", "/api/v1/admin/audit?" + bad)
            self.assertEqual((r.status, r.problem_type()), (400, "invalid-argument"), bad)
        r = a.request("POST", "/api/v1/admin/audit/verify")
        self.assertTrue(r.json()["ok"], r.body)


if __name__ == "__main__":
    unittest.main()
