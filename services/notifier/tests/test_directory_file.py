"""The staff directory file: one placeholder contact for every agency in the catalogue."""

from __future__ import annotations

import tomllib

import pytest

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


def test_heads_and_the_complaint_desk_are_read_with_their_roles_and_receive_no_routine_alerts(tmp_path) -> None:
    path = tmp_path / "staff.toml"
    path.write_text(
        """
[[contact]]
agency = "DPUPR"
name = "Admin Penghubung DPUPR"
email = "penghubung.dpupr@kedirikota.example"

[[contact]]
agency = "DPUPR"
name = "Kepala DPUPR"
email = "kepala.dpupr@kedirikota.example"
role = "head"

[[contact]]
agency = "DISKOMINFO"
name = "Meja Aduan"
email = "aduan@kedirikota.example"
role = "complaint_desk"
""",
        encoding="utf-8",
    )

    directory = load_directory(path)

    assert [c.email for c in directory.contacts_for("DPUPR")] == ["penghubung.dpupr@kedirikota.example"]
    assert [c.email for c in directory.escalation_for("DPUPR")] == ["kepala.dpupr@kedirikota.example"]
    assert [c.email for c in directory.escalation_for("DLHKP")] == ["aduan@kedirikota.example"]
    assert directory.contacts_for("DISKOMINFO") == []


def test_an_unknown_role_is_refused_naming_the_contact(tmp_path) -> None:
    path = tmp_path / "staff.toml"
    path.write_text('[[contact]]\nagency = "X"\nname = "n"\nemail = "e@x.example"\nrole = "boss"\n', encoding="utf-8")

    with pytest.raises(ValueError, match=r"e@x.example: role 'boss'"):
        load_directory(path)
