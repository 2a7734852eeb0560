"""Command lines of `suara-infra` and `suara-stack` (python -m suara_infra infra|stack ...)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from .infra import Infra
from .processes import InfraError
from .settings import SettingsError, load
from .stack import SERVICES, Stack
from .supervisor import Status

INFRA_ENVIRONMENT = """\
environment (all optional):
  SUARA_STATE_DIR              config, data, logs, pid files     (<repo>/var/local)
  SUARA_CACHE_DIR              fetched jars, built binaries      (<repo>/.cache)
  SUARA_KAFKA_PORT             Kafka client listener             (9092)
  SUARA_KAFKA_CONTROLLER_PORT  Kafka KRaft controller listener   (9093)
  SUARA_FERRETDB_PORT          FerretDB MongoDB listener         (27017)
  SUARA_FERRETDB_DEBUG_PORT    FerretDB debug/metrics HTTP port  (unset: off)
  SUARA_FERRETDB_BACKEND       postgresql or sqlite              (postgresql)
  SUARA_POSTGRES_PORT          names PostgreSQL's Unix socket    (5432; no TCP port is opened)
  SUARA_POSTGRES_SYSTEM_USER   the user PostgreSQL runs as when we are root (suara-postgres)
  SUARA_INFRA_TIMEOUT          seconds to wait for health        (120)
  SUARA_INFRA_STOP_TIMEOUT     seconds from stop signal to SIGKILL (30)
  SUARA_KAFKA_HEAP_OPTS        broker JVM heap                   (-Xms256m -Xmx1g)
  SUARA_KAFKA_TOOL_HEAP_OPTS   JVM heap for kafka-class          (-Xmx512m)
  SUARA_KAFKA_VERSION / SUARA_FERRETDB_VERSION  override the pinned versions
Two instances run side by side given different state dirs and ports."""


def printer(prefix: str, stream: TextIO) -> Callable[[str], None]:
    def say(message: str) -> None:
        print(f"{prefix}: {message}", file=stream, flush=True)

    return say


def status_lines(rows: Sequence[Status]) -> list[str]:
    return [
        f"{r.name:<9} {r.state:<8} pid={r.pid if r.pid else '-':<8} {r.address:<24} log={r.log}"
        + (f"  ({r.detail})" if r.state == "starting" and r.detail else "")
        for r in rows
    ]


def infra_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="suara-infra",
        description="Local Kafka and FerretDB (on PostgreSQL or SQLite) for Suara, as processes (no Docker).",
        epilog=INFRA_ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("install", help="fetch Kafka (Maven Central) and build FerretDB (go install) into the cache")
    for name, text in (("start", "start and wait until healthy"), ("stop", "stop (SIGKILL after the stop timeout)")):
        command = commands.add_parser(name, help=text)
        command.add_argument("component", nargs="?", default="all", choices=["all", "kafka", "postgres", "ferretdb"])
    commands.add_parser("status", help="one line per component: running, starting or stopped")
    commands.add_parser("env", help="SUARA_KAFKA_BOOTSTRAP and SUARA_MONGO_URL for this instance")
    kafka_class = commands.add_parser("kafka-class", help="run a Kafka Java class with Kafka's classpath")
    kafka_class.add_argument("java_args", nargs=argparse.REMAINDER, metavar="CLASS [ARGS...]")
    return parser


def stack_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="suara-stack",
        description="Suara's four services and a local mail sink, on the local infrastructure (see suara-infra) "
        "unless SUARA_KAFKA_BOOTSTRAP or SUARA_MONGO_URL names an existing one.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    targets = ["all", *SERVICES]
    start = commands.add_parser("start", help="start (all: the infrastructure too) and wait until healthy")
    start.add_argument("target", nargs="?", default="all", choices=targets)
    stop = commands.add_parser("stop", help="stop gracefully (SIGKILL after 20 s); all: the infrastructure too")
    stop.add_argument("target", nargs="?", default="all", choices=targets)
    commands.add_parser("status", help="one line per service")
    commands.add_parser("env", help="the settings the services get")
    commands.add_parser("audit-vkey", help="the audit log's verifier key (for suara-verify --vkey)")
    return parser


def run_infra(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    args = infra_parser().parse_args(argv)
    infra = Infra(load(environ), printer("suara-infra", sys.stdout))
    if args.command == "install":
        infra.install()
    elif args.command == "start":
        infra.start(args.component)
    elif args.command == "stop":
        infra.stop(args.component)
    elif args.command == "status":
        print("\n".join(status_lines(infra.status())))
    elif args.command == "env":
        print("\n".join(f"{k}={v}" for k, v in infra.env().items()))
    elif args.command == "kafka-class":
        if not args.java_args:
            raise InfraError("usage: suara-infra kafka-class CLASS [ARGS...]")
        infra.kafka.install(infra.say)
        infra.kafka.run_class(args.java_args)
    return 0


def run_stack(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    args = stack_parser().parse_args(argv)
    # audit-vkey's output is captured by callers: progress goes to stderr there.
    out = sys.stderr if args.command == "audit-vkey" else sys.stdout
    stack = Stack(load(environ), environ, printer("suara-stack", out))
    if args.command == "start":
        stack.start(args.target)
    elif args.command == "stop":
        stack.stop(args.target)
    elif args.command == "status":
        print("\n".join(status_lines(stack.status())))
    elif args.command == "env":
        print("\n".join(f"{k}={v}" for k, v in stack.environment().items()))
    elif args.command == "audit-vkey":
        print(stack.audit_vkey())
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    env = os.environ if environ is None else environ
    programs = {"infra": ("suara-infra", run_infra), "stack": ("suara-stack", run_stack)}
    if not arguments or arguments[0] not in programs:
        print("usage: python -m suara_infra {infra|stack} COMMAND ...", file=sys.stderr)
        return 2
    name, run = programs[arguments[0]]
    try:
        return run(arguments[1:], env)
    except (InfraError, SettingsError) as error:
        print(f"{name}: error: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
