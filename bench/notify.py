#!/usr/bin/env python3
"""Guest notifications handed to a real SMTP peer, beside Postfix's own smtp-source into the same
peer in the same run (issue 5, done-when 4). Driven by bench/notify.sh; see bench/README.md.

1. A private Postfix (tests/postfix/postfix.sh) accepting any address at sink.test into one
   Maildir; plaintext by default, because smtp-source cannot do STARTTLS (BENCH_TLS=1 runs
   Sealpost over STARTTLS for a context figure; smtp-source stays plaintext then).
2. `sealpost serve` relaying to it ([mail] relay_tls = "opportunistic", delivery_connections =
   BENCH_CONNECTIONS), alice enrolled.
3. First contact: alice sends to BENCH_GUESTS new guest addresses with typed MUCs (100 guests per
   message, the per-message limit on new MUCs, each costing one argon2id hash); timed from the
   first request until the queue is empty. A context figure: it is mostly argon2id.
   BENCH_DKIM=1 signs every notification (RSA-2048; a context figure).
4. Rounds (BENCH_ROUNDS): smtp-source sends BENCH_GUESTS messages of the notification's size over
   BENCH_CONNECTIONS sessions reusing their connection (-d); then alice sends ONE message to all
   BENCH_GUESTS guests (MUCs exist: no hashing), timed from the request until the outbound queue
   is empty, i.e. until the peer answered 250 to every notification.
The medians of the rounds give the ratio; target >= 0.5.
"""

import glob
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Member, Server  # noqa: E402
from postfix_relay import Relay, relay_config  # noqa: E402

GUESTS = int(os.environ.get("BENCH_GUESTS", "1000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TLS = os.environ.get("BENCH_TLS", "") == "1"
DKIM = os.environ.get("BENCH_DKIM", "") == "1"  # sign every notification (RSA-2048)
SMTP_SOURCE = "/usr/sbin/smtp-source"
NEW_MUCS_PER_MESSAGE = 100


def queued(server):
    with server.db() as db:
        return db.execute("SELECT count(*) FROM outbound_mail").fetchone()[0]


def wait_queue_empty(server, timeout=600, first=None):
    """When the outbound queue is empty; `first` (a list) gets when it first shrank."""
    deadline = time.monotonic() + timeout
    initial = None
    while (left := queued(server)) != 0:
        if initial is None:
            initial = left
        elif first is not None and not first and left < initial:
            first.append(time.monotonic())
        if time.monotonic() > deadline:
            raise RuntimeError(f"{left} notifications still queued after {timeout} s")
        time.sleep(0.005)
    return time.monotonic()


def sink_files(relay):
    return glob.glob(os.path.join(relay.dir, "mail", "sink.test", "all", "new", "*"))


def wait_sink(relay, count, timeout=120):
    deadline = time.monotonic() + timeout
    while len(sink_files(relay)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(sink_files(relay))


def send(member, to, **extra):
    r = member.client.request("POST", "/api/v1/messages",
                              {"to": to, "subject": "Quarterly figures",
                               "text": "The figures are attached.", **extra})
    if r.status != 201:
        raise RuntimeError(f"send failed: {r.status} {r.body[:300]}")


def smtp_source(relay, size):
    args = [SMTP_SOURCE, "-d", "-s", str(CONNECTIONS), "-m", str(GUESTS), "-l", str(size), "-N",
            "-f", "no-reply@example.org", "-t", "src@sink.test", "-M", "bench.sealpost.test",
            f"127.0.0.1:{relay.port}"]
    start = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - start
    if r.returncode != 0:
        raise RuntimeError("smtp-source failed: " + r.stdout + r.stderr)
    return GUESTS / elapsed


def main():
    if not os.access(SMTP_SOURCE, os.X_OK):
        sys.exit(f"bench: {SMTP_SOURCE} is missing (Debian package postfix)")
    guests = [f"guest{i:04d}@sink.test" for i in range(GUESTS)]
    relay = Relay(tls=TLS)
    server = None
    try:
        config = relay_config(relay, tls="required" if TLS else "opportunistic")
        config += f"delivery_connections = {CONNECTIONS}\n"
        if DKIM:  # a throw-away key, made here and deleted with the relay's directory
            key = os.path.join(relay.dir, "dkim.pem")
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                            "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
            config += (f'dkim_key_file = "{key}"\ndkim_selector = "bench"\n'
                       'dkim_domain = "example.org"\n')
        config += f"\n[limits]\nmax_recipients = {max(GUESTS, 10000)}\n"
        server = Server(extra_config=config).start()

        def token_from_maildir(address):
            user, domain = address.split("@")
            _, text = relay.wait_for(user, domain, "verify#token=")[-1]
            return re.search(r"verify#token=([A-Za-z0-9_-]+)", text).group(1)

        server.outbox_token = token_from_maildir
        alice = Member(server, "alice@example.org", display_name="Alice Sender")
        print(f"peer: Postfix {'with' if TLS else 'without'} STARTTLS on 127.0.0.1:{relay.port}; "
              f"{GUESTS} guests; {CONNECTIONS} connections; DKIM {'on' if DKIM else 'off'}; "
              f"load average "
              f"{open('/proc/loadavg').read().split()[0:3]} ({os.cpu_count()} CPUs)")

        # First contact: new MUCs, 100 per message (argon2id each).
        start = time.monotonic()
        posting = 0.0
        for i in range(0, GUESTS, NEW_MUCS_PER_MESSAGE):
            chunk = guests[i:i + NEW_MUCS_PER_MESSAGE]
            t = time.monotonic()
            send(alice, chunk, mucs={g: f"muc-{g[:9]}-x7" for g in chunk})
            posting += time.monotonic() - t
        first_contact = GUESTS / (wait_queue_empty(server) - start)
        print(f"RESULT first_contact_per_s={first_contact:.1f} "
              f"requests_s={posting:.2f} (argon2id for {GUESTS} MUCs inside the requests)")
        delivered = wait_sink(relay, GUESTS)
        files = sink_files(relay)
        size = int(statistics.median(os.path.getsize(f) for f in files[:50]))
        print(f"notification size in the Maildir: {size} bytes (smtp-source -l {size})")

        ours, theirs, posts = [], [], []
        expected = delivered
        for n in range(ROUNDS):
            theirs.append(smtp_source(relay, size))
            expected += GUESTS
            start = time.monotonic()
            send(alice, guests)
            posts.append(time.monotonic() - start)
            first = []
            ours.append(GUESTS / (wait_queue_empty(server, first=first) - start))
            expected += GUESTS
            # The deliverers poll the queue once a second: part of the time is that wait.
            wake = f"{first[0] - start:.3f}" if first else "n/a"
            print(f"RESULT round={n + 1} smtp_source_per_s={theirs[-1]:.1f} "
                  f"notifications_per_s={ours[-1]:.1f} send_request_s={posts[-1]:.3f} "
                  f"first_handed_over_s={wake}")
        got = wait_sink(relay, expected)
        mine, src = statistics.median(ours), statistics.median(theirs)
        print(f"RESULT notifications_per_s={mine:.1f} smtp_source_per_s={src:.1f} "
              f"ratio={mine / src:.2f} send_request_s={statistics.median(posts):.3f} "
              f"first_contact_per_s={first_contact:.1f} delivered={got} expected={expected}")
    finally:
        if server:
            server.cleanup()
        relay.stop()


if __name__ == "__main__":
    main()
