"""An auditor's verification catches a change made directly in the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from bson.binary import Binary
from harness import ADDRESSES, Stack, submit, trace_types, wait_until

from suara.v1 import complaints_pb2_grpc
from suara_cli.main import main as suara

pytestmark = pytest.mark.integration


def test_changing_one_byte_of_one_audit_entry_in_the_store_fails_verification_naming_its_position(
    stack: Stack,
    complaints: complaints_pb2_grpc.ComplaintServiceStub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(3):
        receipt = submit(
            complaints, f"Jukir di Jl. Stasiun minta Rp5.000 tanpa karcis ({n}).", "parkir_liar", "Kaliombo"
        )
    wait_until(lambda: trace_types(complaints, receipt.complaint_id)[-1:] == ["StaffNotified"], 60, "processing")
    stack.quiesce()
    audit = stack.database.audit_log
    count = audit.count_documents({})
    position = count // 2
    original = bytes(audit.find_one({"position": position})["record"])
    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 0x01
    audit.update_one({"position": position}, {"$set": {"record": Binary(bytes(tampered))}})
    try:
        out = tmp_path / "export"
        assert suara(["--audit", ADDRESSES["audit"], "audit", "export", "--out", str(out)]) == 0
        capsys.readouterr()
        assert suara(["audit", "verify", str(out)]) == 1
        assert f"first bad position {position}:" in capsys.readouterr().err
    finally:
        audit.update_one({"position": position}, {"$set": {"record": Binary(original)}})
    intact = tmp_path / "intact"
    assert suara(["--audit", ADDRESSES["audit"], "audit", "export", "--out", str(intact)]) == 0
    assert suara(["audit", "verify", str(intact)]) == 0
