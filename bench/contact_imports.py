#!/usr/bin/env python3
"""Contact-key imports as the key directory grows (issue 12: 666 imports took 62 s in
bench/secure_copies.py). One `sealpost serve` on SQLite, alice enrolled; she imports
BENCH_IMPORTS keys through POST /api/v1/contacts/keys, alternating an S/MIME certificate
(personally verified after import, as secure_copies.py does) and an OpenPGP key, and the time per
import (with its verification) is printed for every block of 100: flat blocks mean the cost does
not grow with the directory.

Every key is the same size whatever the count, so that only the directory's size changes: one
P-256 certificate of an external CA whose subjectAltName lists BENCH_CERT_ADDRESSES addresses
(each import names one of them), and sq-made keys with BENCH_KEY_UIDS user IDs each. Setting the
sizes to secure_copies.py's (333 and 60 at 1,000 recipients, 33 and 33 at 99) shows what the key
sizes alone cost.

Usage: SEALPOST_BINARY=build-bench/src/cmd/sealpost python3 bench/contact_imports.py
Tunables: BENCH_IMPORTS (600), BENCH_CERT_ADDRESSES (100), BENCH_KEY_UIDS (50).
Prints "RESULT block=<k> imports=<n> ms_per_import=<x>" lines and a last
"RESULT first_ms=… last_ms=… growth=…" (last block ÷ first block).
"""

import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Member, Server  # noqa: E402

IMPORTS = int(os.environ.get("BENCH_IMPORTS", "600"))
CERT_ADDRESSES = int(os.environ.get("BENCH_CERT_ADDRESSES", "100"))
KEY_UIDS = int(os.environ.get("BENCH_KEY_UIDS", "50"))
BLOCK = 100


def run(args, cwd):
    r = subprocess.run(args, cwd=cwd, capture_output=True, timeout=600,
                       env={**os.environ, "HOME": cwd})
    if r.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed: {r.stderr.decode(errors='replace')}")
    return r


def make_certificate(work, prefix, count):
    """One certificate for `count` addresses PREFIXi@sink.test, of a CA made here once."""
    if not os.path.exists(os.path.join(work, "ca.pem")):
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Bench CA", "-days",
             "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
             "keyUsage=critical,keyCertSign,cRLSign"], work)
    addresses = [f"{prefix}{i:05d}@sink.test" for i in range(count)]
    with open(os.path.join(work, f"{prefix}.ext"), "w") as f:
        f.write("[ext]\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyAgreement\n"
                "extendedKeyUsage=emailProtection\nsubjectAltName=@san\n[san]\n")
        for i, a in enumerate(addresses):
            f.write(f"email.{i}={a}\n")
    run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", f"{prefix}.key", "-subj", "/CN=bench", "-out", f"{prefix}.csr"],
        work)
    run(["openssl", "x509", "-req", "-in", f"{prefix}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "30", "-sha256", "-extfile", f"{prefix}.ext",
         "-extensions", "ext", "-out", f"{prefix}.pem"], work)
    with open(os.path.join(work, f"{prefix}.pem"), "rb") as f:
        return f.read(), addresses


def make_openpgp_key(work, prefix, count):
    addresses = [f"{prefix}{i:05d}@sink.test" for i in range(count)]
    args = ["sq", "key", "generate", "--export", f"{prefix}.key"]
    for a in addresses:
        args += ["--userid", f"<{a}>"]
    run(args, work)
    run(["sq", "key", "extract-cert", "--binary", "--output", f"{prefix}.cert", f"{prefix}.key"],
        work)
    with open(os.path.join(work, f"{prefix}.cert"), "rb") as f:
        return f.read(), addresses


def main():
    work = tempfile.mkdtemp(prefix="sealpost-bench-imports-")
    server = None
    try:
        # Enough distinct (key, address) pairs: a certificate or key per CERT_ADDRESSES or KEY_UIDS
        # imports of its kind.
        half = (IMPORTS + 1) // 2
        t = time.monotonic()
        certs = [make_certificate(work, f"s{k}x", CERT_ADDRESSES)
                 for k in range((half + CERT_ADDRESSES - 1) // CERT_ADDRESSES)]
        keys = [make_openpgp_key(work, f"p{k}x", KEY_UIDS)
                for k in range((half + KEY_UIDS - 1) // KEY_UIDS)]
        print(f"keys made in {time.monotonic() - t:.1f} s: {len(certs)} certificates of "
              f"{CERT_ADDRESSES} addresses, {len(keys)} OpenPGP keys of {KEY_UIDS} user IDs")
        smime = [(data, a) for data, addresses in certs for a in addresses]
        pgp = [(data, a) for data, addresses in keys for a in addresses]

        server = Server().start()
        alice = Member(server, "alice@example.org", display_name="Alice Sender")
        c = alice.client
        blocks = []
        block_start = time.monotonic()
        for n in range(IMPORTS):
            data, address = (smime if n % 2 == 0 else pgp)[n // 2]
            kind = "application/x-pem-file" if n % 2 == 0 else "application/pgp-keys"
            r = c.request("POST", f"/api/v1/contacts/keys?address={address}", raw=data,
                          headers={"Content-Type": kind})
            if r.status != 201:
                raise RuntimeError(f"import {address}: {r.status} {r.body[:300]}")
            if n % 2 == 0:
                key = r.json()
                r = c.request("POST", f"/api/v1/contacts/keys/{key['id']}/verify",
                              {"fingerprint": key["fingerprint"]})
                if r.status != 200:
                    raise RuntimeError(f"verify {address}: {r.status} {r.body[:300]}")
            if (n + 1) % BLOCK == 0 or n + 1 == IMPORTS:
                size = (n % BLOCK) + 1
                ms = (time.monotonic() - block_start) * 1000 / size
                blocks.append(ms)
                print(f"RESULT block={len(blocks)} imports={n + 1} ms_per_import={ms:.1f}")
                block_start = time.monotonic()
        print(f"RESULT first_ms={blocks[0]:.1f} last_ms={blocks[-1]:.1f} "
              f"growth={blocks[-1] / blocks[0]:.2f}")
    finally:
        if server:
            server.cleanup()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
