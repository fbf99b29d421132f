"""A disk that fills during an upload. The server runs with a file-size limit (RLIMIT_FSIZE; a
loop-mounted or tmpfs filesystem of its own would need privileges), so the attachment's blob file
cannot grow past it while the database and logs, far smaller, can. The upload gets a clear
problem+json answer, not a hang or a crash; nothing of it is kept; and the server goes on
serving: /healthz, a small upload, a message with it. SQLite only: on PostgreSQL the blobs are
rows in another process's files."""

import http.client
import io
import json
import os
import select
import socket
import ssl
import unittest

from harness import STORE, Member, ServerTestCase

LIMIT = 8 << 20  # bytes any file of the server may hold
TOO_LARGE = 12 << 20  # an upload whose blob cannot fit (the upload limit is 100 MiB)


def count(server, table):
    db = server.db()
    (n,) = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
    db.close()
    return n


@unittest.skipIf(STORE != "sqlite", "the file-size limit reaches only the server's own files")
class StorageFullTest(ServerTestCase):
    server_options = {"file_size_limit": LIMIT}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = Member(cls.server, "alice@example.org")
        Member(cls.server, "bob@example.org")
        cls.alice.login()

    def tearDown(self):
        self.assertIsNone(self.server.proc.poll(), "the server exited")
        self.assertHealthy()

    def upload_on_own_connection(self, size):
        """POSTs `size` random bytes to /api/v1/uploads on a new connection and returns the
        answer. The server may answer before it has read the whole body (and then stops reading):
        the body goes in pieces, and sending stops once the answer starts to arrive or the server
        no longer takes bytes."""
        c = self.alice.client
        raw = socket.create_connection(("127.0.0.1", self.server.port), timeout=60)
        tls = self.server.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        tls.sendall(("POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/octet-stream\r\n"
                     f"Content-Length: {size}\r\nCookie: {c.cookie_header()}\r\n"
                     f"X-CSRF-Token: {c.csrf}\r\n\r\n").encode())
        piece = os.urandom(1 << 16)
        received = b""
        sent = 0
        while sent < size and not received:
            if select.select([tls], [], [], 0)[0]:
                # Readable: TLS session tickets, or the answer.
                tls.settimeout(0)
                try:
                    received = tls.recv(1 << 16)
                except ssl.SSLWantReadError:
                    pass
                tls.settimeout(60)
                if received:
                    break
            try:
                tls.sendall(piece[:min(len(piece), size - sent)])
            except OSError:  # reset or timed out: the server stopped reading
                break
            sent += len(piece)
        while True:  # the rest of the answer, up to the server's close
            try:
                more = tls.recv(1 << 16)
            except OSError:
                break
            if not more:
                break
            received += more
        tls.close()

        class Received:
            def makefile(self, mode):
                return io.BytesIO(received)

        response = http.client.HTTPResponse(Received())
        response.begin()
        return response, response.read()

    def test_upload_past_a_full_disk_fails_cleanly_and_the_server_goes_on(self):
        uploads_before = count(self.server, "uploads")
        blobs_before = self.server.stored_blobs()

        response, body = self.upload_on_own_connection(TOO_LARGE)
        self.assertTrue(response.getheader("Content-Type", "").startswith(
            "application/problem+json"), (response.status, body[:200]))
        problem = json.loads(body)
        # The blob write fails with EFBIG (a full disk is ENOSPC): 507 "storage-full" with a
        # generic text; the OS's message, which names the file, only in the log.
        self.assertEqual((response.status, problem["type"].rsplit("/", 1)[-1]),
                         (507, "storage-full"), problem)
        self.assertNotIn(self.server.data_dir.encode(), body)
        self.assertIn("File too large", self.server.read_log())

        # Nothing of it is kept: no upload record, no blob, no temporary file.
        self.assertEqual(count(self.server, "uploads"), uploads_before)
        self.assertEqual(self.server.stored_blobs(), blobs_before)
        self.assertEqual(os.listdir(os.path.join(self.server.data_dir, "blobs", "tmp")), [])

        # The server goes on: a small upload succeeds and can be sent.
        self.assertTrue(self.server.healthy())
        c = self.alice.client
        r = c.request("POST", "/api/v1/uploads", raw=b"a small attachment",
                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        upload_id = r.json()["id"]
        r = c.request("POST", "/api/v1/messages",
                      {"to": ["bob@example.org"], "subject": "after the full disk", "text": "t",
                       "attachments": [{"upload_id": upload_id, "name": "small.txt"}]})
        self.assertEqual(r.status, 201, r.body)

    def test_repeated_failures_leave_nothing(self):
        uploads_before = count(self.server, "uploads")
        blobs_before = self.server.stored_blobs()
        for _ in range(3):
            response, _ = self.upload_on_own_connection(TOO_LARGE)
            self.assertEqual(response.status, 507)
        self.assertEqual(count(self.server, "uploads"), uploads_before)
        self.assertEqual(self.server.stored_blobs(), blobs_before)


if __name__ == "__main__":
    unittest.main()
