"""Roles, domains and API tokens over the real API: a domain administrator cannot reach another
domain's users, an auditor reads the log but changes nothing and reads nobody's messages, role
changes are audited, and API tokens work with `Authorization: Bearer` until revoked or expired,
never read messages, and never appear in the server log."""

import unittest

from harness import Member, PASSWORD, ServerTestCase


class RolesTest(ServerTestCase):
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
        cls.dana = Member(s, "dana@a.example")  # becomes administrator of a.example
        cls.eve = Member(s, "eve@a.example")    # becomes auditor of every domain
        cls.bob = Member(s, "bob@b.example")
        for m in (cls.dana, cls.eve, cls.bob):
            m.login()
        cls.ids = {}
        r = cls.root.client.request("GET", "/api/v1/admin/users?limit=50")
        assert r.status == 200, r.body
        for u in r.json()["items"]:
            cls.ids[u["email"]] = u["id"]
        cls.grant(cls.root, "dana@a.example", "administrator", "a.example")
        cls.grant(cls.root, "eve@a.example", "auditor", "*")
        # A message for bob, which no auditor or token may read.
        r = cls.dana.client.request("POST", "/api/v1/messages", {
            "to": ["bob@b.example"], "subject": "quarterly figures", "text": "confidential body"})
        assert r.status in (200, 201, 202), (r.status, r.body)
        cls.message_id = r.json()["id"]

    @classmethod
    def grant(cls, who, email, role, domain, expect=204):
        r = who.client.request("PUT", f"/api/v1/admin/roles/{cls.ids[email]}/{role}/{domain}")
        assert r.status == expect, (r.status, r.body)
        return r

    def bearer(self, token, method, path, body=None):
        c = self.server.client()
        try:
            return c.request(method, path, body, headers={"Authorization": f"Bearer {token}"})
        finally:
            c.close()

    def test_domain_administrator_stays_in_their_domain(self):
        d = self.dana.client
        r = d.request("GET", "/api/v1/account/roles")
        self.assertEqual(r.json()["items"], [{"role": "administrator", "domain": "a.example"}])
        r = self.root.client.request("GET", "/api/v1/account/roles")
        self.assertEqual(r.json()["items"], [{"role": "administrator", "domain": "*"}])
        r = d.request("GET", "/api/v1/admin/users?limit=50")
        self.assertEqual(r.status, 200, r.body)
        emails = {u["email"] for u in r.json()["items"]}
        self.assertEqual(emails, {"root@a.example", "dana@a.example", "eve@a.example"})
        r = d.request("GET", "/api/v1/admin/users?domain=b.example")
        self.assertEqual(r.status, 403)
        self.assertEqual(r.headers["content-type"], "application/problem+json")
        bob_id = self.ids["bob@b.example"]
        r = d.request("POST", f"/api/v1/admin/users/{bob_id}/disable")
        self.assertEqual(r.status, 404)
        r = self.root.client.request("GET", "/api/v1/admin/users?domain=b.example")
        self.assertEqual(r.json()["items"][0]["status"], "active")  # unchanged
        r = d.request("PUT", f"/api/v1/admin/roles/{bob_id}/auditor/a.example")
        self.assertEqual(r.status, 404)
        r = d.request("PUT", f"/api/v1/admin/roles/{self.ids['eve@a.example']}/auditor/b.example")
        self.assertEqual(r.status, 403)
        r = d.request("POST", "/api/v1/admin/invitations", {"email": "new@b.example"})
        self.assertEqual(r.status, 403)
        # The audit log spans every domain: not for a domain administrator.
        r = d.request("GET", "/api/v1/admin/audit")
        self.assertEqual(r.status, 403)
        # Roles of their domain only.
        r = d.request("GET", "/api/v1/admin/roles")
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(all(g["domain"] == "a.example" for g in r.json()["items"]), r.body)

    def test_auditor_reads_the_log_but_changes_and_reads_nothing_else(self):
        e = self.eve.client
        r = e.request("GET", "/api/v1/admin/audit?limit=200")
        self.assertEqual(r.status, 200, r.body)
        types = [i["event"] for i in r.json()["items"]]
        self.assertIn("role_granted", types)
        r = e.request("POST", "/api/v1/admin/audit/verify")
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.json()["ok"], r.body)
        for method, path, body in [
                ("POST", f"/api/v1/admin/users/{self.ids['bob@b.example']}/disable", None),
                ("POST", "/api/v1/admin/invitations", {"email": "x@a.example"}),
                ("PUT", f"/api/v1/admin/roles/{self.ids['bob@b.example']}/auditor/*", None),
                ("DELETE", f"/api/v1/admin/roles/{self.ids['dana@a.example']}/administrator/"
                           "a.example", None)]:
            r = e.request(method, path, body)
            self.assertEqual(r.status, 403, (path, r.body))
            self.assertEqual(r.headers["content-type"], "application/problem+json")
        r = self.root.client.request("GET", "/api/v1/admin/roles")
        self.assertIn({"email": "dana@a.example", "role": "administrator", "domain": "a.example"},
                      [{k: g[k] for k in ("email", "role", "domain")} for g in r.json()["items"]])
        # Bob's message is not the auditor's to read.
        r = e.request("GET", f"/api/v1/messages/{self.message_id}")
        self.assertEqual(r.status, 404)

    def test_api_tokens(self):
        e = self.eve.client
        r = e.request("POST", "/api/v1/account/tokens",
                      {"name": "siem", "role": "auditor", "expires_in_days": 30})
        self.assertEqual(r.status, 201, r.body)
        created = r.json()
        token = created["token"]
        self.assertTrue(token.startswith("spt_"))
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        # Listed without the secret.
        r = e.request("GET", "/api/v1/account/tokens")
        self.assertEqual(r.status, 200)
        (listed,) = [t for t in r.json()["items"] if t["id"] == created["id"]]
        self.assertNotIn("token", listed)
        self.assertNotIn(token, r.body.decode())

        # The auditor's token reads the log, changes nothing, reads no message.
        r = self.bearer(token, "GET", "/api/v1/admin/audit")
        self.assertEqual(r.status, 200, r.body)
        r = self.bearer(token, "POST", "/api/v1/admin/audit/verify")
        self.assertEqual(r.status, 200, r.body)
        r = self.bearer(token, "POST",
                        f"/api/v1/admin/users/{self.ids['bob@b.example']}/disable")
        self.assertEqual(r.status, 403)
        for path in ("/api/v1/mailbox/inbox", f"/api/v1/messages/{self.message_id}"):
            r = self.bearer(token, "GET", path)
            self.assertEqual(r.status, 401, (path, r.body))
        # A token does not mint tokens.
        r = self.bearer(token, "POST", "/api/v1/account/tokens",
                        {"name": "x", "role": "auditor", "expires_in_days": 1})
        self.assertEqual(r.status, 401)
        r = e.request("GET", "/api/v1/account/tokens")
        (listed,) = [t for t in r.json()["items"] if t["id"] == created["id"]]
        self.assertIsNotNone(listed["last_used_at"])

        # Bad tokens: altered, wrong scheme, a role the member lacks.
        altered = token[:-1] + ("A" if token[-1] != "A" else "B")
        r = self.bearer(altered, "GET", "/api/v1/admin/audit")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.headers.get("www-authenticate"), "Bearer")
        c = self.server.client()
        r = c.request("GET", "/api/v1/admin/audit", headers={"Authorization": f"Basic {token}"})
        c.close()
        self.assertEqual(r.status, 401)
        r = e.request("POST", "/api/v1/account/tokens",
                      {"name": "x", "role": "administrator", "expires_in_days": 1})
        self.assertEqual(r.status, 403)
        r = e.request("POST", "/api/v1/account/tokens",
                      {"name": "x", "role": "auditor", "expires_in_days": 400})
        self.assertEqual(r.status, 400)

        # Revoked: 401 at once; audited both ways.
        r = e.request("DELETE", f"/api/v1/account/tokens/{created['id']}")
        self.assertEqual(r.status, 204)
        r = self.bearer(token, "GET", "/api/v1/admin/audit")
        self.assertEqual(r.status, 401)
        r = e.request("DELETE", f"/api/v1/account/tokens/{created['id']}")
        self.assertEqual(r.status, 404)
        r = e.request("GET", "/api/v1/admin/audit?limit=200")
        types = [i["event"] for i in r.json()["items"]]
        self.assertIn("api_token_created", types)
        self.assertIn("api_token_revoked", types)

        # Expired: the row's expiry moved into the past.
        r = e.request("POST", "/api/v1/account/tokens",
                      {"name": "short", "role": "auditor", "expires_in_days": 1})
        self.assertEqual(r.status, 201)
        short = r.json()
        self.assertEqual(self.bearer(short["token"], "GET", "/api/v1/admin/audit").status, 200)
        db = self.server.db()
        db.execute("UPDATE api_tokens SET expires_ms = 1 WHERE public_id = ?", (short["id"],))
        db.commit()
        db.close()
        self.assertEqual(self.bearer(short["token"], "GET", "/api/v1/admin/audit").status, 401)

        # The secret is stored as its lookup only, and never logged.
        db = self.server.db()
        rows = db.execute("SELECT lookup FROM api_tokens").fetchall()
        db.close()
        for (lookup,) in rows:
            self.assertNotIn(lookup, (token, short["token"]))
        log = self.server.read_log()
        for secret in (token, short["token"]):
            self.assertNotIn(secret[4:], log)

    def test_role_changes_are_audited_and_revocation_disarms(self):
        bob = self.ids["bob@b.example"]
        self.grant(self.root, "bob@b.example", "compliance_officer", "b.example")
        self.grant(self.root, "bob@b.example", "compliance_officer", "b.example")  # idempotent
        b = self.bob.client
        r = b.request("POST", "/api/v1/account/tokens",
                      {"name": "holds", "role": "compliance_officer", "expires_in_days": 5})
        self.assertEqual(r.status, 201, r.body)
        token = r.json()["token"]
        # A compliance officer neither reads the log nor changes users.
        self.assertEqual(self.bearer(token, "GET", "/api/v1/admin/audit").status, 403)
        self.assertEqual(b.request("GET", "/api/v1/admin/audit").status, 403)
        r = self.root.client.request("DELETE", f"/api/v1/admin/roles/{bob}/compliance_officer/"
                                               "b.example")
        self.assertEqual(r.status, 204, r.body)
        r = self.root.client.request("GET", "/api/v1/admin/audit?limit=200")
        events = [i for i in r.json()["items"] if i["subject"] == bob]
        kinds = [i["event"] for i in events]
        self.assertEqual(kinds.count("role_granted"), 1)
        self.assertEqual(kinds.count("role_revoked"), 1)
        revoked = next(i for i in events if i["event"] == "role_revoked")
        self.assertEqual(revoked["details"], {"role": "compliance_officer", "domain": "b.example"})
        self.assertEqual(revoked["actor"], self.ids["root@a.example"])
        # Bad input: unknown role, malformed domain, member, own roles.
        for path, status in [(f"{bob}/boss/b.example", 400), (f"{bob}/auditor/b%20example", 400),
                             (f"{bob}/member/b.example", 400),
                             (f"{self.ids['root@a.example']}/auditor/*", 409)]:
            r = self.root.client.request("PUT", f"/api/v1/admin/roles/{path}")
            self.assertEqual(r.status, status, (path, r.body))


if __name__ == "__main__":
    unittest.main()
