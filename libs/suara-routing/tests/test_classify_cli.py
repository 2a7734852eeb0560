"""`suara classify`: one JSON line out per line in, from the committed model; bad lines are named and skipped."""

from __future__ import annotations

import argparse
import io
import json

from suara_cli import classify


def run(data_dir, lines: list[str]) -> tuple[int, list[dict]]:
    out = io.StringIO()
    status = classify.run(argparse.Namespace(catalogue=data_dir), io.StringIO("\n".join(lines) + "\n"), out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def test_each_line_gets_its_classification_and_bad_lines_an_error_naming_the_line(data_dir) -> None:
    status, results = run(
        data_dir,
        [
            json.dumps({"text": "Sampah menumpuk di TPS dekat Pasar Pahing sudah tiga hari"}),
            "{not json",
            json.dumps({"text": "Ada ular kobra masuk rumah", "kelurahan": "Mrican"}),
            json.dumps({"text": "jalan rusak", "category": "nope"}),
            json.dumps({"category": "sampah"}),
        ],
    )

    assert status == 1
    assert len(results) == 5
    first = results[0]
    assert set(first) >= {
        "category",
        "opd",
        "confidence",
        "auto",
        "emergency",
        "outside_authority",
        "kelurahan",
        "alternatives",
    }
    assert first["opd"] == "DLHKP" and first["emergency"] is False and len(first["alternatives"]) == 3
    assert results[1]["line"] == 2 and "not JSON" in results[1]["error"]
    assert results[2]["emergency"] is True and results[2]["kelurahan"] == "Mrican"
    assert results[3] == {"line": 4, "error": "category: unknown category 'nope'"}
    assert results[4] == {"line": 5, "error": "text: required (a non-empty string)"}
