"""Leaves: canonical JSON with the fields of formats.md, personal data only as salted commitments."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
import rfc8785
from events import RECIPIENT, TEXT, lifecycle, received

from suara_audit.adapters.event_reader import read_event
from suara_audit.domain.leaf import Received, Source, build_leaf, commitment, event_key
from suara_verify import bundle as verifier

RECORDED = datetime(2026, 11, 20, 9, 0, 1, 123456, tzinfo=UTC)


def leaf_of(r: Received, index: int = 0):
    return build_leaf(origin="test/log", index=index, facts=read_event(r.data), received=r, recorded_at=RECORDED)


def test_a_submitted_complaint_becomes_a_canonical_leaf_with_every_field_of_the_format() -> None:
    r = received(lifecycle())[0]

    leaf, disclosures = leaf_of(r, index=7)

    document = json.loads(leaf.data)
    assert leaf.data == rfc8785.dumps(document)
    assert document["format"] == "suara-audit-leaf/v1" and document["origin"] == "test/log"
    assert document["index"] == 7 and document["sequence"] == 1 and document["event_type"] == "ComplaintSubmitted"
    assert document["status"] == {"from": None, "to": "submitted"} and document["opd"] is None
    assert document["actor"] == {"kind": "service", "id": "test", "role": None, "opd": None}
    assert document["occurred_at"] == "2026-11-20T09:00:01.000000Z"
    assert document["recorded_at"] == "2026-11-20T09:00:01.123456Z"
    assert document["source"] == {"topic": "suara.complaints.events.v1", "partition": 0, "offset": 0}
    assert document["event_sha256"] == hashlib.sha256(r.data).hexdigest()
    assert document["payload"]["category"] == "jalan_rusak" and document["payload"]["channel"] == "whatsapp"
    assert set(document["commitments"]) == {"text", "idempotency_key"} == {d.field for d in disclosures}


def test_no_personal_data_appears_in_clear_in_any_leaf() -> None:
    for r in received(lifecycle()):
        leaf, disclosures = leaf_of(r)
        text = leaf.data.decode()
        # The whole number: "0812" alone also turns up inside hex digests now and then.
        assert (
            "Merbabu" not in text
            and "0812-3456-7890" not in text
            and "081234567890" not in text
            and RECIPIENT not in text
        )
        assert all(d.value not in text for d in disclosures)


def test_each_commitment_matches_the_formula_of_formats_md_and_the_verifiers() -> None:
    leaf, disclosures = leaf_of(received(lifecycle())[0])

    committed = json.loads(leaf.data)["commitments"]
    for d in disclosures:
        assert len(d.salt) >= 16
        assert committed[d.field] == d.commitment() == verifier.commitment(d.salt, d.field, d.value)
    text = next(d for d in disclosures if d.field == "text")
    assert text.value == TEXT
    tagged = b"suara-disclosure-v1\x00" + b"\x00\x10" + text.salt + b"\x00\x00\x00\x04text"
    expected = hashlib.sha256(tagged + len(TEXT.encode()).to_bytes(4, "big") + TEXT.encode()).digest()
    assert text.commitment() == base64.urlsafe_b64encode(expected).rstrip(b"=").decode()


def test_two_leaves_of_the_same_text_use_different_salts() -> None:
    r = received(lifecycle())[0]

    assert leaf_of(r)[1][0].salt != leaf_of(r)[1][0].salt


def test_a_salt_shorter_than_16_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        commitment(b"short", "text", "x")


def test_routing_and_notification_leaves_name_the_opd_and_commit_reason_and_recipient() -> None:
    _, routed, notified = received(lifecycle())

    routed_leaf = json.loads(leaf_of(routed)[0].data)
    notified_leaf = json.loads(leaf_of(notified)[0].data)

    assert routed_leaf["status"] == {"from": "submitted", "to": "routed"} and routed_leaf["opd"] == "DPUPR"
    assert routed_leaf["payload"]["rule_id"] == "R-JALAN-01" and set(routed_leaf["commitments"]) == {"reason"}
    assert notified_leaf["status"] is None and notified_leaf["payload"]["outcome"] == "delivered"
    assert set(notified_leaf["commitments"]) == {"recipient", "detail"}


def test_bytes_that_are_no_event_are_logged_with_their_hash_and_why() -> None:
    r = Received(b"\xff\x00 not an event", Source("t", 2, 99))

    leaf, disclosures = leaf_of(r)

    document = json.loads(leaf.data)
    assert document["event_sha256"] == hashlib.sha256(r.data).hexdigest()
    assert document["payload"]["undecodable"].startswith("not a protobuf EventEnvelope")
    assert document["occurred_at"] is None and document["event_id"] == "" and disclosures == []
    assert leaf.key == "sha256:" + hashlib.sha256(r.data).hexdigest()


def test_an_envelope_that_does_not_validate_keeps_its_envelope_fields_but_not_its_id_as_key() -> None:
    from suara.v1 import events_pb2 as pb

    envelope = pb.EventEnvelope(
        event_id="7d4c5c8e-1111-4f57-9a0e-5b3a9c1d2e7f", event_type="ComplaintEscalated", schema_version=9, sequence=4
    )
    r = Received(envelope.SerializeToString(), Source("t", 0, 5))

    facts = read_event(r.data)
    leaf, _ = leaf_of(r)

    assert facts.problem is not None and "schema_version" in facts.problem
    assert json.loads(leaf.data)["event_type"] == "ComplaintEscalated"
    assert event_key(facts, r).startswith("sha256:")
