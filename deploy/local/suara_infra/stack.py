"""`suara-stack`: Suara's four services and a local mail sink as background processes, on top of the local
infrastructure (or an existing Kafka and MongoDB named by SUARA_KAFKA_BOOTSTRAP and SUARA_MONGO_URL).

Used by `make run` / `make stop` and by the integration tests (with their own ports and state dir, so both can run
side by side).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from .components import Component, Say
from .infra import Infra
from .probes import Outcome, grpc_serving, smtp_ready
from .processes import InfraError, PidFile, spawn
from .settings import InfraSettings, seconds
from .supervisor import Status, Supervisor

SERVICES = ("mailsink", "audit", "intake", "router", "notifier", "casework")  # start order; stopped in reverse


def service_environment(settings: InfraSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """What the services get: the caller's environment with Suara's local defaults filled in."""
    env = dict(environ)
    external = bool(env.get("SUARA_KAFKA_BOOTSTRAP") or env.get("SUARA_MONGO_URL"))
    env.setdefault("SUARA_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
    env.setdefault("SUARA_MONGO_URL", settings.mongo_url)
    env.setdefault("SUARA_CATALOGUE_DIR", str(settings.repo / "data/kota-kediri"))
    env.setdefault("SUARA_STAFF_DIRECTORY", str(Path(env["SUARA_CATALOGUE_DIR"]) / "staff.toml"))
    env.setdefault("SUARA_SMTP_HOST", "127.0.0.1")
    env.setdefault("SUARA_SMTP_PORT", "2525")
    env.setdefault("SUARA_INTAKE_LISTEN", "127.0.0.1:15051")
    env.setdefault("SUARA_ROUTER_HEALTH_LISTEN", "127.0.0.1:15052")
    env.setdefault("SUARA_NOTIFIER_HEALTH_LISTEN", "127.0.0.1:15053")
    env.setdefault("SUARA_AUDIT_LISTEN", "127.0.0.1:15054")
    env.setdefault("SUARA_CASEWORK_LISTEN", "127.0.0.1:15055")
    env.setdefault("SUARA_IDENTITY_DIR", str(settings.state_dir / "identity"))
    env.setdefault("SUARA_ROUTER_DATA_DIR", str(settings.state_dir / "router"))
    # The audit log's signing key: a development key made on first start (production names its own file or KMS).
    env.setdefault("SUARA_AUDIT_SIGNING_KEY_FILE", str(settings.state_dir / "keys/audit.key"))
    env.setdefault("SUARA_MAILDIR", str(settings.state_dir / "mail"))
    env["SUARA_EXTERNAL_INFRA"] = "1" if external else "0"
    return env


def adopt_legacy_pid_files(settings: InfraSettings) -> None:
    """The shell runner kept the services' pid files in <state>/pids; move them to <state>/run, so a stack started
    before the change can still be stopped. (Remove once no such stack is left running.)"""
    legacy = settings.state_dir / "pids"
    if not legacy.is_dir():
        return
    for old in legacy.glob("*.pid"):
        new = settings.run_dir / old.name
        if new.exists():
            old.unlink()
        else:
            settings.run_dir.mkdir(parents=True, exist_ok=True)
            old.replace(new)
    if not any(legacy.iterdir()):
        legacy.rmdir()


class Service(Component):
    def __init__(
        self,
        name: str,
        command: list[str],
        settings: InfraSettings,
        env: dict[str, str],
        address: str,
        probe: Callable[[], Outcome],
    ) -> None:
        self.name = name
        self.command = command
        self.settings = settings
        self.env = env
        self._address = address
        self._probe = probe

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.settings.run_dir / f"{self.name}.pid", marker=self.command[0])

    @property
    def logs(self) -> list[Path]:
        return [self.settings.log_dir / f"{self.name}.log"]

    @property
    def address(self) -> str:
        return self._address

    def launch(self, say: Say) -> int:
        pid = spawn(self.command, self.pid_file, self.logs[0], env=self.env)
        say(f"{self.name} started (pid {pid}, log {self.logs[0]})")
        return pid

    def probe(self) -> Outcome:
        return self._probe()


class Stack:
    def __init__(self, settings: InfraSettings, environ: Mapping[str, str], say: Say) -> None:
        self.settings = settings
        self.say = say
        self.env = service_environment(settings, environ)
        self.external_infra = self.env["SUARA_EXTERNAL_INFRA"] == "1"
        self.venv = Path(environ.get("SUARA_VENV") or settings.repo / ".venv")
        self.key_file = Path(self.env["SUARA_AUDIT_SIGNING_KEY_FILE"])
        self.services = {name: self._service(name) for name in SERVICES}
        adopt_legacy_pid_files(settings)
        self.supervisor = Supervisor(
            settings.run_dir / ".stack.lock",
            say,
            start_timeout=seconds(environ, "SUARA_START_TIMEOUT", 120),
            stop_timeout=20,
            port_hint=lambda _: "",
        )

    def _service(self, name: str) -> Service:
        env, bin_dir = self.env, self.venv / "bin"
        if name == "mailsink":
            host, port = env["SUARA_SMTP_HOST"], int(env["SUARA_SMTP_PORT"])
            command = [str(bin_dir / "suara-mailsink"), "--host", host, "--port", str(port)]
            command += ["--maildir", env["SUARA_MAILDIR"]]
            return Service(name, command, self.settings, env, f"{host}:{port}", lambda: smtp_ready(host, port))
        command = [str(bin_dir / f"suara-{name}")] + (["serve"] if name == "intake" else [])
        listen = {
            "intake": "SUARA_INTAKE_LISTEN",
            "router": "SUARA_ROUTER_HEALTH_LISTEN",
            "notifier": "SUARA_NOTIFIER_HEALTH_LISTEN",
            "audit": "SUARA_AUDIT_LISTEN",
            "casework": "SUARA_CASEWORK_LISTEN",
        }[name]
        address = env[listen]
        return Service(name, command, self.settings, env, address, lambda: grpc_serving(address))

    def select(self, target: str) -> list[Service]:
        if target == "all":
            return list(self.services.values())
        if target not in self.services:
            raise InfraError(f"unknown service {target!r} (one of: all, {', '.join(SERVICES)})")
        return [self.services[target]]

    def ensure_audit_key(self) -> None:
        if self.key_file.is_file():
            return
        result = subprocess.run(
            [str(self.venv / "bin/suara-audit"), "keygen", "--if-missing", "--out", str(self.key_file)],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise InfraError(f"could not make the audit signing key {self.key_file}: {result.stderr.strip()}")
        self.say(f"audit: created a development signing key {self.key_file}")

    def ensure_identity(self) -> None:
        """Unless settings name a real identity provider (SUARA_IDENTITY_ISSUER), make the development one: a signing
        key made once under SUARA_IDENTITY_DIR and the demo users, whose tokens `suara login USER` mints; every
        service gets its issuer, audience and key set."""
        if "SUARA_IDENTITY_ISSUER" in self.env:
            return
        from suara_kit.identity.dev import DevIdentityProvider  # the project's venv runs this module

        users = Path(self.env["SUARA_CATALOGUE_DIR"]) / "demo-users.toml"
        provider = DevIdentityProvider.ensure(Path(self.env["SUARA_IDENTITY_DIR"]), users)
        self.env.update(provider.service_env())

    def start(self, target: str = "all") -> None:
        services = self.select(target)
        if target == "all" and not self.external_infra:
            Infra(self.settings, self.say).start()
        if any(s.name == "audit" for s in services):
            self.ensure_audit_key()
        self.ensure_identity()
        self.supervisor.start(services)

    def stop(self, target: str = "all") -> None:
        self.supervisor.stop(list(reversed(self.select(target))), quiet_when_stopped=True)
        if target == "all" and not self.external_infra:
            Infra(self.settings, self.say).stop()

    def status(self) -> list[Status]:
        return self.supervisor.status(list(self.services.values()))

    def audit_vkey(self) -> str:
        self.ensure_audit_key()
        return Path(f"{self.key_file}.vkey").read_text().strip()

    def environment(self) -> dict[str, str]:
        """The settings the services get (SUARA_* only)."""
        self.ensure_identity()
        return {k: v for k, v in sorted(self.env.items()) if k.startswith("SUARA_") and k != "SUARA_EXTERNAL_INFRA"}
