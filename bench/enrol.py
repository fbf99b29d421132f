"""Enrols members on an already running Sealpost server and prints their sessions as JSON.

Used by bench/run.sh, which starts the server itself (it needs the PID for peak RSS). Reuses the
integration-test harness (tests/integration/harness.py) for sign-up, e-mail confirmation from the
.eml outbox, TOTP set-up and log-in, so the benchmark enrols exactly as the tests do.

usage: python3 bench/enrol.py --port PORT --data-dir DIR [--store-url URL] alice@example.org bob@example.org
prints: {"alice@example.org": {"cookie": "__Host-sealpost_session=…", "csrf": "…"}, …}
where "cookie" is a complete Cookie header value."""

import argparse
import json
import os
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402


class RunningServer(harness.Server):
    """The harness's Server, attached to a server someone else started and will stop."""

    def __init__(self, port, data_dir, store_url=""):  # pylint: disable=super-init-not-called
        self.port = port
        self.data_dir = data_dir
        # The server's default outbox, as in harness.Server: beside the data directory.
        self.outbox_dir = os.path.join(os.path.dirname(os.path.normpath(data_dir)),
                                       "sealpost-outbox")
        self.proc = None
        self.store_url = store_url  # "" = the embedded SQLite database in data_dir
        self.ctx = ssl.create_default_context(
            cafile=os.path.join(data_dir, "tls", "certificate.pem"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--store-url", default="", help="the server's [store] url, if PostgreSQL")
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args()

    server = RunningServer(args.port, args.data_dir, args.store_url)
    sessions = {}
    for address in args.addresses:
        member = harness.Member(server, address, address.split("@")[0].title())
        client = member.login()
        if not client.csrf or not client.cookies:
            raise SystemExit(f"log-in of {address} gave no session cookie or CSRF token")
        sessions[address] = {
            "cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
            "csrf": client.csrf,
        }
        member.client.close()
    json.dump(sessions, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
