#!/usr/bin/env python3
"""Secure copies to 1,000 recipients handed to a real SMTP peer, beside Postfix's own smtp-source
into the same peer in the same run (issue 12, benchmark 2). Driven by bench/secure_copies.sh;
see bench/README.md.

1. A private Postfix (tests/postfix/postfix.sh) with STARTTLS, accepting any address at sink.test
   and tls.sink.test into Maildirs.
2. `sealpost serve` relaying S/MIME and OpenPGP copies to it ([mail] relay_tls = "required") and
   delivering TLS copies directly to it as the partner tls.sink.test ([[delivery.tls_partner]],
   certificate verified against Postfix's test certificate); alice enrolled.
3. The recipients: a third S/MIME (one P-256 certificate of an external CA, made by openssl, whose
   subjectAltName lists their addresses; imported for each address and personally verified), a
   third OpenPGP (sq-made keys with up to 60 user IDs each, imported for each address), a third
   at the TLS partner's domain.
4. Rounds (BENCH_ROUNDS): smtp-source sends BENCH_RECIPIENTS messages of a copy's size over
   BENCH_CONNECTIONS sessions reusing their connection (-d); then alice sends ONE message to all
   recipients, timed from the request (which makes every copy: sign + encrypt per recipient)
   until every copy is recorded delivered, i.e. Postfix answered 250 to each.
The medians of the rounds give the ratio; target >= 0.5.
5. Context, after the rounds: the copies Postfix received, replayed into it as they are by a
   minimal client (Python's smtplib, BENCH_CONNECTIONS sessions), in plaintext and with STARTTLS:
   what the same peer accepts of these very messages from a sender that does nothing else.
"""

import glob
import os
import smtplib
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Member, Server  # noqa: E402
from postfix_relay import Relay, relay_config  # noqa: E402

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "1000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SMTP_SOURCE = "/usr/sbin/smtp-source"
UIDS_PER_KEY = 60  # under kImport.max_openpgp_user_ids (64)


def run(args, cwd):
    r = subprocess.run(args, cwd=cwd, capture_output=True, timeout=600,
                       env={**os.environ, "HOME": cwd})
    if r.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed: {r.stderr.decode(errors='replace')}")
    return r


def make_keys(work, smime, pgp):
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Bench CA", "-days", "30",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
         "keyUsage=critical,keyCertSign,cRLSign"], work)
    with open(os.path.join(work, "leaf.ext"), "w") as f:
        f.write("[ext]\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyAgreement\n"
                "extendedKeyUsage=emailProtection\nsubjectAltName=@san\n[san]\n")
        for i, a in enumerate(smime):
            f.write(f"email.{i}={a}\n")
    run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", "leaf.key", "-subj", "/CN=bench", "-out", "leaf.csr"], work)
    run(["openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "leaf.ext", "-extensions",
         "ext", "-out", "leaf.pem"], work)
    with open(os.path.join(work, "leaf.pem"), "rb") as f:
        cert = f.read()
    keys = []  # (binary certificate, addresses)
    for k in range(0, len(pgp), UIDS_PER_KEY):
        chunk = pgp[k:k + UIDS_PER_KEY]
        args = ["sq", "key", "generate", "--export", f"k{k}.key"]
        for a in chunk:
            args += ["--userid", f"<{a}>"]
        run(args, work)
        run(["sq", "key", "extract-cert", "--binary", "--output", f"k{k}.cert", f"k{k}.key"], work)
        with open(os.path.join(work, f"k{k}.cert"), "rb") as f:
            keys.append((f.read(), chunk))
    return cert, keys


def import_keys(alice, cert, smime, keys):
    c = alice.client
    for a in smime:
        r = c.request("POST", f"/api/v1/contacts/keys?address={a}", raw=cert,
                      headers={"Content-Type": "application/x-pem-file"})
        if r.status != 201:
            raise RuntimeError(f"import {a}: {r.status} {r.body[:300]}")
        key = r.json()
        r = c.request("POST", f"/api/v1/contacts/keys/{key['id']}/verify",
                      {"fingerprint": key["fingerprint"]})
        if r.status != 200:
            raise RuntimeError(f"verify {a}: {r.status} {r.body[:300]}")
    for data, addresses in keys:
        for a in addresses:
            r = c.request("POST", f"/api/v1/contacts/keys?address={a}", raw=data,
                          headers={"Content-Type": "application/pgp-keys"})
            if r.status != 201:
                raise RuntimeError(f"import {a}: {r.status} {r.body[:300]}")


def delivered(server, message_id):
    with server.db() as db:
        return dict(db.execute("SELECT state, count(*) FROM secure_copies WHERE message_id = ? "
                               "GROUP BY state", (message_id,)).fetchall())


def wait_delivered(server, message_id, count, timeout=900):
    deadline = time.monotonic() + timeout
    while True:
        states = delivered(server, message_id)
        if states.get(1, 0) == count:  # store::SecureCopyState::kDelivered
            return time.monotonic()
        if states.get(3, 0) or time.monotonic() > deadline:  # kFailed
            raise RuntimeError(f"copies not delivered: {states}")
        time.sleep(0.01)


def maildir_files(relay):
    return (glob.glob(os.path.join(relay.dir, "mail", "sink.test", "all", "new", "*")) +
            glob.glob(os.path.join(relay.dir, "mail", "tls.sink.test", "all", "new", "*")))


def smtp_source(relay, size):
    args = [SMTP_SOURCE, "-d", "-s", str(CONNECTIONS), "-m", str(RECIPIENTS), "-l", str(size),
            "-N", "-f", "no-reply@example.org", "-t", "src@sink.test", "-M",
            "bench.sealpost.test", f"127.0.0.1:{relay.port}"]
    start = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - start
    if r.returncode != 0:
        raise RuntimeError("smtp-source failed: " + r.stdout + r.stderr)
    return RECIPIENTS / elapsed


def filler(size):
    """A message of `size` bytes with a few short header fields, like smtp-source's."""
    head = (b"From: no-reply@example.org\r\nTo: replay@sink.test\r\n"
            b"Subject: filler\r\n\r\n")
    line = b"X" * 78 + b"\r\n"
    return head + line * ((size - len(head)) // len(line))


def replay(relay, messages, starttls):
    """Sends `messages` (whole messages, bytes) to the relay over CONNECTIONS sessions;
    messages/s."""
    context = ssl.create_default_context(cafile=os.path.join(relay.dir, "tls", "cert.pem"))
    context.check_hostname = False  # the test certificate names "localhost"; loopback here
    failures = []

    def session(part):
        try:
            with smtplib.SMTP("127.0.0.1", relay.port, local_hostname="bench.sealpost.test",
                              timeout=120) as smtp:
                # As Sealpost's client does: with Nagle, each TLS record after the first waits
                # for the peer's delayed ACK, and the replay would measure that stall.
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if starttls:
                    smtp.starttls(context=context)
                for m in part:
                    smtp.sendmail("no-reply@example.org", ["replay@sink.test"], m)
        except (OSError, smtplib.SMTPException) as e:
            failures.append(e)

    threads = [threading.Thread(target=session, args=(messages[i::CONNECTIONS],))
               for i in range(CONNECTIONS)]
    start, cpu = time.monotonic(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.monotonic() - start, time.process_time() - cpu
    if failures:
        raise RuntimeError(f"replay failed: {failures[0]}")
    # How busy the client itself was: far below one CPU means the peer set the pace.
    print(f"replay ({'STARTTLS' if starttls else 'plain'}): {len(messages)} messages in "
          f"{elapsed:.2f} s, client CPU {cpu:.2f} s")
    return len(messages) / elapsed


def main():
    if not os.access(SMTP_SOURCE, os.X_OK):
        sys.exit(f"bench: {SMTP_SOURCE} is missing (Debian package postfix)")
    third = RECIPIENTS // 3
    smime = [f"smime{i:04d}@sink.test" for i in range(third)]
    pgp = [f"pgp{i:04d}@sink.test" for i in range(third)]
    tls = [f"tls{i:04d}@tls.sink.test" for i in range(RECIPIENTS - 2 * third)]
    everyone = smime + pgp + tls
    work = tempfile.mkdtemp(prefix="sealpost-bench-copies-")
    relay = Relay(tls=True, accept_domains=["sink.test", "tls.sink.test"])
    server = None
    try:
        # A recipient's MX rewrites no header addresses in mail from other hosts. On loopback,
        # Postfix counts Sealpost as a local client (local_header_rewrite_clients defaults to
        # permit_inet_interfaces) and canonicalises every address of each copy's 1,000-address To
        # field through trivial-rewrite: work that smtp-source's filler never causes and no
        # partner's server would do. Both senders now meet the same remote-client treatment.
        etc = os.path.join(relay.dir, "etc")
        subprocess.run(["postconf", "-c", etc, "-e", "local_header_rewrite_clients ="],
                       check=True, capture_output=True, timeout=60)
        subprocess.run(["/usr/sbin/postfix", "-c", etc, "reload"], check=True,
                       capture_output=True, timeout=60)
        t = time.monotonic()
        cert, keys = make_keys(work, smime, pgp)
        print(f"keys made in {time.monotonic() - t:.1f} s ({len(keys)} OpenPGP keys)")
        config = relay_config(relay, tls="required")
        config += f"delivery_connections = {CONNECTIONS}\n"
        config += f"\n[limits]\nmax_recipients = {max(RECIPIENTS, 10000)}\n"
        config += (f'\n[delivery]\ndns_resolver = "127.0.0.1"\n'
                   f'tls_ca_file = "{relay.dir}/tls/cert.pem"\n'
                   f'connections = {CONNECTIONS}\n\n'
                   f'[[delivery.tls_partner]]\ndomain = "tls.sink.test"\n'
                   f'host = "localhost:{relay.port}"\n')
        server = Server(extra_config=config).start()
        server.outbox_token = relay.confirmation_token
        alice = Member(server, "alice@example.org", display_name="Alice Sender")
        # The send request makes every copy (sign + encrypt per recipient): minutes, not 60 s,
        # on a loaded machine.
        alice.client.conn.timeout = 1800
        if alice.client.conn.sock is not None:
            alice.client.conn.sock.settimeout(1800)
        t = time.monotonic()
        import_keys(alice, cert, smime, keys)
        print(f"{len(smime) + len(pgp)} keys imported in {time.monotonic() - t:.1f} s")
        print(f"peer: Postfix with STARTTLS on 127.0.0.1:{relay.port}; {len(smime)} S/MIME, "
              f"{len(pgp)} OpenPGP, {len(tls)} TLS-partner recipients; {CONNECTIONS} "
              f"connections; load average {open('/proc/loadavg').read().split()[0:3]} "
              f"({os.cpu_count()} CPUs)")

        ours, theirs, posts = [], [], []
        size = None
        for n in range(ROUNDS):
            if size is not None:
                theirs.append(smtp_source(relay, size))
            start = time.monotonic()
            r = alice.client.request("POST", "/api/v1/messages", {
                "to": everyone, "subject": "Quarterly figures",
                "text": "The figures, for your eyes only.\n" * 300})  # about 10 KiB
            if r.status != 201:
                raise RuntimeError(f"send failed: {r.status} {r.body[:300]}")
            posts.append(time.monotonic() - start)
            done = wait_delivered(server, r.json()["id"], RECIPIENTS)
            rate = RECIPIENTS / (done - start)
            if size is None:
                # The first round measures the copy size for smtp-source; it is warm-up too. The
                # mean over every copy: S/MIME, OpenPGP and TLS copies differ by a third in size,
                # and a sample of some files (in directory order) made the figure drift by run.
                files = maildir_files(relay)
                size = int(statistics.mean(os.path.getsize(f) for f in files))
                print(f"warm-up: {rate:.1f} copies/s; copy size in the Maildir: {size} bytes "
                      f"(smtp-source -l {size}), request {posts[-1]:.2f} s")
                posts.pop()
                theirs.append(smtp_source(relay, size))
                start = time.monotonic()
                r = alice.client.request("POST", "/api/v1/messages", {
                    "to": everyone, "subject": "Quarterly figures",
                    "text": "The figures, for your eyes only.\n" * 300})
                posts.append(time.monotonic() - start)
                done = wait_delivered(server, r.json()["id"], RECIPIENTS)
                rate = RECIPIENTS / (done - start)
            ours.append(rate)
            print(f"RESULT round={n + 1} smtp_source_per_s={theirs[-1]:.1f} "
                  f"copies_per_s={ours[-1]:.1f} send_request_s={posts[-1]:.3f}")
        mine, src = statistics.median(ours), statistics.median(theirs)
        print(f"RESULT copies_per_s={mine:.1f} smtp_source_per_s={src:.1f} "
              f"ratio={mine / src:.2f} send_request_s={statistics.median(posts):.3f}")
        copies = []
        for f in maildir_files(relay)[:RECIPIENTS]:
            with open(f, "rb") as fh:
                copies.append(fh.read())
        # The replaying client's own ceiling: smtp-source's kind of message, from Python.
        fill = replay(relay, [filler(size)] * len(copies), starttls=False)
        plain = replay(relay, copies, starttls=False)
        tls_rate = replay(relay, copies, starttls=True)
        print(f"RESULT replay_copies={len(copies)} replay_filler_plain_per_s={fill:.1f} "
              f"replay_plain_per_s={plain:.1f} replay_starttls_per_s={tls_rate:.1f} (context: "
              f"the peer's rate for these copies from a sender that does nothing else)")
    finally:
        if server:
            server.cleanup()
        relay.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
