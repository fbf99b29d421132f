"""Enforced-TLS partners and key revocation through the API, as an administrator and a member use
them: the partner table (a config-file partner shown read-only beside the administrators'), pins
computed by `openssl` from a real key, every bad input answered with a problem naming the field and
nothing stored, the TLS-only policy, 403 for members, the audit trail; revoking a contact's key
and an organisation-wide key with a reason."""

import base64
import os
import shutil
import subprocess
import tempfile

from harness import PASSWORD, Member, ServerTestCase, audit_events

CONFIG_PARTNER = """
[[delivery.tls_partner]]
domain = "config-partner.example"
tls = "verify"
"""

PARTNERS = "/api/v1/admin/tls-partners"
POLICY = "/api/v1/admin/tls-policy"


def run(args, cwd):
    r = subprocess.run(args, cwd=cwd, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"{args[0]} failed: {r.stderr.decode(errors='replace')}")
    return r


class TlsPartnersTest(ServerTestCase):
    server_options = {"extra_config": CONFIG_PARTNER}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-tls-partners-")
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin", {"token": cls.server.bootstrap_token,
                                                     "email": "admin@example.org",
                                                     "password": PASSWORD})
        assert r.status in (200, 201), (r.status, r.body)
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.admin.login()
        cls.alice = Member(cls.server, "alice@example.org")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    def openssl(self, *args):
        return run(["openssl", *args], self.dir)

    def spki_pin(self, name):
        """SHA-256 of a fresh key's DER SubjectPublicKeyInfo, computed by openssl (hex, base64)."""
        self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                     f"{name}.key")
        self.openssl("pkey", "-in", f"{name}.key", "-pubout", "-outform", "DER", "-out",
                     f"{name}.spki")
        digest = self.openssl("dgst", "-sha256", "-binary", f"{name}.spki").stdout
        self.assertEqual(len(digest), 32)
        return digest.hex(), base64.b64encode(digest).decode()

    def events(self, type_):
        db = self.server.db()
        try:
            return [e for e in audit_events(db) if e["type"] == type_]
        finally:
            db.close()

    def stored_partners(self):
        db = self.server.db()
        try:
            return sorted(row[0] for row in db.execute("SELECT domain FROM tls_partners"))
        finally:
            db.close()

    def put(self, domain, body, who=None):
        return (who or self.admin).client.request("PUT", f"{PARTNERS}/{domain}", body)

    def test_1_partners_crud_with_a_real_pin(self):
        c = self.admin.client
        r = c.request("GET", PARTNERS)
        self.assertEqual(r.status, 200, r.body)
        items = r.json()["items"]
        self.assertEqual([(i["domain"], i["source"]) for i in items],
                         [("config-partner.example", "config")])
        self.assertIsNone(items[0]["added_by"])

        hex_pin, b64_pin = self.spki_pin("bank")
        r = self.put("Bank.Example", {"mode": "pin", "pins": ["sha256/" + b64_pin],
                                      "override": "mx.bank.example:2525"})
        self.assertEqual(r.status, 201, r.body)
        bank = r.json()
        self.assertEqual(bank["domain"], "bank.example")
        self.assertEqual(bank["mode"], "pin")
        self.assertEqual(bank["pins"], [hex_pin])  # the base64 pin, read back as hex
        self.assertEqual(bank["override"], "mx.bank.example:2525")
        self.assertEqual(bank["source"], "admin")
        self.assertIsNotNone(bank["added_at"])

        # Replacing: 200, the hex spelling, no override; who added it is kept.
        r = self.put("bank.example", {"mode": "pin", "pins": [hex_pin.upper()]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["pins"], [hex_pin])
        self.assertIsNone(r.json()["override"])
        self.assertEqual(r.json()["added_by"], bank["added_by"])

        r = self.put("verify.example", {})  # mode defaults to verify
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["mode"], "verify")
        r = c.request("GET", f"{PARTNERS}/verify.example")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["pins"], [])

        r = c.request("GET", PARTNERS)
        self.assertEqual([i["domain"] for i in r.json()["items"]],
                         ["config-partner.example", "bank.example", "verify.example"])

        # The config file's entry cannot be changed or removed here.
        r = self.put("config-partner.example", {"mode": "verify"})
        self.assertEqual(r.status, 409, r.body)
        self.assertIn("config file", r.json()["detail"])
        r = c.request("DELETE", f"{PARTNERS}/config-partner.example")
        self.assertEqual(r.status, 409, r.body)

        r = c.request("DELETE", f"{PARTNERS}/verify.example")
        self.assertEqual(r.status, 204, r.body)
        r = c.request("DELETE", f"{PARTNERS}/verify.example")
        self.assertEqual(r.status, 404, r.body)
        r = c.request("GET", f"{PARTNERS}/verify.example")
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(self.stored_partners(), ["bank.example"])

        # Every change is in the audit log, with the pin that was set.
        added = self.events("tls_partner_added")
        self.assertEqual(sorted(e["subject"] for e in added), ["bank.example", "verify.example"])
        self.assertIn(hex_pin, [e for e in added if e["subject"] == "bank.example"][0]["details"])
        self.assertEqual(len(self.events("tls_partner_changed")), 1)
        self.assertEqual([e["subject"] for e in self.events("tls_partner_deleted")],
                         ["verify.example"])

    def test_2_bad_input_names_the_field_and_stores_nothing(self):
        hex_pin, _ = self.spki_pin("bad")
        before = self.stored_partners()
        cases = [
            ("bad domain", "bad_domain!.example", {"mode": "verify"}, "domain"),
            ("label too long", "a" * 64 + ".example", {}, "domain"),
            ("unknown mode", "p.example", {"mode": "strict"}, "mode"),
            ("pin mode without pins", "p.example", {"mode": "pin"}, "pins"),
            ("pin mode, empty pins", "p.example", {"mode": "pin", "pins": []}, "pins"),
            ("verify with pins", "p.example", {"mode": "verify", "pins": [hex_pin]}, "pins"),
            ("bad pin text", "p.example", {"mode": "pin", "pins": ["not-a-pin"]}, "pins[0]"),
            ("short hex pin", "p.example", {"mode": "pin", "pins": [hex_pin[:-2]]}, "pins[0]"),
            ("second pin bad", "p.example", {"mode": "pin", "pins": [hex_pin, "zz" * 32]},
             "pins[1]"),
            ("too many pins", "p.example",
             {"mode": "pin", "pins": [hex_pin[:-4] + f"{i:04x}" for i in range(17)]}, "pins"),
            ("bad port", "p.example", {"override": "mx.p.example:70000"}, "override"),
            ("port zero", "p.example", {"override": "mx.p.example:0"}, "override"),
            ("bad host", "p.example", {"override": "mx p.example:25"}, "override"),
            ("unclosed bracket", "p.example", {"override": "[::1:25"}, "override"),
        ]
        for name, domain, body, field in cases:
            with self.subTest(name):
                r = self.put(domain, body)
                self.assertEqual(r.status, 400, (name, r.body))
                self.assertEqual(r.problem_type(), "invalid-argument")
                self.assertTrue(r.json()["detail"].startswith(field + ":"),
                                (name, r.json()["detail"]))
        # Not JSON the route takes: an unknown field, a wrong type.
        r = self.put("p.example", {"mode": "verify", "tls": "pin"})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("tls", r.json()["detail"])
        r = self.put("p.example", {"pins": "abc"})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("pins", r.json()["detail"])
        self.assertEqual(self.stored_partners(), before)
        self.assertHealthy()

    def test_3_tls_only_policy(self):
        c = self.admin.client
        r = c.request("GET", POLICY)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), {"forbid_tls_only": False, "forbidden_domains": []})
        r = c.request("PUT", POLICY, {"forbid_tls_only": False,
                                      "forbidden_domains": ["B.example", "a.example."]})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["forbidden_domains"], ["a.example", "b.example"])
        r = c.request("PUT", POLICY, {"forbid_tls_only": True,
                                      "forbidden_domains": ["ok.example", "bad domain"]})
        self.assertEqual(r.status, 400, r.body)
        self.assertTrue(r.json()["detail"].startswith("forbidden_domains[1]:"), r.body)
        r = c.request("PUT", POLICY, {"forbidden_domains": []})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("forbid_tls_only", r.json()["detail"])
        r = c.request("GET", POLICY)  # unchanged by the refusals
        self.assertEqual(r.json(), {"forbid_tls_only": False,
                                    "forbidden_domains": ["a.example", "b.example"]})
        r = c.request("PUT", POLICY, {"forbid_tls_only": True})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), {"forbid_tls_only": True, "forbidden_domains": []})
        self.assertEqual(len(self.events("tls_only_policy_set")), 2)

    def test_4_members_get_403(self):
        a = self.alice.client
        for method, path, body in [("GET", PARTNERS, None),
                                   ("GET", f"{PARTNERS}/config-partner.example", None),
                                   ("PUT", f"{PARTNERS}/evil.example", {"mode": "verify"}),
                                   ("DELETE", f"{PARTNERS}/bank.example", None),
                                   ("GET", POLICY, None),
                                   ("PUT", POLICY, {"forbid_tls_only": False})]:
            with self.subTest(f"{method} {path}"):
                r = a.request(method, path, body)
                self.assertEqual(r.status, 403, r.body)
                self.assertEqual(r.problem_type(), "forbidden")
        self.assertNotIn("evil.example", self.stored_partners())
        # Without a session: 401.
        r = self.server.client().request("GET", PARTNERS)
        self.assertEqual(r.status, 401, r.body)

    def leaf(self, name, email):
        """A CA-issued P-256 S/MIME certificate for `email` (PEM bytes); the CA is made once."""
        if not os.path.exists(os.path.join(self.dir, "ca.pem")):
            self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                         "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj",
                         "/CN=Revocation Test CA", "-days", "3650", "-addext",
                         "basicConstraints=critical,CA:TRUE", "-addext",
                         "keyUsage=critical,keyCertSign,cRLSign")
        self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-out", f"{name}.key")
        with open(os.path.join(self.dir, f"{name}.ext"), "w") as f:
            f.write("[ext]\nbasicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyAgreement\n"
                    f"extendedKeyUsage=emailProtection\nsubjectAltName=email:{email}\n")
        self.openssl("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out",
                     f"{name}.csr")
        self.openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                     "-CAcreateserial", "-days", "365", "-sha256", "-extfile", f"{name}.ext",
                     "-extensions", "ext", "-out", f"{name}.pem")
        with open(os.path.join(self.dir, f"{name}.pem"), "rb") as f:
            return f.read()

    def test_5_revoking_keys(self):
        pem = self.leaf("carol", "carol@partner.example")
        r = self.alice.client.request("POST", "/api/v1/contacts/keys", raw=pem,
                                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 201, r.body)
        key = r.json()
        self.assertIsNone(key["revoked_at"])
        path = f"/api/v1/contacts/keys/{key['id']}/revoke"
        # A reason is required.
        r = self.alice.client.request("POST", path, {"reason": ""})
        self.assertEqual(r.status, 400, r.body)
        self.assertTrue(r.json()["detail"].startswith("reason:"), r.body)
        r = self.alice.client.request("POST", path, {})
        self.assertEqual(r.status, 400, r.body)
        # Not another member's, not the administrator's through the member route.
        bob = Member(self.server, "bob@example.org")
        r = bob.client.request("POST", path, {"reason": "mine now"})
        self.assertEqual(r.status, 404, r.body)
        r = self.alice.client.request("POST", path, {"reason": "Carol lost her laptop"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["status"], "refused")
        self.assertEqual(r.json()["problem"], "revoked")
        self.assertEqual(r.json()["revoked_reason"], "Carol lost her laptop")
        self.assertIsNotNone(r.json()["revoked_at"])
        listed = self.alice.client.request("GET", "/api/v1/contacts/keys").json()["items"]
        self.assertEqual([(k["id"], k["revoked_reason"]) for k in listed],
                         [(key["id"], "Carol lost her laptop")])
        r = self.alice.client.request("POST", path, {"reason": "again"})
        self.assertEqual(r.status, 409, r.body)
        revoked = self.events("contact_key_revoked")
        self.assertEqual(len(revoked), 1)
        self.assertIn("Carol lost her laptop", revoked[0]["details"])

        # Organisation-wide keys: administrators only.
        pem = self.leaf("dave", "dave@partner.example")
        r = self.admin.client.request("POST", "/api/v1/admin/keys", raw=pem,
                                      headers={"Content-Type": "application/x-pem-file"})
        self.assertEqual(r.status, 201, r.body)
        org = r.json()
        path = f"/api/v1/admin/keys/{org['id']}/revoke"
        r = self.alice.client.request("POST", path, {"reason": "no"})
        self.assertEqual(r.status, 403, r.body)
        r = self.admin.client.request("POST", path, {"reason": "partner rolled its keys"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["revoked_reason"], "partner rolled its keys")
        self.assertEqual(len(self.events("organisation_key_revoked")), 1)
        db = self.server.db()
        try:
            rows = list(db.execute("SELECT revoked_reason FROM contact_keys "
                                   "WHERE revoked_ms IS NOT NULL ORDER BY revoked_reason"))
        finally:
            db.close()
        self.assertEqual([row[0] for row in rows],
                         ["Carol lost her laptop", "partner rolled its keys"])


if __name__ == "__main__":
    import unittest
    unittest.main()
