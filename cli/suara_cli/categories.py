"""`suara categories`: the complaint category codes with their name, default OPD and priority, read from the
catalogue files (no services needed)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from suara_routing.catalogue_files import CatalogueError, load_routing_catalogue

# The repository's catalogue (an editable install runs from the checkout): cli/suara_cli/categories.py -> repo root.
REPOSITORY_CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "kota-kediri"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "categories", help="list the category codes (name, OPD, priority) for `suara submit --category`"
    )
    parser.add_argument(
        "--catalogue",
        type=Path,
        default=Path(os.environ.get("SUARA_CATALOGUE_DIR", REPOSITORY_CATALOGUE)),
        help="catalogue folder holding the TOML files (default: $SUARA_CATALOGUE_DIR or the repository's)",
    )
    parser.add_argument("--json", action="store_true", help="a JSON array on stdout, for scripts")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr  # read at call time (tests capture them)
    try:
        catalogue = load_routing_catalogue(args.catalogue)
    except CatalogueError as error:
        print(f"suara categories: {error}", file=err)
        return 2
    rows: list[dict[str, Any]] = [
        {
            "code": c.code,
            "name": c.label,
            "opd": c.default.agency_code,
            "opd_name": catalogue.agencies[c.default.agency_code].name,
            "priority": c.priority,
            "emergency": c.emergency,
            # Other OPDs the category's keyword overrides (or the kelurahan's kecamatan office) may route to.
            "other_opds": sorted({r.agency_code for r in c.overrides} - {c.default.agency_code}),
            "by_kecamatan": c.by_kecamatan,
        }
        for c in sorted(catalogue.categories.values(), key=lambda c: c.code)
    ]
    if args.json:
        out.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    header = ("code", "name", "OPD", "priority", "notes")
    table = [
        (
            r["code"],
            r["name"],
            r["opd"],
            r["priority"],
            "; ".join(
                note
                for note in (
                    "emergency (112)" if r["emergency"] else "",
                    "kecamatan office of the kelurahan" if r["by_kecamatan"] else "",
                    f"by keyword also {', '.join(r['other_opds'])}" if r["other_opds"] else "",
                )
                if note
            ),
        )
        for r in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *table, strict=False)]
    for line in (header, *table):
        out.write("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() + "\n")
    out.write(f"{len(rows)} categories from {args.catalogue / 'categories.toml'}\n")
    return 0
