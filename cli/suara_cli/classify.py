"""`suara classify`: triage complaint texts offline, one JSON object per line in, one JSON line per input out,
from the routing model and the catalogue files only (no services, no store)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from suara_routing.artefact import load_routing
from suara_routing.catalogue_files import CatalogueError
from suara_routing.decision import Classification, TextRouter, UnknownCategory, UnknownKelurahan
from suara_routing.model import ModelError

# The repository's catalogue (an editable install runs from the checkout): cli/suara_cli/classify.py -> repo root.
REPOSITORY_CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "kota-kediri"


def add_parser(commands: Any) -> None:
    classify = commands.add_parser(
        "classify",
        help="classify complaint texts offline (JSON lines on stdin: text, optional category and kelurahan)",
        description=__doc__,
    )
    classify.add_argument(
        "--catalogue",
        type=Path,
        default=Path(os.environ.get("SUARA_CATALOGUE_DIR", REPOSITORY_CATALOGUE)),
        help="catalogue folder holding the TOML files and model/ (default: $SUARA_CATALOGUE_DIR or the repository's)",
    )


def run(args: argparse.Namespace, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    try:
        router = load_routing(args.catalogue).router
    except (ModelError, CatalogueError, FileNotFoundError) as error:
        print(f"suara classify: {error}", file=sys.stderr)
        return 2
    failed = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            result = as_json(classify_line(router, line))
        except InvalidLine as error:
            failed += 1
            result = {"line": number, "error": str(error)}
            print(f"suara classify: line {number}: {error}", file=sys.stderr)
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 1 if failed else 0


class InvalidLine(ValueError):
    pass


def classify_line(router: TextRouter, line: str) -> Classification:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidLine(f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise InvalidLine("expected a JSON object with a 'text' field")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidLine("text: required (a non-empty string)")
    category, kelurahan = record.get("category"), record.get("kelurahan")
    for name, value in (("category", category), ("kelurahan", kelurahan)):
        if value is not None and not isinstance(value, str):
            raise InvalidLine(f"{name}: must be a string or absent")
    try:
        return router.classify(text, category or None, kelurahan or None)
    except (UnknownCategory, UnknownKelurahan) as error:
        field = "category" if isinstance(error, UnknownCategory) else "kelurahan"
        raise InvalidLine(f"{field}: {error}") from None


def as_json(c: Classification) -> dict[str, Any]:
    return {
        "category": c.category,
        "opd": c.opd,
        "confidence": c.confidence,
        "auto": c.auto,
        "emergency": c.emergency,
        "outside_authority": c.outside_authority,
        "kelurahan": c.kelurahan,
        "alternatives": [{"category": a.category, "opd": a.opd, "score": a.score} for a in c.alternatives],
        "needs_coordinator": c.needs_coordinator,
        "responders": list(c.responders),
        "model_category": c.model_category,
        "top_terms": list(c.top_terms),
        "model_version": c.model_version,
    }
