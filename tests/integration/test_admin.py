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

        # An entry that no longer parses is reported with its index; an edited one breaks the
        # signed root.
        db = self.server.db()
        (leaf,) = db.execute("SELECT leaf FROM log_entries WHERE idx = 2").fetchone()
        db.execute("UPDATE log_entries SET leaf = ? WHERE idx = 2", (b"\x02\x01",))
        db.commit()
        r = admin.client.request("POST", "/api/v1/admin/audit/verify")
        self.assertEqual(r.status, 200)
        self.assertFalse(r.json()["ok"])
        self.assertEqual(r.json()["first_bad_index"], 2)
        edited = bytearray(leaf)
        edited[-2] ^= 0x01  # inside the details
        db.execute("UPDATE log_entries SET leaf = ? WHERE idx = 2", (bytes(edited),))
        db.commit()
        r = admin.client.request("POST", "/api/v1/admin/audit/verify")
        self.assertFalse(r.json()["ok"])
        self.assertIn("signed root", r.json()["problem"])
        db.execute("UPDATE log_entries SET leaf = ? WHERE idx = 2", (leaf,))
        db.commit()
        db.close()
        r = admin.client.request("POST", "/api/v1/admin/audit/verify")
        self.assertTrue(r.json()["ok"], r.body)

    def test_bootstrap_with_a_wrong_token(self):
        r = self.server.client().request(
            "POST", "/api/v1/setup/admin",
            {"token": "A" * 43, "email": "mallory@example.org", "password": PASSWORD})
        self.assertEqual(r.status, 404)


if __name__ == "__main__":
    unittest.main()
