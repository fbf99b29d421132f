"""The first administrator: created once with the link printed at start-up, then the
administrators-only audit check."""

import unittest

from harness import Member, PASSWORD, ServerTestCase


class AdminTest(ServerTestCase):
    def test_bootstrap_link_creates_one_admin_who_can_verify_the_audit_log(self):
        token = self.server.bootstrap_token
        self.assertIsNotNone(token, "serve printed no first-administrator link")
        c = self.server.client()
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": token, "email": "admin@example.org", "password": PASSWORD})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(len(r.json()["recovery_code"]), 39)
        # The link works once.
        r = c.request("POST", "/api/v1/setup/admin",
                      {"token": token, "email": "other@example.org", "password": PASSWORD})
        self.assertEqual(r.status, 404)
        self.assertEqual(r.problem_type(), "link-invalid")

        admin = Member(self.server, "admin@example.org", already_active=True)
        admin.login()
        r = admin.client.request("POST", "/api/v1/admin/audit/verify")
        self.assertEqual(r.status, 200, r.body)
        report = r.json()
        self.assertTrue(report["ok"], report)
        self.assertGreater(report["entries"], 0)

        member = Member(self.server, "member@example.org")
        member.login()
        r = member.client.request("POST", "/api/v1/admin/audit/verify")
        self.assertEqual(r.status, 403)

        # An edited entry is reported with its number.
        db = self.server.db()
        db.execute("UPDATE audit_log SET subject = 'forged' WHERE seq = 2")
        db.commit()
        db.close()
        r = admin.client.request("POST", "/api/v1/admin/audit/verify")
        self.assertEqual(r.status, 200)
        self.assertFalse(r.json()["ok"])
        self.assertEqual(r.json()["first_bad_seq"], 2)

    def test_bootstrap_with_a_wrong_token(self):
        r = self.server.client().request(
            "POST", "/api/v1/setup/admin",
            {"token": "A" * 43, "email": "mallory@example.org", "password": PASSWORD})
        self.assertEqual(r.status, 404)


if __name__ == "__main__":
    unittest.main()
