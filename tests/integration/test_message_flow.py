"""Done-when 2 of the foundation issue: two members enrol, set up TOTP, log in; A sends B a
message with a 50 MiB attachment; B lists, reads and downloads it byte-identical with A's seal
valid; A sees it in Sent. Then the at-rest properties on the same data directory."""

import hashlib
import json
import os

from harness import Member, ServerTestCase, PASSWORD, audit_events

MARKER = "ZQXJ-marker-7c1f"
ATTACHMENT_SIZE = 50 * 1024 * 1024


def pattern_chunks(size, chunk=1 << 20):
    block = (MARKER.encode() + bytes(range(256))) * (chunk // (len(MARKER) + 256) + 1)
    sent = 0
    while sent < size:
        n = min(chunk, size - sent)
        yield block[:n]
        sent += n


class MessageFlowTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = Member(cls.server, "alice@example.org", "Alice Example")
        cls.bob = Member(cls.server, "bob@example.org", "Bob Example")
        cls.alice.login()
        cls.bob.login()
        # A's upload streams from a generator: the client never holds the 50 MiB either.
        digest = hashlib.sha256()
        for piece in pattern_chunks(ATTACHMENT_SIZE):
            digest.update(piece)
        cls.attachment_sha256 = digest.hexdigest()
        conn = cls.server.connect()
        a = cls.alice.client
        conn.putrequest("POST", "/api/v1/uploads")
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(ATTACHMENT_SIZE))
        conn.putheader("Cookie", a.cookie_header())
        conn.putheader("X-CSRF-Token", a.csrf)
        conn.endheaders()
        for piece in pattern_chunks(ATTACHMENT_SIZE):
            conn.send(piece)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        assert r.status == 201, (r.status, body)
        cls.upload = json.loads(body)
        r = a.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org"],
            "subject": f"Quarterly statement {MARKER}",
            "text": f"Dear Bob,\nplease find the statement attached. {MARKER}\n",
            "attachments": [{"upload_id": cls.upload["id"], "name": "statement-Q3.pdf",
                             "content_type": "application/pdf"}],
        })
        assert r.status == 201, (r.status, r.body)
        cls.message_id = r.json()["id"]

    def test_upload_reports_size(self):
        self.assertEqual(self.upload["size"], ATTACHMENT_SIZE)

    def test_bob_lists_inbox_with_valid_seal(self):
        r = self.bob.client.request("GET", "/api/v1/mailbox/inbox?limit=10")
        self.assertEqual(r.status, 200, r.body)
        items = r.json()["items"]
        mine = [i for i in items if i["id"] == self.message_id]
        self.assertEqual(len(mine), 1)
        item = mine[0]
        self.assertEqual(item["from"]["email"], "alice@example.org")
        self.assertEqual(item["seal"]["status"], "valid")
        self.assertIn(MARKER, item["subject"])
        self.assertEqual(item["attachment_count"], 1)

    def test_bob_reads_and_downloads_identical_bytes(self):
        c = self.bob.client
        r = c.request("GET", f"/api/v1/messages/{self.message_id}")
        self.assertEqual(r.status, 200, r.body)
        m = r.json()
        self.assertEqual(m["seal"], {"status": "valid", "signer": "alice@example.org", "kind": "member"})
        self.assertIn(MARKER, m["text"])
        self.assertEqual(m["to"], ["bob@example.org"])
        self.assertEqual(m["attachments"][0]["name"], "statement-Q3.pdf")
        self.assertEqual(m["attachments"][0]["size"], ATTACHMENT_SIZE)
        conn = self.server.connect()
        conn.request("GET", f"/api/v1/messages/{self.message_id}/attachments/0",
                     headers={"Cookie": c.cookie_header()})
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Content-Length"), str(ATTACHMENT_SIZE))
        self.assertIn("statement-Q3.pdf", r.getheader("Content-Disposition"))
        digest = hashlib.sha256()
        total = 0
        while True:
            piece = r.read(1 << 20)
            if not piece:
                break
            digest.update(piece)
            total += len(piece)
        conn.close()
        self.assertEqual(total, ATTACHMENT_SIZE)
        self.assertEqual(digest.hexdigest(), self.attachment_sha256)

    def test_alice_sees_it_in_sent(self):
        r = self.alice.client.request("GET", "/api/v1/mailbox/sent")
        self.assertEqual(r.status, 200, r.body)
        ids = [i["id"] for i in r.json()["items"]]
        self.assertIn(self.message_id, ids)
        sent = [i for i in r.json()["items"] if i["id"] == self.message_id][0]
        self.assertEqual(sent["seal"]["status"], "valid")
        # Alice can read her own sent copy too (sealed to her own key).
        r = self.alice.client.request("GET", f"/api/v1/messages/{self.message_id}")
        self.assertEqual(r.status, 200, r.body)

    def test_other_member_cannot_read(self):
        carol = Member(self.server, "carol@example.org")
        carol.login()
        r = carol.client.request("GET", f"/api/v1/messages/{self.message_id}")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.problem_type(), "not-found")

    def test_zero_access_at_rest(self):
        """No file in the data directory (database, WAL, blobs, keys) holds the marker,
        in plain text or in the encodings the server uses (base64 of the attachment bytes)."""
        needles = [MARKER.encode(), MARKER.encode("utf-16-le")]
        found = []
        for root, _, files in os.walk(self.server.data_dir):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    data = f.read()
                for n in needles:
                    if n in data:
                        found.append(path)
        if self.server.store_url:  # PostgreSQL keeps its files outside the data directory
            data = self.server.raw_database_bytes()
            found += ["postgresql files" for n in needles if n in data]
        self.assertEqual(found, [])
        # The database's own view agrees: no column of any table holds it.
        db = self.server.db()
        for table in self.server.table_names():
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, (bytes, str)):
                        raw = value if isinstance(value, bytes) else value.encode()
                        self.assertNotIn(MARKER.encode(), raw, table)
        db.close()

    def test_session_secret_is_not_stored(self):
        cookie = next(iter(self.bob.client.cookies.values()))
        data = self.server.raw_database_bytes()
        self.assertGreater(len(data), 0)
        self.assertNotIn(cookie.encode(), data)

    def test_audit_log_verifies_and_records_events(self):
        r = self.server.run_cli("verify", "audit", "--data-dir", self.server.data_dir,
                                *self.server.store_args())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK:", r.stdout)
        db = self.server.db()
        types = {e["type"] for e in audit_events(db)}
        db.close()
        for t in ("account.signup", "account.verified", "key.create", "auth.login",
                  "auth.totp_enabled", "upload.create", "message.send"):
            self.assertIn(t, types)


if __name__ == "__main__":
    import unittest
    unittest.main()
