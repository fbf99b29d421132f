"""App passwords for mail programs over the real API: created with a name and shown once with the
mail-program settings, listed without the secret, stored only as a one-way lookup (checked here
against an independent derivation) and the member's key wrapped under it, limited, CSRF-protected,
revoked by the member (not by another), and revoked when the member is disabled or changes the
password; every step audited, the secret never in the database, the audit log or the server log.
(Logging in with one over SMTP is the submission face's test.)"""

import hashlib
import re
import unittest

from harness import Member, PASSWORD, ServerTestCase, audit_events

PATTERN = re.compile(r"^[a-z2-7]{4}(-[a-z2-7]{4}){7}$")


def is_null(value):
    """NULL as sqlite3 returns it (None) or as psql prints it (empty text)."""
    return value is None or value == ""


def lookup_of(password):
    """auth/app_password_secret.h, derived independently: SHA-256 of a label and the canonical
    text, then libsodium's crypto_kdf (keyed BLAKE2b, subkey id 1 as salt, context as person)."""
    canonical = password.replace("-", "").lower().encode()
    root = hashlib.sha256(b"sealpost/app-password/v1" + canonical).digest()
    return hashlib.blake2b(digest_size=32, key=root, salt=(1).to_bytes(8, "little") + bytes(8),
                           person=b"spapppw1" + bytes(8)).hexdigest()


class AppPasswordsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        c = s.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": s.bootstrap_token, "email": "root@a.example",
                       "password": PASSWORD})
        assert r.status == 201, r.body
        cls.root = Member(s, "root@a.example", already_active=True)
        cls.root.login()
        cls.ann = Member(s, "ann@a.example")
        cls.ben = Member(s, "ben@a.example")
        for m in (cls.ann, cls.ben):
            m.login()

    def create(self, member, name, expect=201):
        r = member.client.request("POST", "/api/v1/account/app-passwords", {"name": name})
        self.assertEqual(r.status, expect, r.body)
        return r

    def rows(self, where="", params=()):
        db = self.server.db()
        try:
            return db.execute("SELECT id, lookup, user_id, name, wrapped_umk, last_used_ms, "
                              "revoked_ms FROM app_passwords " + where, params).fetchall()
        finally:
            db.close()

    def user_id(self, email):
        r = self.root.client.request("GET", "/api/v1/admin/users?limit=50")
        return {u["email"]: u["id"] for u in r.json()["items"]}[email]

    def test_create_list_revoke(self):
        a = self.ann.client
        r = self.create(self.ann, "Thunderbird on the laptop")
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        created = r.json()
        password = created["password"]
        self.assertRegex(password, PATTERN)
        self.assertEqual(created["name"], "Thunderbird on the laptop")
        self.assertIsNone(created["last_used_at"])
        settings = created["mail_settings"]
        self.assertEqual(settings["username"], "ann@a.example")
        self.assertEqual(settings["host"], "127.0.0.1")
        self.assertIn("starttls_port", settings)
        self.assertIn("tls_port", settings)

        # Listed without the password, with the settings.
        r = a.request("GET", "/api/v1/account/app-passwords")
        self.assertEqual(r.status, 200, r.body)
        (listed,) = [p for p in r.json()["items"] if p["id"] == created["id"]]
        self.assertEqual(set(listed), {"id", "name", "created_at", "last_used_at"})
        self.assertNotIn(password, r.body.decode())
        self.assertEqual(r.json()["mail_settings"]["username"], "ann@a.example")
        # Another member sees none of it and cannot revoke it.
        r = self.ben.client.request("GET", "/api/v1/account/app-passwords")
        self.assertNotIn(created["id"], r.body.decode())
        r = self.ben.client.request("DELETE", f"/api/v1/account/app-passwords/{created['id']}")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.headers["content-type"], "application/problem+json")

        # Stored: the independent lookup and a wrapped key, never the password.
        ((row_id, lookup, user_id, name, wrapped, last_used, revoked),) = self.rows(
            "WHERE id = ?", (created["id"],))
        self.assertEqual(lookup, lookup_of(password))
        self.assertEqual(user_id, self.user_id("ann@a.example"))
        self.assertEqual(len(bytes(wrapped)), 77)
        self.assertTrue(is_null(revoked))
        raw = self.server.raw_database_bytes()
        self.assertNotIn(password.encode(), raw)
        self.assertNotIn(password.replace("-", "").encode(), raw)

        # Without the CSRF token: refused, nothing revoked.
        r = a.request("DELETE", f"/api/v1/account/app-passwords/{created['id']}", csrf=False)
        self.assertEqual(r.status, 403, r.body)
        r = a.request("DELETE", f"/api/v1/account/app-passwords/{created['id']}")
        self.assertEqual(r.status, 204, r.body)
        r = a.request("DELETE", f"/api/v1/account/app-passwords/{created['id']}")
        self.assertEqual(r.status, 404)
        r = a.request("GET", "/api/v1/account/app-passwords")
        self.assertNotIn(created["id"], r.body.decode())
        ((_, _, _, _, wrapped, _, revoked),) = self.rows("WHERE id = ?", (created["id"],))
        self.assertFalse(is_null(revoked))
        self.assertEqual(bytes(wrapped), b"")

        self.server.wait_for_log()
        db = self.server.db()
        events = audit_events(db)
        db.close()
        types = [e["type"] for e in events]
        self.assertIn("app_password_created", types)
        self.assertIn("app_password_revoked", types)
        for e in events:
            self.assertNotIn(password.replace("-", ""), e["details"].replace("-", ""))
        self.assertNotIn(password, self.server.read_log())

    def test_bad_input_and_limit(self):
        b = self.ben.client
        for body in ({"name": ""}, {"name": "x" * 65}, {"name": "tab\there"}, {"name": 5}, {},
                     {"name": "ok", "extra": 1}):
            r = b.request("POST", "/api/v1/account/app-passwords", body)
            self.assertEqual(r.status, 400, (body, r.body))
            self.assertEqual(r.headers["content-type"], "application/problem+json")
        r = b.request("POST", "/api/v1/account/app-passwords", raw=b'{"name":"x"}',
                      headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 415)
        # The router refuses a dot-dot path itself; malformed ids name no password.
        r = b.request("DELETE", "/api/v1/account/app-passwords/../x")
        self.assertEqual(r.status, 400, r.body)
        for path in ("0" * 31, "g" * 32, "0" * 32):
            r = b.request("DELETE", f"/api/v1/account/app-passwords/{path}")
            self.assertEqual(r.status, 404, (path, r.body))
            self.assertEqual(r.headers["content-type"], "application/problem+json")
        # No session: 401.
        c = self.server.client()
        r = c.request("GET", "/api/v1/account/app-passwords")
        c.close()
        self.assertEqual(r.status, 401)

        r = b.request("GET", "/api/v1/account/app-passwords")
        have = len(r.json()["items"])
        for i in range(20 - have):
            self.create(self.ben, f"device {i}")
        r = self.create(self.ben, "one too many", expect=409)
        self.assertEqual(r.headers["content-type"], "application/problem+json")
        # Revoking one makes room again.
        first = b.request("GET", "/api/v1/account/app-passwords").json()["items"][0]["id"]
        self.assertEqual(b.request("DELETE", f"/api/v1/account/app-passwords/{first}").status, 204)
        self.create(self.ben, "room again")

    def test_disabling_or_a_password_change_revokes_them(self):
        carl = Member(self.server, "carl@a.example")
        carl.login()
        self.create(carl, "Apple Mail")
        self.create(carl, "Outlook")
        carl_id = self.user_id("carl@a.example")
        self.assertEqual([is_null(r[6]) for r in self.rows("WHERE user_id = ?", (carl_id,))],
                         [True, True])
        r = self.root.client.request("POST", f"/api/v1/admin/users/{carl_id}/disable")
        self.assertEqual(r.status, 204, r.body)
        rows = self.rows("WHERE user_id = ?", (carl_id,))
        self.assertEqual(len(rows), 2)
        for row in rows:
            self.assertFalse(is_null(row[6]))
            self.assertEqual(bytes(row[4]), b"")
        r = self.root.client.request("POST", f"/api/v1/admin/users/{carl_id}/enable")
        self.assertEqual(r.status, 204, r.body)

        dora = Member(self.server, "dora@a.example")
        dora.login()
        self.create(dora, "Thunderbird")
        dora_id = self.user_id("dora@a.example")
        r = dora.client.request("POST", "/api/v1/account/password",
                                {"current_password": PASSWORD,
                                 "new_password": "another long password"})
        self.assertIn(r.status, (200, 204), r.body)
        (row,) = self.rows("WHERE user_id = ?", (dora_id,))
        self.assertFalse(is_null(row[6]))
        r = dora.client.request("GET", "/api/v1/account/app-passwords")
        self.assertEqual(r.json()["items"], [])


if __name__ == "__main__":
    unittest.main()
