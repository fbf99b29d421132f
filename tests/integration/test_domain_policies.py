"""Two organisations on one instance, each with its own administrator and its own delivery
policies (issue 15, docs/roles.md): a.example and b.example set different SMTP gateway policies
through the admin API, and mail their members' mail programs submit (Python's smtplib on the
submission listener, STARTTLS, app passwords) follows the sender's domain's policy; a domain
without one of its own follows the config file's [smtp_policy]. Each domain keeps its own TLS
partner entries, and Compose's route hints show the sender's organisation's entry winning over the
instance-wide one. A domain administrator gets 403 (problem+json) for the other domain's policy
and partners, and nothing changes. The use cases are also tested in C++
(src/app/smtp_policies_test.cpp, src/app/tls_partners_test.cpp, src/app/mail_submission_test.cpp).
"""

import json
import smtplib
import ssl
import uuid

from harness import PASSWORD, Member, ServerTestCase, audit_events

CONFIG = """
[smtp]
hostname = "sealpost.test"

[smtp_policy]
policy = "all"
"""

POLICIES = "/api/v1/admin/smtp-policies"
PARTNERS = "/api/v1/admin/tls-partners"
OUTSIDE = "partner@outside.example"


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class DomainPoliciesTest(ServerTestCase):
    server_options = {"extra_config": CONFIG}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        r = s.client().request("POST", "/api/v1/setup/admin",
                               {"token": s.bootstrap_token, "email": "root@example.org",
                                "password": PASSWORD})
        assert r.status == 201, r.body
        cls.root = Member(s, "root@example.org", already_active=True)
        cls.root.login()
        cls.dana = Member(s, "dana@a.example")  # administrator of a.example
        cls.ben = Member(s, "ben@b.example")    # administrator of b.example
        cls.carl = Member(s, "carl@example.org")  # a member of a domain with no policy of its own
        for m in (cls.dana, cls.ben, cls.carl):
            m.login()
        r = cls.root.client.request("GET", "/api/v1/admin/users?limit=50")
        assert r.status == 200, r.body
        ids = {u["email"]: u["id"] for u in r.json()["items"]}
        for email, domain in (("dana@a.example", "a.example"), ("ben@b.example", "b.example")):
            r = cls.root.client.request(
                "PUT", f"/api/v1/admin/roles/{ids[email]}/administrator/{domain}")
            assert r.status == 204, (r.status, r.body)

    def events(self, type_):
        db = self.server.db()
        try:
            return [e for e in audit_events(db) if e["type"] == type_]
        finally:
            db.close()

    def stored(self, sql):
        db = self.server.db()
        try:
            return sorted(tuple(row) for row in db.execute(sql))
        finally:
            db.close()

    def submit(self, member, subject):
        """Sends one message to OUTSIDE with `member`'s mail program; the final reply's text."""
        r = member.client.request("POST", "/api/v1/account/app-passwords",
                                  {"name": f"smtplib {uuid.uuid4().hex[:8]}"})
        self.assertEqual(r.status, 201, r.body)
        password = r.json()["password"]
        message = (f"From: {member.address}\r\nTo: {OUTSIDE}\r\nSubject: {subject}\r\n\r\n"
                   f"Hello from {member.address}\r\n")
        with smtplib.SMTP("127.0.0.1", self.server.smtp_ports["submission"], timeout=30) as s:
            s.starttls(context=tls_context())
            s.login(member.address, password)
            code, text = s.mail(member.address)
            self.assertEqual(code, 250, text)
            code, text = s.rcpt(OUTSIDE)
            self.assertEqual(code, 250, text)
            code, text = s.data(message.encode())
            self.assertEqual(code, 250, text)
            return text.decode()

    def assertSecure(self, reply):
        self.assertIn("Sent securely as", reply)

    def assertRelayed(self, reply):
        self.assertIn("Queued for the relay", reply)

    def test_1_each_domain_sets_its_own_gateway_policy(self):
        r = self.dana.client.request("PUT", f"{POLICIES}/a.example",
                                     {"mode": "tag", "tag": "[a-secure]"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["source"], "domain")
        r = self.ben.client.request("PUT", f"{POLICIES}/b.example",
                                    {"mode": "rules", "tag": "[b-secure]", "ready": ["iban"],
                                     "regexes": ["(?i)project\\s+falcon"]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["regexes"], ["(?i)project\\s+falcon"])

        # Each administrator lists their own domain only; the default is the config file's.
        r = self.dana.client.request("GET", POLICIES)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["default"]["mode"], "all")
        self.assertEqual([(i["domain"], i["mode"]) for i in r.json()["items"]],
                         [("a.example", "tag")])

        # a.example: only the tagged message goes securely (and b's tag means nothing there).
        self.assertRelayed(self.submit(self.dana, "Lunch"))
        self.assertSecure(self.submit(self.dana, "[a-secure] Salary"))
        self.assertRelayed(self.submit(self.dana, "[b-secure] Salary"))
        # b.example: its regex marks the message; an ordinary one is relayed.
        self.assertRelayed(self.submit(self.ben, "Lunch"))
        self.assertSecure(self.submit(self.ben, "Re: Project  Falcon"))
        self.assertSecure(self.submit(self.ben, "[b-secure] anything"))
        # example.org set none: the instance default ("all").
        self.assertSecure(self.submit(self.carl, "Lunch"))

        # Each change is audited with the fields that changed, never the pattern or the tag.
        set_events = self.events("smtp_policy.set")
        self.assertEqual(sorted(e["subject"] for e in set_events), ["a.example", "b.example"])
        for e in set_events:
            self.assertNotIn("falcon", e["details"])
            self.assertNotIn("secure]", e["details"])
            self.assertIn("mode", json.loads(e["details"])["changed"])

        # Cleared, a.example follows the default again.
        r = self.dana.client.request("DELETE", f"{POLICIES}/a.example")
        self.assertEqual(r.status, 204, r.body)
        self.assertSecure(self.submit(self.dana, "Lunch"))
        r = self.dana.client.request("GET", f"{POLICIES}/a.example")
        self.assertEqual(r.json()["source"], "instance")
        self.assertEqual(len(self.events("smtp_policy.cleared")), 1)

    def test_2_another_domains_policy_is_403_and_unchanged(self):
        before = self.stored("SELECT domain, mode, tag, regexes FROM smtp_policies")
        d = self.dana.client
        for method, body in (("GET", None), ("PUT", {"mode": "all"}), ("DELETE", None)):
            with self.subTest(method):
                r = d.request(method, f"{POLICIES}/b.example", body)
                self.assertEqual(r.status, 403, r.body)
                self.assertEqual(r.headers["content-type"], "application/problem+json")
        # A member who administers nothing.
        r = self.carl.client.request("GET", POLICIES)
        self.assertEqual(r.status, 403, r.body)
        # Bad input names the field and stores nothing.
        for body, field in (({"mode": "strict"}, "mode"),
                            ({"mode": "rules", "regexes": ["(unclosed"]}, "regexes[0]"),
                            ({"mode": "rules", "regexes": ["x"] * 21}, "regexes"),
                            ({"mode": "rules", "ready": ["passport"]}, "ready[0]"),
                            ({"mode": "tag", "tag": ""}, "tag")):
            with self.subTest(field):
                r = d.request("PUT", f"{POLICIES}/a.example", body)
                self.assertEqual(r.status, 400, r.body)
                self.assertTrue(r.json()["detail"].startswith(field + ":"), r.json()["detail"])
        self.assertEqual(self.stored("SELECT domain, mode, tag, regexes FROM smtp_policies"),
                         before)
        # The instance administrator reaches every domain's.
        r = self.root.client.request("GET", f"{POLICIES}/b.example")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["mode"], "rules")

    def hint(self, member, address):
        r = member.client.request("GET", f"/api/v1/contacts/methods?address={address}")
        self.assertEqual(r.status, 200, r.body)
        return r.json()["items"][0]

    def test_3_tls_partners_per_domain(self):
        r = self.root.client.request("PUT", f"{PARTNERS}/bank.example",
                                     {"override": "mx-shared.bank.example"})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["owner_domain"], "*")
        r = self.dana.client.request("PUT", f"{PARTNERS}/bank.example",
                                     {"override": "mx-a.bank.example"})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["owner_domain"], "a.example")
        r = self.ben.client.request("PUT", f"{PARTNERS}/only-b.example", {})
        self.assertEqual(r.status, 201, r.body)

        # Dana sees the instance-wide entry (read-only) and her own, never Ben's.
        r = self.dana.client.request("GET", PARTNERS)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual([(i["owner_domain"], i["domain"], i["editable"])
                          for i in r.json()["items"]],
                         [("*", "bank.example", False), ("a.example", "bank.example", True)])

        # Ben's entry and the instance's are out of her reach: 403, nothing changed.
        before = self.stored("SELECT owner_domain, domain, override_host FROM tls_partners")
        for method, path, body in (
                ("GET", f"{PARTNERS}/only-b.example?owner_domain=b.example", None),
                ("PUT", f"{PARTNERS}/only-b.example?owner_domain=b.example", {}),
                ("DELETE", f"{PARTNERS}/only-b.example?owner_domain=b.example", None),
                ("PUT", f"{PARTNERS}/bank.example?owner_domain=*", {"override": "evil.example"}),
                ("DELETE", f"{PARTNERS}/bank.example?owner_domain=*", None)):
            with self.subTest(f"{method} {path}"):
                r = self.dana.client.request(method, path, body)
                self.assertEqual(r.status, 403, r.body)
                self.assertEqual(r.headers["content-type"], "application/problem+json")
        self.assertEqual(self.stored("SELECT owner_domain, domain, override_host FROM tls_partners"),
                         before)

        # Routing follows the sender's organisation: a.example's own entry wins for Dana, Ben
        # gets the instance-wide one, and Ben's own partner is no partner for Dana.
        self.assertEqual(self.hint(self.dana, "x@bank.example")["label"],
                         "TLS to mx-a.bank.example")
        self.assertEqual(self.hint(self.ben, "x@bank.example")["label"],
                         "TLS to mx-shared.bank.example")
        self.assertEqual(self.hint(self.ben, "x@only-b.example")["method"], "tls")
        self.assertEqual(self.hint(self.dana, "x@only-b.example")["method"], "pickup")

        added = self.events("tls_partner_added")
        owners = sorted(json.loads(e["details"])["owner_domain"] for e in added)
        self.assertEqual(owners, ["*", "a.example", "b.example"])
        self.assertHealthy()


if __name__ == "__main__":
    import unittest
    unittest.main()
