"""An external RFC 3161 time-stamping authority by URL (`[receipts] tsa_url`): a SECOND
`sealpost serve` instance stands for it, its POST /tsa answering over HTTPS. The client is
Sealpost's own (`sealpost admin time-stamp`, the stamper receipts use when tsa_url is set); the
token it accepts is checked independently with `openssl ts -verify` against the second instance's
root. A wrong CA file, a garbage answer, an answer to another nonce or imprint, an unreachable URL
and a slow server each end with a clear error and no token."""

import http.server
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import BINARY, Server, ServerTestCase

DATA = b"the signature value a receipt time-stamps\n"


class FakeTsa(http.server.ThreadingHTTPServer):
    """An HTTPS server on loopback that answers time-stamp queries wrongly, by path."""

    daemon_threads = True

    def __init__(self, certificate, private_key, answers):
        self.answers = answers  # path -> (delay seconds, body bytes)
        self.content_types = []
        super().__init__(("127.0.0.1", 0), FakeTsaHandler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certificate, private_key)
        self.socket = ctx.wrap_socket(self.socket, server_side=True)


class FakeTsaHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.content_types.append(self.headers.get("Content-Type"))
        delay, body = self.server.answers.get(self.path, (0, b""))
        time.sleep(delay)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the client gave up (the slow case)

    def log_message(self, *args):
        pass


class ExternalTsaTest(ServerTestCase):
    """cls.server is the second instance: the external TSA."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="sealpost-ext-tsa-")
        c = cls.server.client()
        r = c.request("GET", "/api/v1/pki/root.pem")
        c.close()
        assert r.status == 200, r.status
        cls.root = cls.path("tsa-root.pem")
        with open(cls.root, "wb") as f:
            f.write(r.body)
        with open(cls.path("data.txt"), "wb") as f:
            f.write(DATA)
        with open(cls.path("other.txt"), "wb") as f:
            f.write(b"another document\n")
        cls.tls_ca = os.path.join(cls.server.data_dir, "tls", "certificate.pem")
        cls.tsa_url = f"https://127.0.0.1:{cls.server.port}/tsa"

        # Real answers of the second instance to queries that are not the client's: one for the
        # same data with another nonce, one for other data.
        cls.other_nonce = cls.tsa_answer("data.txt")
        cls.other_imprint = cls.tsa_answer("other.txt")
        cls.fake = FakeTsa(cls.tls_ca, os.path.join(cls.server.data_dir, "tls", "private-key.pem"),
                           {"/garbage": (0, b"\x30\x03abc"),
                            "/other-nonce": (0, cls.other_nonce),
                            "/other-imprint": (0, cls.other_imprint),
                            "/slow": (3, cls.other_nonce)})
        threading.Thread(target=cls.fake.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.fake.server_close)
        cls.addClassCleanup(cls.fake.shutdown)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    @classmethod
    def tsa_answer(cls, data_name):
        subprocess.run(["openssl", "ts", "-query", "-data", data_name, "-sha256", "-cert",
                        "-out", "q.tsq"], cwd=cls.dir, check=True, capture_output=True)
        with open(cls.path("q.tsq"), "rb") as f:
            query = f.read()
        c = cls.server.client()
        r = c.request("POST", "/tsa", raw=query,
                      headers={"Content-Type": "application/timestamp-query"})
        c.close()
        assert r.status == 200, r.status
        return r.body

    def config(self, url=None, ca_file=None, timeout_ms=1000):
        """A configuration naming the external TSA; returns its path."""
        path = self.path("client.toml")
        with open(path, "w") as f:
            f.write(f'[server]\ndata_dir = "{self.path("client-data")}"\n'
                    f'[receipts]\ntsa_url = "{url or self.tsa_url}"\n'
                    f'tsa_ca_file = "{ca_file or self.root}"\n'
                    f'tsa_tls_ca_file = "{self.tls_ca}"\n'
                    f"tsa_timeout_ms = {timeout_ms}\n")
        return path

    def stamp(self, config):
        token = self.path("token.der")
        if os.path.exists(token):
            os.remove(token)
        r = subprocess.run([BINARY, "admin", "time-stamp", "--config", config,
                            self.path("data.txt"), "--out", token],
                           capture_output=True, text=True, timeout=60)
        return r, token

    def assertRefused(self, config, reason):
        r, token = self.stamp(config)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("REFUSED: ", r.stdout)
        self.assertIn(reason, r.stdout)
        self.assertFalse(os.path.exists(token), "no token is written")
        return r

    def test_token_from_the_second_instance_verifies_with_openssl(self):
        r, token = self.stamp(self.config())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OK: time-stamp token", r.stdout)
        p = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", token, "-data",
                            "data.txt", "-CAfile", self.root],
                           cwd=self.dir, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Verification: OK", p.stdout)
        p = subprocess.run(["openssl", "ts", "-reply", "-token_in", "-in", token, "-text"],
                           cwd=self.dir, capture_output=True, text=True)
        self.assertIn("Nonce: 0x", p.stdout)  # the client asked with a nonce
        self.assertTrue(self.server.healthy())

    def test_the_primary_starts_with_an_external_tsa_configured(self):
        primary = Server(extra_config=f'\n[receipts]\ntsa_url = "{self.tsa_url}"\n'
                                      f'tsa_ca_file = "{self.root}"\n'
                                      f'tsa_tls_ca_file = "{self.tls_ca}"\n')
        try:
            primary.start()
            self.assertTrue(primary.healthy())
        finally:
            primary.cleanup()

    def test_wrong_ca_file_is_refused(self):
        # The TLS certificate is a fine certificate, but not the TSA's root.
        self.assertRefused(self.config(ca_file=self.tls_ca),
                           "does not verify against the configured CA")

    def test_garbage_answer_is_refused(self):
        self.assertRefused(self.config(url=f"https://127.0.0.1:{self.fake.server_port}/garbage"),
                           "not a TimeStampResp")
        self.assertIn("application/timestamp-query", self.fake.content_types)

    def test_answer_to_another_nonce_or_imprint_is_refused(self):
        port = self.fake.server_port
        self.assertRefused(self.config(url=f"https://127.0.0.1:{port}/other-nonce"),
                           "nonce mismatch")
        self.assertRefused(self.config(url=f"https://127.0.0.1:{port}/other-imprint"),
                           "imprint mismatch")

    def test_unreachable_url_is_refused(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        self.assertRefused(self.config(url=f"https://127.0.0.1:{port}/tsa"), "connecting")

    def test_slow_server_hits_the_timeout(self):
        start = time.monotonic()
        self.assertRefused(self.config(url=f"https://127.0.0.1:{self.fake.server_port}/slow",
                                       timeout_ms=500), "timed out")
        self.assertLess(time.monotonic() - start, 2.5, "the client waited for the slow server")


if __name__ == "__main__":
    unittest.main()
