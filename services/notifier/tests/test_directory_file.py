"""The staff directory file: one placeholder contact for every agency in the catalogue."""

from __future__ import annotations

import tomllib

from suara_notifier.adapters.directory_file import load_directory


def test_every_agency_has_exactly_one_contact_with_a_non_deliverable_example_address(data_dir) -> None:
    agencies = tomllib.loads((data_dir / "agencies.toml").read_text(encoding="utf-8"))["agency"]
    directory = load_directory(data_dir / "staff.toml")

    assert len(agencies) == 41
    for agency in agencies:
        contacts = directory.contacts_for(agency["code"])
        assert len(contacts) == 1, agency["code"]
        assert contacts[0].agency == agency["code"]
        assert contacts[0].email.endswith("@kedirikota.example"), contacts[0]


def test_a_contact_is_read_with_its_name_and_email(data_dir) -> None:
    (dpupr,) = load_directory(data_dir / "staff.toml").contacts_for("DPUPR")

    assert (dpupr.name, dpupr.email) == ("Admin Penghubung DPUPR", "penghubung.dpupr@kedirikota.example")
