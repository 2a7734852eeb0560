import subprocess
from pathlib import Path

import pytest
from suara_infra.ferretdb import FIXES, POSTGRESQL_ID_FIX, SQLITE_ID_FIX, SourceFix
from suara_infra.processes import InfraError

FIX = SourceFix(file="a/b.go", before="x := 1\n", after="x := 2 // suara\n", why="test")


def source(tmp_path: Path, text: str) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/b.go").write_text(text)
    return tmp_path


def test_a_fix_changes_its_line_once(tmp_path: Path) -> None:
    root = source(tmp_path, "package a\nx := 1\ny := 1\n")
    FIX.apply(root)
    assert (root / "a/b.go").read_text() == "package a\nx := 2 // suara\ny := 1\n"


@pytest.mark.parametrize("text", ["package a\n", "x := 1\nx := 1\n"])
def test_a_fix_fails_loudly_when_its_line_is_missing_or_ambiguous(tmp_path: Path, text: str) -> None:
    with pytest.raises(InfraError, match="expected the text to change exactly once"):
        FIX.apply(source(tmp_path, text))


def test_the_postgresql_fix_compares_id_with_equality_and_keeps_the_other_filters() -> None:
    assert 'metadata.IDColumn + " = " + p.Next()' in POSTGRESQL_ID_FIX.after
    assert POSTGRESQL_ID_FIX.after.startswith(POSTGRESQL_ID_FIX.before)  # inserted at the top of filterEqual


def ferretdb_module() -> Path | None:
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    module = Path(cache) / "github.com/!ferret!d!b/!ferret!d!b@v1.24.2"
    return module if module.is_dir() else None


@pytest.mark.skipif(ferretdb_module() is None, reason="FerretDB v1.24.2 is not in the Go module cache yet")
@pytest.mark.parametrize("fix", FIXES, ids=lambda f: f.file)
def test_each_fix_matches_the_pinned_ferretdb_source_exactly_once(fix: SourceFix) -> None:
    module = ferretdb_module()
    assert module is not None
    assert (module / fix.file).read_text().count(fix.before) == 1


def test_both_backends_are_fixed() -> None:
    assert {SQLITE_ID_FIX.file, POSTGRESQL_ID_FIX.file} == {f.file for f in FIXES}
