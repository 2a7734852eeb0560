"""Apache Kafka as a single-node KRaft broker on the local JDK, its jars fetched from Maven Central with Maven
(deploy/local/kafka/pom.xml), no release tarball and no Docker."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import NoReturn

from .components import Component, Say
from .probes import Outcome, kafka_ready
from .processes import InfraError, PidFile, exclusive_lock, log_tail, spawn
from .settings import InfraSettings

TOOLS_LOG4J = """\
# Logging for Kafka command-line tools run by suara-infra: warnings to stderr.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
"""


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin/java", os.X_OK):
        return str(Path(home) / "bin/java")
    found = shutil.which("java")
    if found is None:
        raise InfraError("java not found: a JDK 17+ is needed for Kafka (install one or set JAVA_HOME)")
    return found


def random_cluster_id() -> str:
    """A KRaft cluster id as Kafka's Uuid.randomUuid makes one: 16 random bytes, URL-safe base64, no padding,
    never starting with '-' (it would read as a command-line option)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class Kafka(Component):
    name = "kafka"

    def __init__(self, settings: InfraSettings) -> None:
        self.settings = settings
        self.home = settings.kafka_home
        self.lib = self.home / "lib"
        self.tools_log4j = self.home / "tools-log4j.properties"
        self.pom = settings.repo / "deploy/local/kafka/pom.xml"
        self.dir = settings.state_dir / "kafka"
        self.data = self.dir / "data"
        self.config = self.dir / "server.properties"
        self.log4j = self.dir / "log4j.properties"
        self.cluster_id_file = self.dir / "cluster.id"
        self.log = settings.log_dir / "kafka.log"
        self.out = settings.log_dir / "kafka.out.log"

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.settings.run_dir / "kafka.pid", marker=str(self.config))

    @property
    def logs(self) -> list[Path]:
        return [self.log, self.out]

    @property
    def address(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def ports(self) -> list[int]:
        return [self.settings.kafka_port, self.settings.kafka_controller_port]

    def probe(self) -> Outcome:
        return kafka_ready(self.settings.kafka_bootstrap)

    # ------------------------------------------------------------------ install

    def install_stamp(self) -> str:
        pom_hash = hashlib.sha256(self.pom.read_bytes()).hexdigest()[:16]
        return f"kafka={self.settings.kafka_version} pom={pom_hash}\n"

    def installed(self) -> bool:
        stamp = self.home / ".installed"
        return (
            stamp.is_file()
            and self.lib.is_dir()
            and self.tools_log4j.is_file()
            and stamp.read_text() == self.install_stamp()
        )

    def install(self, say: Say) -> None:
        if self.installed():
            return
        with exclusive_lock(self.settings.cache_dir / ".install.lock"):
            if not self.installed():
                self._fetch(say)

    def _fetch(self, say: Say) -> None:
        mvn = shutil.which("mvn")
        if mvn is None:
            raise InfraError("mvn not found: Maven is needed to fetch Kafka's jars from Maven Central")
        version = self.settings.kafka_version
        say(f"fetching Kafka {version} jars from Maven Central with Maven (once; about a minute) ...")
        started = time.monotonic()
        staging, target = self.home / "lib.tmp", self.home / "mvn-target"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        self.home.mkdir(parents=True, exist_ok=True)
        fetch_log = self.settings.cache_dir / f"kafka-{version}-fetch.log"
        command = [mvn, "-B", "-q", "-Dstyle.color=never", "-f", str(self.pom), f"-Dkafka.version={version}"]
        command += [f"-Dsuara.build.dir={target}", "dependency:copy-dependencies", "-DincludeScope=runtime"]
        command += [f"-DoutputDirectory={staging}"]
        with open(fetch_log, "w") as out:
            result = subprocess.run(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            raise InfraError(f"Maven could not fetch Kafka {version}; read {fetch_log}\n{log_tail(fetch_log)}")
        if not (staging / f"kafka_2.13-{version}.jar").is_file():
            raise InfraError(f"kafka_2.13-{version}.jar missing after the Maven fetch; read {fetch_log}")
        shutil.rmtree(self.lib, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(self.lib)
        self.tools_log4j.write_text(TOOLS_LOG4J)
        (self.home / ".installed").write_text(self.install_stamp())
        jars = len(list(self.lib.glob("*.jar")))
        say(f"Kafka {version} ready in {self.home} ({jars} jars, {time.monotonic() - started:.0f}s)")

    # ------------------------------------------------------------------- launch

    def tool_command(self, *args: str) -> list[str]:
        """A Kafka class run in the foreground with tool logging (warnings to stderr)."""
        return [
            java(),
            *self.settings.kafka_tool_heap_opts,
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self.tools_log4j}",
            "-cp",
            f"{self.lib}/*",
            *args,
        ]

    def run_class(self, args: list[str]) -> NoReturn:
        """`suara-infra kafka-class CLASS ARGS...`: become that Java program."""
        command = self.tool_command(*args)
        os.execv(command[0], command)

    def write_config(self) -> None:
        s = self.settings
        self.data.mkdir(parents=True, exist_ok=True)
        s.log_dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(f"""\
# Generated by deploy/local/suara_infra on every start: edits are overwritten.
# Single-node KRaft: this process is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{s.kafka_controller_port}
listeners=PLAINTEXT://127.0.0.1:{s.kafka_port},CONTROLLER://127.0.0.1:{s.kafka_controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{s.kafka_port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER

log.dirs={self.data}
metadata.log.dir={self.data}

# The application creates its topics explicitly.
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0

num.network.threads=3
num.io.threads=4
log.retention.hours=168
log.segment.bytes=268435456
""")
        self.log4j.write_text(f"""\
# Generated by deploy/local/suara_infra: broker logs go to {self.log}
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File={self.log}
log4j.appender.file.Append=true
log4j.appender.file.MaxFileSize=50MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=INFO
log4j.logger.kafka.log.LogCleaner=INFO
""")

    def cluster_id(self) -> str:
        """The id this state dir's cluster was formatted with (kept in cluster.id), or a new one."""
        if self.cluster_id_file.is_file() and self.cluster_id_file.read_text().strip():
            return self.cluster_id_file.read_text().strip()
        meta = self.data / "meta.properties"
        if meta.is_file():
            for line in meta.read_text().splitlines():
                if line.startswith("cluster.id="):
                    return line.removeprefix("cluster.id=").strip()
        return random_cluster_id()

    def launch(self, say: Say) -> int:
        self.install(say)
        self.write_config()
        cluster_id = self.cluster_id()
        self.cluster_id_file.write_text(cluster_id + "\n")
        if not (self.data / "meta.properties").is_file():
            say(f"formatting Kafka storage in {self.data} (cluster id {cluster_id})")
            command = ["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self.config)]
            with open(self.out, "ab") as out:
                result = subprocess.run(
                    self.tool_command(*command, "--ignore-formatted"),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            if result.returncode != 0:
                raise InfraError(f"formatting Kafka storage failed; read {self.out}\n{log_tail(self.out)}")
        s = self.settings
        say(f"starting Kafka {s.kafka_version} on {s.kafka_bootstrap} (controller :{s.kafka_controller_port})")
        with open(self.out, "a") as out:
            out.write(f"\n==== {datetime.now().astimezone().isoformat()} starting Kafka {s.kafka_version} ====\n")
        command = [
            java(),
            *s.kafka_heap_opts,
            "-server",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{self.log4j}",
            f"-Dkafka.logs.dir={s.log_dir}",
            "-cp",
            f"{self.lib}/*",
            "kafka.Kafka",
            str(self.config),
        ]
        return spawn(command, self.pid_file, self.out)
