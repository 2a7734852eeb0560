"""FerretDB v1.24.2 (the MongoDB wire protocol on PostgreSQL or SQLite), built with `go install` from the Go module
proxy, with Suara's two `_id` fixes applied to its source (docs/decisions/0001 and 0110)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .components import Component, Say
from .postgres import Postgres
from .probes import Outcome, mongo_ping
from .processes import InfraError, PidFile, exclusive_lock, log_tail, spawn
from .settings import InfraSettings


@dataclass(frozen=True)
class SourceFix:
    """One exact edit of FerretDB's source: `before` must occur exactly once in `file`."""

    file: str
    before: str
    after: str
    why: str

    def apply(self, source_root: Path) -> None:
        path = source_root / self.file
        text = path.read_text()
        found = text.count(self.before)
        if found != 1:
            raise InfraError(
                f"FerretDB fix: expected the text to change exactly once in {path}, found it {found} times "
                "(another FerretDB version needs its own fix; see deploy/local/suara_infra/ferretdb.py)"
            )
        path.write_text(text.replace(self.before, self.after))


# v1.24's SQLite backend creates the unique _id index on the expression _ferretdb_sjson->"_id" but filters _id
# lookups and updates on _ferretdb_sjson->'$._id'. SQLite matches index expressions by their text, so it never used
# the index (85 ms per lookup at 18,000 documents; 0.5 ms with the fix). Data files and indexes are unchanged.
SQLITE_ID_FIX = SourceFix(
    file="internal/backends/sqlite/metadata/metadata.go",
    before="IDColumn = DefaultColumn + \"->'$._id'\"",
    after="IDColumn = DefaultColumn + \"->'_id'\" // suara: match the _id index expression",
    why="SQLite backend: _id lookups use the _id index",
)

# v1.24's PostgreSQL backend filters equality with containment, `_jsonb->$1 @> $2`, while the unique _id index is a
# btree on (_jsonb->'_id'); a btree serves `=`, never `@>`, so every lookup by _id was a sequential scan. For a
# scalar _id (it is never an array) containment is equality, so `_jsonb->'_id' = $1` finds the same documents, through
# the index; FerretDB filters every fetched document again in Go anyway. Other fields keep their original filter.
POSTGRESQL_ID_FIX = SourceFix(
    file="internal/backends/postgresql/query.go",
    before=("func filterEqual(p *metadata.Placeholder, k any, v any, operator string) (filter string, args []any) {\n"),
    after=(
        "func filterEqual(p *metadata.Placeholder, k any, v any, operator string) (filter string, args []any) {\n"
        "\t// suara: compare a scalar _id with = so the unique btree index on (_jsonb->'_id') is used; it cannot\n"
        "\t// serve the containment operator @> below, so every lookup by _id was a sequential scan.\n"
        '\tif k == "_id" && operator == "->" {\n'
        "\t\tswitch v := v.(type) {\n"
        "\t\tcase string, types.ObjectID, time.Time:\n"
        '\t\t\treturn metadata.IDColumn + " = " + p.Next(), []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}\n'
        "\t\tcase bool, int32:\n"
        '\t\t\treturn metadata.IDColumn + " = " + p.Next(), []any{v}\n'
        "\t\t}\n"
        "\t}\n\n"
    ),
    why="PostgreSQL backend: _id equality uses the _id index",
)

FIXES = (SQLITE_ID_FIX, POSTGRESQL_ID_FIX)
# A new set of fixes gets a new level, so cached binaries are rebuilt.
FIX_LEVEL = "suara2"


def go_environment() -> dict[str, str]:
    # -buildvcs=false: the copied source sits inside this repository's work tree, whose commit must not be stamped
    # into FerretDB's build info. Module and build caches stay at Go's defaults so other checkouts reuse them.
    return {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=mod -buildvcs=false",
        "GOWORK": "off",
        "CGO_ENABLED": "0",
    }


def build(version: str, binary: Path, work_dir: Path, say: Say, fixes: tuple[SourceFix, ...] = FIXES) -> None:
    """Build FerretDB `version` into `binary` with `fixes` applied.

    Plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@VERSION` does not work: it asks the module proxy for
    FerretDB's version list (a deprecation check the proxy refuses for this module), and the binary panics at start
    because it embeds build/version/version.txt, which FerretDB's release tooling generates and the module zip lacks.
    So: download exactly that module version, copy its source, add version.txt, apply the fixes, and `go install
    ./cmd/ferretdb` there as the main module (FerretDB's own go.mod/go.sum pin every dependency).
    """
    go = shutil.which("go")
    if go is None:
        raise InfraError("go not found: Go 1.22+ is needed to build FerretDB")
    env = go_environment()
    module = f"github.com/FerretDB/FerretDB@{version}"
    downloaded = subprocess.run(
        [go, "mod", "download", "-json", module], cwd="/", env=env, capture_output=True, text=True, check=False
    )
    if downloaded.returncode != 0:
        raise InfraError(f"could not download {module} from the Go module proxy:\n{downloaded.stderr.strip()}")
    module_dir = Path(json.loads(downloaded.stdout).get("Dir", ""))
    if not (module_dir / "go.mod").is_file():
        raise InfraError(f"go mod download did not report a module directory for {module}")

    source = work_dir / f"ferretdb-{version}-src"
    gobin = work_dir / f".gobin-{os.getpid()}"
    shutil.rmtree(source, ignore_errors=True)
    shutil.rmtree(gobin, ignore_errors=True)
    shutil.copytree(module_dir, source)
    for path in [source, *source.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
    (source / "build/version/version.txt").write_text(version + "\n")
    for fix in fixes:
        fix.apply(source)
        say(f"applied Suara's fix to FerretDB: {fix.why}")
    build_log = work_dir / f"ferretdb-{version}-build.log"
    with open(build_log, "w") as out:
        result = subprocess.run(
            [go, "install", "./cmd/ferretdb"],
            cwd=source,
            env={**env, "GOBIN": str(gobin)},
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    try:
        if result.returncode != 0:
            raise InfraError(f"building FerretDB {version} failed; read {build_log}\n{log_tail(build_log)}")
        check = subprocess.run([str(gobin / "ferretdb"), "--version"], capture_output=True, check=False)
        if check.returncode != 0:
            raise InfraError(f"the built ferretdb binary does not run: {check.stderr.decode(errors='replace')}")
        binary.parent.mkdir(parents=True, exist_ok=True)
        (gobin / "ferretdb").replace(binary)
    finally:
        shutil.rmtree(gobin, ignore_errors=True)
        shutil.rmtree(source, ignore_errors=True)


class FerretDB(Component):
    name = "ferretdb"

    def __init__(self, settings: InfraSettings, postgres: Postgres) -> None:
        self.settings = settings
        self.postgres = postgres
        self.dir = settings.state_dir / "ferretdb"
        self.state = self.dir / "state"
        self.sqlite_data = self.dir / "data"
        self.log = settings.log_dir / "ferretdb.log"
        self.binary = settings.cache_dir / "bin" / f"ferretdb-{settings.ferretdb_version}-{FIX_LEVEL}"

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.settings.run_dir / "ferretdb.pid", marker=f"--state-dir={self.state}")

    @property
    def logs(self) -> list[Path]:
        return [self.log]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.settings.ferretdb_port}"

    @property
    def ports(self) -> list[int]:
        return [self.settings.ferretdb_port]

    def probe(self) -> Outcome:
        return mongo_ping(self.settings.mongo_url)

    def install(self, say: Say) -> None:
        if os.access(self.binary, os.X_OK):
            return
        with exclusive_lock(self.settings.cache_dir / ".install.lock"):
            if os.access(self.binary, os.X_OK):
                return
            version = self.settings.ferretdb_version
            say(f"building FerretDB {version} with go install (once; a few minutes) ...")
            started = time.monotonic()
            build(version, self.binary, self.settings.cache_dir, say)
            say(f"FerretDB {version} ready at {self.binary} ({time.monotonic() - started:.0f}s)")

    def launch(self, say: Say) -> int:
        self.install(say)
        s = self.settings
        self.state.mkdir(parents=True, exist_ok=True)
        debug = f"127.0.0.1:{s.ferretdb_debug_port}" if s.ferretdb_debug_port else "-"
        if s.backend == "postgresql":
            backend = ["--handler=postgresql", f"--postgresql-url={self.postgres.url}"]
        else:
            self.sqlite_data.mkdir(parents=True, exist_ok=True)
            backend = ["--handler=sqlite", f"--sqlite-url=file:{self.sqlite_data}/"]
        say(f"starting FerretDB {s.ferretdb_version} ({s.backend}) on {self.address}")
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "a") as out:
            out.write(f"\n==== {datetime.now().astimezone().isoformat()} starting FerretDB ({s.backend}) ====\n")
        command = [
            str(self.binary),
            *backend,
            f"--state-dir={self.state}",
            f"--listen-addr={self.address}",
            f"--debug-addr={debug}",
            "--telemetry=disable",
            "--log-level=info",
            "--log-format=text",
        ]
        return spawn(command, self.pid_file, self.log)
