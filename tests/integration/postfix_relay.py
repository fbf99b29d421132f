"""A private Postfix on loopback (tests/postfix/postfix.sh) that Sealpost relays to, with the
Maildirs it delivers to; shared by the tests that read the mail Sealpost sends."""

import email
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

POSTFIX = os.path.join(os.path.dirname(__file__), "..", "postfix", "postfix.sh")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def delivery_order(path):
    """Sort key for Postfix Maildir names, "<seconds>.V<dev>I<inode>M<microseconds>.<host>": by
    time of delivery (a plain string sort orders mails of the same second by inode)."""
    name = os.path.basename(path)
    seconds, _, rest = name.partition(".")
    micro = rest.split("M", 1)[1].split(".", 1)[0] if "M" in rest else "0"
    try:
        return (int(seconds), int(micro), name)
    except ValueError:
        return (0, 0, name)


class Relay:
    def __init__(self, tls=True, accept_domains=()):
        """`accept_domains`: domains whose every address Postfix also takes, into the Maildir
        mail/<domain>/all (for mail to contacts outside example.org)."""
        self.dir = tempfile.mkdtemp(prefix="sealpost-postfix-")
        os.chmod(self.dir, 0o755)  # Postfix's daemons run as the postfix user
        self.port = free_port()
        args = ["bash", POSTFIX, "start", self.dir, str(self.port)] + ([] if tls else ["--no-tls"])
        for domain in accept_domains:
            args += ["--accept-domain", domain]
        r = subprocess.run(args, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError("cannot start Postfix: " + r.stdout + r.stderr)

    def delivered(self, user, domain="example.org", wait=0.0):
        """Mail in the user's Maildir; Postfix delivers asynchronously after its 250."""
        deadline = time.time() + wait
        while True:
            files = sorted(glob.glob(os.path.join(self.dir, "mail", domain, user, "new", "*")),
                           key=delivery_order)
            if files or time.time() >= deadline:
                return files
            time.sleep(0.2)

    def texts(self, user, domain="example.org"):
        """(subject, decoded text) of each mail delivered to user@domain, oldest first."""
        texts = []
        for path in self.delivered(user, domain):
            with open(path, "rb") as f:
                msg = email.message_from_bytes(f.read())
            part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), msg)
            texts.append((msg["Subject"], part.get_payload(decode=True).decode()))
        return texts

    def wait_for(self, user, domain, match, count=1, timeout=30.0):
        """The mails to user@domain whose text contains `match`, once there are `count` of them.
        Postfix delivers after its 250, so a mail Sealpost has handed over may still be on its way."""
        deadline = time.time() + timeout
        while True:
            found = [(s, t) for s, t in self.texts(user, domain) if match in t or match in (s or "")]
            if len(found) >= count:
                return found
            if time.time() >= deadline:
                raise AssertionError(f"{len(found)} of {count} mail(s) with {match!r} "
                                     f"for {user}@{domain} after {timeout} s")
            time.sleep(0.1)

    def confirmation_token(self, address):
        """The newest e-mail confirmation token mailed to `address` (for tests whose members'
        mail goes through this relay: `server.outbox_token = relay.confirmation_token`)."""
        user, domain = address.split("@")
        _, text = self.wait_for(user, domain, "verify#token=")[-1]
        return re.search(r"verify#token=([A-Za-z0-9_-]+)", text).group(1)

    def stop(self):
        subprocess.run(["bash", POSTFIX, "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def relay_config(relay, tls="required"):
    # Quick retries so that giving up fits in a test: 1 s apart, for 3 s.
    return f"""
[mail]
relay = "localhost:{relay.port}"
relay_tls = "{tls}"
relay_ca_file = "{relay.dir}/tls/cert.pem"
from = "Sealpost <no-reply@example.org>"
retry_first_seconds = 1
retry_max_seconds = 1
give_up_after_seconds = 3
"""
