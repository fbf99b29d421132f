"""Issue 11, item 10: a copy of the data directory (database, blobs, master key) taken after a
guest was notified, together with the link from the notification, opens nothing: the script
below derives the link's keys as the server does (libsodium through ctypes) and finds that the
pickup's data key no longer unwraps under the link's key alone — it also needs the share sealed
to the address key, which only the MUC unwraps (docs/formats/guest-pickup.md). The real server,
given link and MUC, still opens the message, also when it runs on the copy."""

import ctypes
import ctypes.util
import os
import re
import shutil
import unittest

from harness import Member, Server

GUEST = "dana@example.net"
MUC = "DANA-unlock-2718"
SUBJECT = "COPY-SUBJECT-2718"
BODY = "COPY-BODY-2718"
ATTACHMENT = b"COPY-ATTACHMENT-2718"


def libsodium():
    lib = ctypes.CDLL(ctypes.util.find_library("sodium") or "libsodium.so.23")
    assert lib.sodium_init() >= 0
    return lib


def kdf(lib, key, subkey_id):
    """crypto_kdf_derive_from_key(32, id, "spbearer", key): auth/bearer_secret.cpp."""
    out = ctypes.create_string_buffer(32)
    assert lib.crypto_kdf_derive_from_key(out, ctypes.c_size_t(32), ctypes.c_uint64(subkey_id),
                                          b"spbearer", key) == 0
    return out.raw


def aead_open(lib, key, framed, ad):
    """Opens a version-2 AEAD frame (docs/formats/aead.md); None when it does not open."""
    if len(framed) < 45 or framed[0] != 2:
        return None
    header, nonce, sealed = framed[:5], framed[5:29], framed[29:]
    out = ctypes.create_string_buffer(len(sealed))
    out_len = ctypes.c_ulonglong(0)
    full_ad = header + ad
    rc = lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, ctypes.byref(out_len), None, sealed, ctypes.c_ulonglong(len(sealed)), full_ad,
        ctypes.c_ulonglong(len(full_ad)), nonce, key)
    return out.raw[:out_len.value] if rc == 0 else None


def b64url(text):
    import base64
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class GuestStoreCopyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(store="sqlite").start()
        cls.copy = None
        cls.on_copy = None

    @classmethod
    def tearDownClass(cls):
        if cls.on_copy:
            cls.on_copy.cleanup()
        cls.server.cleanup()
        if cls.copy:
            shutil.rmtree(os.path.dirname(cls.copy), ignore_errors=True)

    def test_copy_of_data_dir_and_master_key_plus_link_opens_nothing(self):
        s = self.server
        alice = Member(s, "alice@example.org")
        a = alice.client
        r = a.request("POST", "/api/v1/uploads", raw=ATTACHMENT,
                      headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r.body)
        r = a.request("POST", "/api/v1/messages", {
            "to": [GUEST], "subject": SUBJECT, "text": BODY, "mucs": {GUEST: MUC},
            "attachments": [{"upload_id": r.json()["id"], "name": "a.txt"}]})
        self.assertEqual(r.status, 201, r.body)
        message_id = r.json()["id"]
        # Notified: the link is in the guest's mailbox (the .eml outbox beside the data dir).
        text = s.mail_to(GUEST)
        link = re.search(r"/pickup#([A-Za-z0-9_-]{43})", text).group(1)

        # The thief copies the data directory, master key included, then the server stops.
        GuestStoreCopyTest.copy = os.path.join(s.tmp + "-copy", "data")
        shutil.copytree(s.data_dir, self.copy)
        self.assertTrue(os.path.isfile(os.path.join(self.copy, "master.key")))
        s.stop()

        import sqlite3
        db = sqlite3.connect(os.path.join(self.copy, "sealpost.db"))
        lib = libsodium()
        secret = b64url(link)
        lookup = kdf(lib, secret, 1).hex()
        row = db.execute("SELECT message_id, email, wrapped_key FROM pickups WHERE lookup = ?",
                         (lookup,)).fetchone()
        self.assertIsNotNone(row, "the link names its pickup row")
        mid, email, wrapped_key = row
        self.assertEqual((mid, email), (message_id, GUEST))
        # What opened the message before: the data key under the link's wrapping key alone.
        ad = f"sealpost/pickup-key/v1|{mid}|{email}".encode()
        self.assertIsNone(aead_open(lib, kdf(lib, secret, 2), bytes(wrapped_key), ad),
                          "the link's key alone unwraps the data key")
        (sealed_share,) = db.execute("SELECT sealed_share FROM pickups WHERE lookup = ?",
                                     (lookup,)).fetchone()
        self.assertEqual(len(sealed_share), 32 + 48)  # the share, sealed to the address key
        # Nothing to test MUC guesses against but the wrapped address key (argon2id per guess).
        muc_hash, wrapped_secret, ops, mem = db.execute(
            "SELECT muc_hash, wrapped_secret, kek_ops, kek_mem FROM guest_addresses "
            "WHERE email = ?", (GUEST,)).fetchone()
        self.assertEqual(muc_hash, "")
        self.assertEqual(len(wrapped_secret), 32 + 45)
        self.assertGreaterEqual((ops, mem), (2, 19 << 20))
        # No plaintext anywhere in the copy, nor the MUC or the link.
        data = b""
        for root, _, files in os.walk(self.copy):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data += f.read()
        for marker in (SUBJECT.encode(), BODY.encode(), ATTACHMENT, MUC.encode(),
                       link.encode()):
            self.assertNotIn(marker, data)
        db.close()

        # The real server with link and MUC opens it — on the copy as well: what the thief
        # lacks is exactly the MUC.
        GuestStoreCopyTest.on_copy = Server(data_dir=self.copy).start()
        guest = self.on_copy.client()
        r = guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": "wrong-guess"})
        self.assertEqual((r.status, r.problem_type()), (403, "muc-wrong"))
        r = guest.request("POST", "/api/v1/pickup/unlock", {"link": link, "muc": MUC})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual((r.json()["subject"], r.json()["text"]), (SUBJECT, BODY))
        r = guest.request("GET", "/api/v1/pickup/attachments/0",
                          headers={"X-Pickup-Token": r.json()["pickup_token"]})
        self.assertEqual((r.status, r.body), (200, ATTACHMENT))


if __name__ == "__main__":
    unittest.main()
