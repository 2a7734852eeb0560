"""`suara-mailsink`: a local SMTP server that keeps every mail in a Maildir, for `make run` and the tests.

Operators read the alerts with any Maildir reader, or simply: ls var/local/mail/new; each file is one mail."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="suara-mailsink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args(argv)
    # mailbox.Maildir creates tmp/, new/ and cur/ only when the folder does not exist yet: make them ourselves.
    for part in ("tmp", "new", "cur"):
        (args.maildir / part).mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print(f"suara-mailsink: SMTP on {args.host}:{args.port}, mails kept in {args.maildir}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
