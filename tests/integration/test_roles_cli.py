"""Roles from the server's console against the real binary (docs/roles.md): `sealpost admin
grant-role` makes Bob compliance officer of example.org beside the running server; Bob then
manages example.org's retention and holds and nothing of other.net (403 for its policy, 404 for
its member); `list-roles` shows the grant; `revoke-role` takes it back (403 again); both changes
are audit events with the operator as actor; bad input is refused with a clear message."""

import unittest

from harness import Member, PASSWORD, Server, audit_events


class RolesCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": cls.server.bootstrap_token, "email": "admin@example.org",
                       "password": PASSWORD})
        assert r.status == 201, r.body
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.bob = Member(cls.server, "bob@example.org")
        cls.carol = Member(cls.server, "carol@other.net")
        for m in (cls.admin, cls.bob, cls.carol):
            m.login()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def admin_cli(self, *args):
        return self.server.run_cli("admin", *args, "--config", self.server.config_path)

    def test_grant_scope_list_revoke_and_audit(self):
        b = self.bob.client
        r = b.request("POST", "/api/v1/admin/retention", {"domain": "example.org", "days": 30})
        self.assertEqual(r.status, 403, r.body)

        r = self.admin_cli("grant-role", "bob@example.org", "compliance_officer", "example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = b.request("POST", "/api/v1/admin/retention", {"domain": "example.org", "days": 30})
        self.assertEqual(r.status, 200, r.body)
        r = b.request("POST", "/api/v1/admin/retention", {"domain": "other.net", "days": 30})
        self.assertEqual(r.status, 403, r.body)
        r = b.request("POST", "/api/v1/admin/holds",
                      {"target": "member", "subject": "carol@other.net", "reason": "case 7"})
        self.assertEqual(r.status, 404, r.body)
        r = b.request("POST", "/api/v1/admin/holds",
                      {"target": "member", "subject": "bob@example.org", "reason": "case 7"})
        self.assertEqual(r.status, 201, r.body)

        r = self.admin_cli("list-roles")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("example.org\tbob@example.org\tcompliance_officer\tcli:", r.stdout)

        r = self.admin_cli("revoke-role", "bob@example.org", "compliance_officer", "example.org")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = b.request("POST", "/api/v1/admin/retention", {"domain": "example.org", "days": 5})
        self.assertEqual(r.status, 403, r.body)

        with self.server.db() as db:
            events = audit_events(db)
        kinds = [(e["type"], e["actor"][:4]) for e in events
                 if e["type"] in ("role_granted", "role_revoked")]
        self.assertEqual(kinds, [("role_granted", "cli:"), ("role_revoked", "cli:")])

    def test_bad_input_is_refused(self):
        for args, words in ((("grant-role", "nobody@example.org", "auditor", "*"), "no member"),
                            (("grant-role", "bob@example.org", "member", "*"), "member"),
                            (("grant-role", "bob@example.org", "king", "*"), "role"),
                            (("grant-role", "bob@example.org", "auditor", "not a domain"),
                             "domain"),
                            (("revoke-role", "bob@example.org", "auditor", "*"), "not found")):
            r = self.admin_cli(*args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertIn(words, r.stderr)


if __name__ == "__main__":
    unittest.main()
