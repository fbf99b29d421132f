#!/usr/bin/env python3
"""SMTP intake: Postfix's smtp-source against Sealpost's MX listener, a private Postfix delivering
into a Maildir, and smtp-sink (the protocol ceiling), in the same run (issue 13). Driven by
bench/smtp.sh; see bench/README.md.

smtp-source speaks neither AUTH nor TLS, so it cannot use the submission listeners (AUTH only
inside TLS): Sealpost is measured on its inbound listener `[smtp.inbound]` (tls = "optional", no
AUTH), where a 250 means the message is stored, sealed, in the member's inbox
(app/inbound_mail.h). Postfix's 250 means the message is in its queue (fsynced); its delivery into
the Maildir follows, and is timed as context.

Each round runs `smtp-source -s SESSIONS -m MESSAGES -l SIZE -d` against each of the three peers
(each session reuses its connection; one recipient, a member: bob@example.org). Every message
must get 250 (smtp-source exits non-zero otherwise), and at the end the mailboxes must hold
exactly what was sent.
"""

import glob
import os
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import PASSWORD, Member, Server  # noqa: E402
from postfix_relay import Relay, free_port  # noqa: E402

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "20"))
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "2000"))
SIZE = int(os.environ.get("BENCH_SIZE", "10240"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "200"))
# [smtp] worker_threads: empty keeps the server's default (32).
WORKERS = os.environ.get("BENCH_WORKER_THREADS", "")
SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
RECIPIENT = "bob@example.org"


def wait_for_banner(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers 220 on port {port}")


def smtp_source(port, messages):
    """Messages/s of one smtp-source run: every message answered 250, or it raises."""
    args = [SMTP_SOURCE, "-s", str(SESSIONS), "-m", str(messages), "-l", str(SIZE), "-d",
            "-f", "bench@outside.test", "-t", RECIPIENT, "-M", "mx.outside.test",
            f"127.0.0.1:{port}"]
    start = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    elapsed = time.monotonic() - start
    if r.returncode != 0:
        raise RuntimeError(f"smtp-source to port {port} failed: {r.stdout}{r.stderr}")
    return messages / elapsed


def machine_jiffies():
    """(busy, total) CPU jiffies of the whole machine so far (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def stat_fields(pid):
    """/proc/PID/stat after the command name: index 2 is the process group, 11/12 utime/stime,
    13/14 the reaped children's cutime/cstime."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile
        return None


def process_jiffies(pid):
    """CPU jiffies of one process so far (sealpost serve: one process, its threads included)."""
    f = stat_fields(pid)
    return int(f[11]) + int(f[12])


def group_jiffies(leader):
    """CPU jiffies so far of the process group led by `leader` (the Postfix master, a session
    leader, and its daemons): every member's own time, plus what the leader's reaped children
    used (a daemon that exited)."""
    total = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = stat_fields(name)
            if f and int(f[2]) == leader:
                total += int(f[11]) + int(f[12])
    f = stat_fields(leader)
    return total + (int(f[13]) + int(f[14]) if f else 0)


def measured(run, jiffies):
    """run() -> rate, with the machine's busy share and the CPU ms per message that
    `jiffies()` (a server's CPU time so far) grew by."""
    busy0, total0 = machine_jiffies()
    own0 = jiffies()
    rate = run()
    busy1, total1 = machine_jiffies()
    busy = (busy1 - busy0) / max(1, total1 - total0)
    own_ms = (jiffies() - own0) * 1000 / os.sysconf("SC_CLK_TCK") / MESSAGES
    return rate, busy, own_ms


def postfix_master(relay):
    with open(os.path.join(relay.dir, "spool", "pid", "master.pid")) as f:
        return int(f.read().strip())


def maildir_count(relay):
    return len(glob.glob(os.path.join(relay.dir, "mail", "example.org", "bob", "new", "*")))


def wait_maildir(relay, count, timeout=600):
    """The moment Postfix has delivered `count` messages into bob's Maildir."""
    deadline = time.monotonic() + timeout
    while maildir_count(relay) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"Postfix delivered {maildir_count(relay)} of {count}")
        time.sleep(0.01)
    return time.monotonic()


def stored_count(server):
    with server.db() as db:
        return db.execute("SELECT count(*) FROM mailbox WHERE folder = 1 AND owner_id = "
                          "(SELECT id FROM users WHERE email = ?)", (RECIPIENT,)).fetchone()[0]


# Counters of `GET /metrics` (docs/operations.md) whose growth over a Sealpost run says where a
# message's time went: waiting for the blob sync round, for the store's group commit.
METRICS = tuple(f"sealpost_{m}" for m in (
    "blob_sync_wait_seconds_sum", "blob_sync_wait_seconds_count", "blob_sync_rounds_total",
    "store_write_duration_seconds_sum", "store_write_duration_seconds_count",
    "store_commit_duration_seconds_sum", "store_commit_duration_seconds_count"))


def scrape(server):
    r = server.client().request("GET", "/metrics")
    if r.status != 200:
        raise RuntimeError(f"GET /metrics answered {r.status}")
    text = r.body.decode() if isinstance(r.body, bytes) else r.body
    values = dict.fromkeys(METRICS, 0.0)
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in values:
            values[name] = float(value)
    return values


def where_the_time_went(before, after):
    """Per message of a Sealpost run: mean wait for the blob sync round and for the store write
    (its group commit, queueing included), blobs per sync round, writes per store commit."""
    d = {k: after[k] - before[k] for k in METRICS}

    def per(a, b):
        return d[a] / d[b] if d[b] else 0.0

    blob = "sealpost_blob_sync_wait_seconds"
    store = "sealpost_store_write_duration_seconds"
    commit = "sealpost_store_commit_duration_seconds"
    return (f"blob_sync_wait_ms={1000 * per(blob + '_sum', blob + '_count'):.2f} "
            f"blobs_per_sync_round={per(blob + '_count', 'sealpost_blob_sync_rounds_total'):.1f} "
            f"store_write_wait_ms={1000 * per(store + '_sum', store + '_count'):.2f} "
            f"store_commit_ms={1000 * per(commit + '_sum', commit + '_count'):.2f} "
            f"writes_per_store_commit={per(store + '_count', commit + '_count'):.1f}")


def main():
    for tool in (SMTP_SOURCE, SMTP_SINK):
        if not os.access(tool, os.X_OK):
            sys.exit(f"bench: {tool} is missing (Debian package postfix)")
    sink = relay = server = None
    try:
        sink_port = free_port()
        # smtp-sink must drop root (-u); it keeps nothing (no dump file): the protocol alone.
        sink = subprocess.Popen([SMTP_SINK, "-u", "nobody", f"127.0.0.1:{sink_port}", "256"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_banner(sink_port)
        relay = Relay(tls=False)
        workers = f"\n[smtp]\nworker_threads = {int(WORKERS)}\n" if WORKERS else ""
        server = Server(extra_config=workers + f"""
[smtp.inbound]
enabled = true
address = "127.0.0.1"
tls = "optional"
max_sessions = {max(100, 2 * SESSIONS)}
max_sessions_per_address = {max(10, 2 * SESSIONS)}
""").start()
        r = server.client().request("POST", "/api/v1/setup/admin",
                                    {"token": server.bootstrap_token, "email": "root@example.org",
                                     "password": PASSWORD})
        if r.status != 201:
            raise RuntimeError(f"setup failed: {r.status} {r.body[:300]}")
        Member(server, RECIPIENT)
        ours_port = server.smtp_ports["inbound"]
        print(f"{SESSIONS} sessions, {MESSAGES} messages of {SIZE} bytes per run, {ROUNDS} rounds,"
              f" SMTP worker threads {WORKERS or 'default (32)'};"
              f" Sealpost inbound on :{ours_port}, Postfix on :{relay.port}, smtp-sink on "
              f":{sink_port}; load average {open('/proc/loadavg').read().split()[0:3]} "
              f"({os.cpu_count()} CPUs)")

        for port in (sink_port, relay.port, ours_port):
            smtp_source(port, WARMUP)
        wait_maildir(relay, WARMUP)

        sink_rates, postfix_rates, postfix_delivered, ours_rates = [], [], [], []
        cpu_ms = {"postfix": [], "sealpost": []}
        master = postfix_master(relay)
        for n in range(ROUNDS):
            sink_rates.append(smtp_source(sink_port, MESSAGES))
            before = maildir_count(relay)
            start = time.monotonic()
            # The Postfix figure's CPU time includes the Maildir delivery (it runs meanwhile and
            # is waited for before the next run).
            def postfix_run():
                rate = smtp_source(relay.port, MESSAGES)
                postfix_delivered.append(
                    MESSAGES / (wait_maildir(relay, before + MESSAGES) - start))
                return rate
            rate, postfix_busy, postfix_ms = measured(postfix_run, lambda: group_jiffies(master))
            postfix_rates.append(rate)
            counters = scrape(server)
            rate, ours_busy, ours_ms = measured(lambda: smtp_source(ours_port, MESSAGES),
                                                lambda: process_jiffies(server.proc.pid))
            ours_rates.append(rate)
            print(f"SEALPOST round={n + 1} {where_the_time_went(counters, scrape(server))}",
                  flush=True)
            # Context: how busy the machine's CPUs were during each run (smtp-source and
            # everything else on the machine included), and each server's own CPU time per
            # message (all of Postfix's daemons; sealpost serve).
            print(f"RESULT round={n + 1} sink_per_s={sink_rates[-1]:.1f} "
                  f"postfix_per_s={postfix_rates[-1]:.1f} "
                  f"postfix_delivered_per_s={postfix_delivered[-1]:.1f} "
                  f"sealpost_per_s={ours_rates[-1]:.1f} cpu_busy_postfix={postfix_busy:.2f} "
                  f"cpu_busy_sealpost={ours_busy:.2f} postfix_cpu_ms_per_msg={postfix_ms:.2f} "
                  f"sealpost_cpu_ms_per_msg={ours_ms:.2f}", flush=True)
            cpu_ms["postfix"].append(postfix_ms)
            cpu_ms["sealpost"].append(ours_ms)

        expected = WARMUP + ROUNDS * MESSAGES
        stored, delivered = stored_count(server), maildir_count(relay)
        ours, theirs = statistics.median(ours_rates), statistics.median(postfix_rates)
        print(f"RESULT sealpost_per_s={ours:.1f} postfix_per_s={theirs:.1f} "
              f"postfix_delivered_per_s={statistics.median(postfix_delivered):.1f} "
              f"sink_per_s={statistics.median(sink_rates):.1f} ratio={ours / theirs:.2f} "
              f"postfix_cpu_ms_per_msg={statistics.median(cpu_ms['postfix']):.2f} "
              f"sealpost_cpu_ms_per_msg={statistics.median(cpu_ms['sealpost']):.2f} "
              f"stored={stored} delivered={delivered} expected={expected}")
    finally:
        if server:
            server.cleanup()
        if relay:
            relay.stop()
        if sink:
            sink.kill()
            sink.wait()


if __name__ == "__main__":
    main()
