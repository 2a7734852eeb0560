"""Loads the routing catalogue from the project's TOML files (agencies, categories, wilayah, places)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from suara_routing.catalogue import Agency, Category, KabupatenPlace, Kecamatan, Kelurahan, RoutingCatalogue, Rule

FILES = ("agencies.toml", "categories.toml", "wilayah.toml", "places.toml")


class CatalogueError(ValueError):
    """The catalogue files are inconsistent; the message names the file and the entry."""


def load_routing_catalogue(directory: Path) -> RoutingCatalogue:
    agencies_file, categories_file, wilayah, places = (_read(directory / name) for name in FILES)
    agencies = {
        a["code"]: Agency(a["code"], a["name"], a["kind"], bool(a.get("city_owned", False)))
        for a in agencies_file["agency"]
    }

    def agency(code: str, where: str) -> str:
        if code not in agencies:
            raise CatalogueError(f"{where} names unknown agency {code!r}")
        return code

    categories: dict[str, Category] = {}
    for c in categories_file["category"]:
        where = f"categories.toml: {c['code']}"
        if "duplicate_window_hours" not in c:
            raise CatalogueError(f"{where}: duplicate_window_hours is missing")
        responders = tuple(agency(r, f"{where}: responders") for r in c.get("responders", []))
        if c["emergency"] and not responders:
            raise CatalogueError(f"{where}: an emergency category needs responders")
        outside_responder = c.get("outside_responder", "")
        if outside_responder:
            agency(outside_responder, f"{where}: outside_responder")
        categories[c["code"]] = Category(
            code=c["code"],
            label=c["label"],
            emergency=bool(c["emergency"]),
            priority=c["priority"],
            default=Rule.make(c["rule"], agency(c["opd"], where), c["reason"]),
            overrides=tuple(
                Rule.make(o["rule"], agency(o["opd"], f"{where}: {o['rule']}"), o["reason"], tuple(o["keywords"]))
                for o in c.get("override", [])
            ),
            duplicate_window_hours=int(c["duplicate_window_hours"]),
            responders=responders,
            outside_responder=outside_responder,
            by_kecamatan=bool(c.get("by_kecamatan", False)),
        )

    ambiguous = {name.lower() for name in places.get("ambiguous_kelurahan", [])}
    extra: dict[str, list[str]] = {}
    for s in places.get("kelurahan_spelling", []):
        extra.setdefault(s.get("kelurahan") or s.get("kecamatan", ""), []).extend(s["spellings"])
    kecamatan: dict[str, Kecamatan] = {}
    kelurahan: dict[str, Kelurahan] = {}
    for kec in wilayah["kecamatan"]:
        office = agency(kec.get("office", ""), f"wilayah.toml: kecamatan {kec['name']}: office")
        kecamatan[kec["name"]] = Kecamatan(
            kec["name"], office, tuple(kec.get("aliases", [])) + tuple(extra.get(kec["name"], []))
        )
        for k in kec["kelurahan"]:
            kelurahan[k["name"]] = Kelurahan(
                name=k["name"],
                code=k["kemendagri_code"],
                kecamatan=kec["name"],
                spellings=(k["name"], *k.get("aliases", []), *extra.get(k["name"], [])),
                ambiguous=k["name"].lower() in ambiguous,
            )
    unknown = sorted(set(extra) - set(kelurahan) - set(kecamatan))
    if unknown:
        raise CatalogueError(f"places.toml: kelurahan_spelling names unknown places {unknown}")
    kabupaten_places = tuple(
        KabupatenPlace(
            name=p["name"],
            kind=p["kind"],
            kecamatan=p.get("kecamatan", ""),
            spellings=tuple(dict.fromkeys([p["name"], *p.get("spellings", [])])),
            ambiguous=bool(p.get("ambiguous", False)),
        )
        for p in places.get("kabupaten_place", [])
    )
    catalogue = RoutingCatalogue(
        agencies=agencies,
        categories=categories,
        kelurahan=kelurahan,
        kecamatan=kecamatan,
        kabupaten_places=kabupaten_places,
        kabupaten_names=tuple(places.get("kabupaten_names", [])),
    )
    agency(catalogue.coordinator_desk, "the coordinator desk")
    agency(catalogue.kabupaten_agency, "the Kabupaten Kediri agency")
    return catalogue


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise CatalogueError(f"{path}: missing (the routing catalogue needs {', '.join(FILES)})") from None
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{path}: not valid TOML: {error}") from None
