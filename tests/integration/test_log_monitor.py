"""The transparency log served as C2SP tlog-tiles (/log/v1/) and its monitor, `sealpost verify
log`: checkpoint, tiles and entry bundles as the spec defines them (checked here against the
database with an independent RFC 9162 implementation); the monitor accepts a growing log and
catches a bad signature, a history rewritten and re-signed with the real log key (the attack
`sealpost verify audit` alone cannot see), and a log rolled back to a smaller size. SQLite only:
the attacks edit a copy of the data directory."""

import base64
import hashlib
import os
import shutil
import unittest

from harness import Member, Server, encode_leaf, parse_leaf


def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + bytes(leaf)).digest()


def tree_root(hashes):
    """RFC 9162 section 2.1.1 MTH over leaf hashes, written from the RFC."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return hashlib.sha256(b"\x01" + tree_root(hashes[:k]) + tree_root(hashes[k:])).digest()


def parse_bundle(data):
    """c2sp.org/tlog-tiles entry bundle: big-endian uint16 length-prefixed entries."""
    out, pos = [], 0
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 2], "big")
        out.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
        if pos > len(data):
            raise ValueError("truncated bundle")
    return out


class LogMonitorTest(unittest.TestCase):
    def setUp(self):
        self.servers = []
        self.server = self.start(Server())
        self.state = os.path.join(self.server.tmp, "monitor-state")
        with open(os.path.join(self.server.data_dir, "log-verifier-key.txt")) as f:
            self.vkey = f.read().strip()

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def start(self, server):
        self.servers.append(server)
        return server.start()

    def get(self, server, path):
        c = server.connect()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, r.headers, body

    def verify_log(self, server, *extra):
        return server.run_cli("verify", "log", "--url", f"https://127.0.0.1:{server.port}/log/v1",
                              "--state", self.state, "--key", self.vkey, "--ca-file",
                              os.path.join(server.data_dir, "tls", "certificate.pem"), *extra)

    def leaves(self, server):
        db = server.db()
        rows = [bytes(leaf) for (leaf,) in db.execute("SELECT leaf FROM log_entries ORDER BY idx")]
        db.close()
        return rows

    def checkpoint(self, server):
        status, headers, body = self.get(server, "/log/v1/checkpoint")
        self.assertEqual(status, 200, body)
        lines = body.decode().split("\n")
        return int(lines[1]), base64.b64decode(lines[2]), body

    def activity(self, member, n):
        """n messages from `member` to itself: each is an audited event."""
        for i in range(n):
            r = member.client.request("POST", "/api/v1/messages",
                                      {"to": [member.address], "subject": f"s{i}", "text": "t"})
            self.assertEqual(r.status, 201, r.body)
        self.server.wait_for_log()

    def test_served_tiles_follow_the_spec(self):
        Member(self.server, "alice@example.org")
        self.server.wait_for_log()
        status, headers, key = self.get(self.server, "/log/v1/key")
        self.assertEqual(status, 200)
        self.assertEqual(key.decode().strip(), self.vkey)
        self.assertTrue(self.vkey.startswith("127.0.0.1/sealpost-log+"), self.vkey)

        status, headers, body = self.get(self.server, "/log/v1/checkpoint")
        self.assertEqual(headers["Content-Type"], "text/plain; charset=utf-8")
        self.assertEqual(headers["Cache-Control"], "no-store")
        size, root, _ = self.checkpoint(self.server)
        leaves = self.leaves(self.server)
        self.assertEqual(len(leaves), size)
        self.assertLess(0, size)
        self.assertLess(size, 256, "the test assumes one partial level-0 tile")
        self.assertEqual(tree_root([leaf_hash(l) for l in leaves]), root)

        status, headers, tile = self.get(self.server, f"/log/v1/tile/0/000.p/{size}")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertEqual(headers["Cache-Control"], "public, max-age=31536000, immutable")
        self.assertEqual(tile, b"".join(leaf_hash(l) for l in leaves))
        status, _, narrower = self.get(self.server, "/log/v1/tile/0/000.p/1")
        self.assertEqual((status, narrower), (200, tile[:32]))

        status, headers, bundle = self.get(self.server, f"/log/v1/tile/entries/000.p/{size}")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Cache-Control"], "public, max-age=31536000, immutable")
        self.assertEqual(parse_bundle(bundle), leaves)
        for leaf in parse_bundle(bundle):
            parse_leaf(leaf)

        for path in (f"/log/v1/tile/0/000.p/{size + 1}", "/log/v1/tile/0/000",
                     "/log/v1/tile/0/001.p/1", "/log/v1/tile/1/000.p/1",
                     f"/log/v1/tile/entries/000.p/{size + 1}", "/log/v1/tile/entries/000",
                     "/log/v1/nothing",
                     "/log/v1/tile/0/x001/x002/x003/x004/x005/x006/x007/x008/000"):
            status, _, body = self.get(self.server, path)
            self.assertEqual(status, 404, (path, body))
        for path in ("/log/v1/tile/0/00", "/log/v1/tile/0/000.p/0", "/log/v1/tile/0/000.p/256",
                     "/log/v1/tile/00/000", "/log/v1/tile/64/000", "/log/v1/tile/0/x000/001",
                     "/log/v1/tile/0/%30%30%30.p/1", "/log/v1/tile/entries/000.p/01",
                     "/log/v1/tile/0/000.p/1/extra"):
            status, _, body = self.get(self.server, path)
            self.assertEqual(status, 400, (path, body))

    def test_monitor_accepts_growth_and_catches_rewrite_and_rollback(self):
        alice = Member(self.server, "alice@example.org")
        alice.login()
        self.server.wait_for_log()
        r = self.verify_log(self.server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("first checkpoint", r.stdout)
        first_size, _, first_note = self.checkpoint(self.server)
        with open(self.state, "rb") as f:
            self.assertEqual(f.read(), first_note)

        self.activity(alice, 3)
        r = self.verify_log(self.server)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"consistent with the saved size {first_size}", r.stdout)
        second_size, _, second_note = self.checkpoint(self.server)
        self.assertGreater(second_size, first_size)
        with open(self.state, "rb") as f:
            self.assertEqual(f.read(), second_note)

        # --key-file reads the line the server wrote; another log's key (the example of
        # docs/formats/checkpoint.md) does not open this log's checkpoint: exit 1, nothing saved.
        r = self.server.run_cli("verify", "log", "--url",
                                f"https://127.0.0.1:{self.server.port}/log/v1", "--state",
                                self.state, "--key-file",
                                os.path.join(self.server.data_dir, "log-verifier-key.txt"),
                                "--ca-file",
                                os.path.join(self.server.data_dir, "tls", "certificate.pem"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        other_state = os.path.join(self.server.tmp, "other-state")
        r = self.server.run_cli(
            "verify", "log", "--url", f"https://127.0.0.1:{self.server.port}/log/v1", "--state",
            other_state, "--key",
            "sealpost.example/audit+fd0b53bf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4",
            "--ca-file", os.path.join(self.server.data_dir, "tls", "certificate.pem"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("bad signature", r.stdout)
        self.assertFalse(os.path.exists(other_state))

        # Without --ca-file the self-signed certificate is not trusted: nothing can be checked.
        r = self.server.run_cli("verify", "log", "--url",
                                f"https://127.0.0.1:{self.server.port}/log/v1", "--state",
                                self.state, "--key", self.vkey)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)

        # A checkpoint whose signature no longer verifies (one signature byte flipped in the row
        # the server publishes) is tampering: exit 1, state kept.
        db = self.server.db()
        (note,) = db.execute("SELECT note FROM log_checkpoints WHERE size = ?",
                             (second_size,)).fetchone()
        flipped = note[:-20] + ("A" if note[-20] != "A" else "B") + note[-19:]
        db.execute("UPDATE log_checkpoints SET note = ? WHERE size = ?", (flipped, second_size))
        db.commit()
        r = self.verify_log(self.server)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("bad signature", r.stdout)
        db.execute("UPDATE log_checkpoints SET note = ? WHERE size = ?", (note, second_size))
        db.commit()
        db.close()
        with open(self.state, "rb") as f:
            self.assertEqual(f.read(), second_note)
        self.server.stop()

        # The operator rewrites history on a copy: one event backdated by an hour (a change the
        # store cannot contradict; a changed sender would be, verify audit finding no Sent entry
        # of theirs), the whole log dropped and the forged events handed to the sequencer, which
        # signs them with the real key at start.
        rewritten = os.path.join(self.server.tmp, "rewritten")
        shutil.copytree(self.server.data_dir, rewritten)
        forged = Server(data_dir=rewritten)
        db = forged.db()
        events = [parse_leaf(leaf) for (leaf,) in
                  db.execute("SELECT leaf FROM log_entries ORDER BY idx")]
        changed = [e for e in events if e["type"] == "message.send"]
        self.assertTrue(changed)
        changed[0]["time_ms"] -= 3_600_000
        for table in ("log_checkpoints", "log_tiles", "log_entries"):
            db.execute(f"DELETE FROM {table}")
        for e in events:
            db.execute("INSERT INTO log_pending(leaf, created_ms) VALUES(?, ?)",
                       (encode_leaf(e), e["time_ms"]))
        db.commit()
        db.close()
        self.start(forged)
        forged.wait_for_log()
        r = forged.run_cli("verify", "audit", "--data-dir", forged.data_dir)
        self.assertEqual(r.returncode, 0, "verify audit alone sees a consistent, signed log\n"
                         + r.stdout + r.stderr)
        r = self.verify_log(forged)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("old root not a prefix", r.stdout)
        with open(self.state, "rb") as f:
            self.assertEqual(f.read(), second_note)
        forged.stop()

        # The operator rolls the log back to the first checkpoint (tail deletion).
        rolled = os.path.join(self.server.tmp, "rolled-back")
        shutil.copytree(self.server.data_dir, rolled)
        truncated = Server(data_dir=rolled)
        db = truncated.db()
        db.execute("DELETE FROM log_entries WHERE idx >= ?", (first_size,))
        db.execute("DELETE FROM log_checkpoints WHERE size > ?", (first_size,))
        db.commit()
        db.close()
        self.start(truncated)
        truncated.wait_for_log()
        size, _, _ = self.checkpoint(truncated)
        self.assertLess(size, second_size)
        r = self.verify_log(truncated)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("size went backwards", r.stdout)


if __name__ == "__main__":
    unittest.main()
