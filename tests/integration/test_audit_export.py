"""The audit export (docs/formats/audit-export.md): an administrator downloads the events of a
member, a time range or everything as JSON Lines, CSV, PDF or a ZIP bundle; `sealpost verify
export` checks each offline against the log's verifier key and refuses any alteration (a removed
line, a changed field, a flipped byte in a proof); a member who may not export gets 403; the
operator's `sealpost admin export-audit` writes the same from the store."""

import io
import json
import os
import unittest
import urllib.parse
import zipfile

from harness import Member, PASSWORD, ServerTestCase


class AuditExportTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = cls.server.client()
        r = c.request("POST", "/api/v1/setup/admin", {"token": cls.server.bootstrap_token,
                                                      "email": "admin@example.org",
                                                      "password": PASSWORD})
        assert r.status == 201, r.body
        cls.admin = Member(cls.server, "admin@example.org", already_active=True)
        cls.admin.login()
        cls.alice = Member(cls.server, "alice@example.org")
        with open(os.path.join(cls.server.data_dir, "log-verifier-key.txt")) as f:
            cls.vkey = f.read().strip()

    def export(self, **query):
        r = self.admin.client.request(
            "GET", "/api/v1/admin/audit/export?" + urllib.parse.urlencode(query))
        self.assertEqual(r.status, 200, r.body)
        return r

    def verify(self, content, name="export.jsonl"):
        path = os.path.join(self.server.tmp, name)
        with open(path, "wb") as f:
            f.write(content)
        return self.server.run_cli("verify", "export", path, "--key", self.vkey)

    def test_bundle_verifies_and_holds_every_part(self):
        r = self.export(format="bundle")
        self.assertEqual(r.headers["content-type"], "application/zip")
        self.assertIn("attachment", r.headers["content-disposition"])
        names = zipfile.ZipFile(io.BytesIO(r.body)).namelist()
        for name in ("README.txt", "export.jsonl", "export.csv", "report.pdf", "log-key.txt"):
            self.assertIn(name, names)
        self.assertEqual(zipfile.ZipFile(io.BytesIO(r.body)).read("log-key.txt").decode().strip(),
                         self.vkey)
        out = self.verify(r.body, "bundle.zip")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("OK: log entries 0 to", out.stdout)
        self.assertIn("export.csv matches", out.stdout)

    def test_member_export_verifies_and_alterations_fail(self):
        r = self.export(format="jsonl", member="alice@example.org")
        lines = r.body.decode().splitlines()
        header = json.loads(lines[0])
        full = [json.loads(l) for l in lines[1:] if "leaf" in json.loads(l)]
        self.assertEqual(header["matching"], len(full))
        self.assertGreater(len(full), 0)
        self.assertGreater(len(lines) - 1, len(full), "the others are listed by hash")
        out = self.verify(r.body)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

        def altered(new_lines, why):
            out = self.verify(("\n".join(new_lines) + "\n").encode())
            self.assertEqual(out.returncode, 1, f"{why}: {out.stdout}{out.stderr}")
            self.assertIn("ALTERED", out.stdout, why)

        altered(lines[:2] + lines[3:], "a removed line")
        altered(lines[:-1], "the last line removed")
        i = next(n for n, l in enumerate(lines) if n > 0 and "\"leaf\"" in l)
        entry = json.loads(lines[i])
        entry["type"] = "user.nothing_happened"
        altered(lines[:i] + [json.dumps(entry)] + lines[i + 1:], "a changed field")
        entry = json.loads(lines[i])
        proof = entry["inclusion_proof"]
        if proof:
            p = proof[0]
            proof[0] = ("B" if p[0] == "A" else "A") + p[1:]
            altered(lines[:i] + [json.dumps(entry)] + lines[i + 1:], "a flipped proof byte")
        j = next(n for n, l in enumerate(lines) if n > 0 and "leaf_hash" in l)
        entry = json.loads(lines[j])
        h = entry["leaf_hash"]
        entry["leaf_hash"] = ("B" if h[0] == "A" else "A") + h[1:]
        altered(lines[:j] + [json.dumps(entry)] + lines[j + 1:], "a changed leaf hash")

        # The wrong key: refused as well.
        out = self.server.run_cli("verify", "export", os.path.join(self.server.tmp, "export.jsonl"),
                                  "--key", self.vkey[:-4] + "AAA=")
        self.assertNotEqual(out.returncode, 0)

    def test_csv_pdf_and_time_range(self):
        r = self.export(format="csv", to="2100-01-01T00:00:00Z", **{"from": "2000-01-01T00:00:00Z"})
        self.assertTrue(r.headers["content-type"].startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"index,time,kind,type,actor,subject,details,leaf_hash\r\n"))
        r = self.export(format="pdf")
        self.assertTrue(r.body.startswith(b"%PDF-"))
        # Nothing in a range long past: an empty export that still verifies.
        r = self.export(format="jsonl", to="1000")
        self.assertEqual(len(r.body.decode().splitlines()), 1)
        out = self.verify(r.body, "empty.jsonl")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_bad_input_and_forbidden(self):
        for query in ({"from": "yesterday"}, {"format": "xlsx"},
                      {"from": "2030-01-01T00:00:00Z", "to": "2020-01-01T00:00:00Z"},
                      {"member": "nobody@example.org"}):
            r = self.admin.client.request(
                "GET", "/api/v1/admin/audit/export?" + urllib.parse.urlencode(query))
            self.assertEqual(r.status, 400, (query, r.body))
        r = self.alice.client.request("GET", "/api/v1/admin/audit/export?format=jsonl")
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.problem_type(), "forbidden")

    def test_zz_operator_cli_export(self):
        # Each export was audited (the one before this is in the log now).
        r = self.export(format="jsonl")
        self.assertIn("audit.export", r.body.decode())
        self.server.stop()
        path = os.path.join(self.server.tmp, "cli.jsonl")
        out = self.server.run_cli("admin", "export-audit", "-d", self.server.data_dir,
                                  *self.server.store_args(), "--format", "jsonl", "-o", path)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        out = self.server.run_cli("verify", "export", path, "--key", self.vkey)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
