"""A stock gRPC client works without the .proto files: reflection, the standard health check, a real call."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from harness import ADDRESSES, REPO, Stack, token

pytestmark = pytest.mark.integration
GRPCURL = REPO / ".cache/bin/grpcurl"


def grpcurl(*args: str) -> str:
    result = subprocess.run([str(GRPCURL), "-plaintext", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module", autouse=True)
def needs_grpcurl() -> None:
    if not Path(GRPCURL).exists():
        pytest.fail(f"{GRPCURL} is missing: `make integration` builds it (go install, see Makefile target 'tools')")


@pytest.mark.parametrize("service", sorted(ADDRESSES))
def test_every_grpc_server_answers_the_standard_health_check_with_serving(stack: Stack, service: str) -> None:
    reply = json.loads(grpcurl(ADDRESSES[service], "grpc.health.v1.Health/Check"))
    assert reply == {"status": "SERVING"}


def test_grpcurl_lists_the_services_through_reflection(stack: Stack) -> None:
    assert set(grpcurl(ADDRESSES["intake"], "list").split()) >= {"suara.v1.ComplaintService", "grpc.health.v1.Health"}
    assert "suara.v1.AuditService" in grpcurl(ADDRESSES["audit"], "list").split()
    described = grpcurl(ADDRESSES["intake"], "describe", "suara.v1.ComplaintService")
    assert "rpc SubmitComplaint" in described and "rpc TraceComplaint" in described


def test_grpcurl_submits_a_complaint_without_proto_files(stack: Stack) -> None:
    request = {
        "idempotencyKey": f"grpcurl-{uuid.uuid4()}",
        "text": "Ada ular kobra masuk dapur rumah kami, tolong dievakuasi.",
        "category": "hewan_liar",
        "kelurahan": "Sukorame",
        "sourceChannel": "SOURCE_CHANNEL_PHONE_112",
    }
    bearer = f"authorization: Bearer {token('integrator-112')}"
    reply = json.loads(
        grpcurl(
            "-H", bearer, "-d", json.dumps(request), ADDRESSES["intake"], "suara.v1.ComplaintService/SubmitComplaint"
        )
    )
    # grpcurl prints the .proto field names
    assert uuid.UUID(reply["complaint_id"])
    assert reply["tracking_number"].startswith("KDR-")


SUBMIT_METHOD = "suara.v1.ComplaintService/SubmitComplaint"


def test_grpcurl_without_a_token_is_unauthenticated(stack: Stack) -> None:
    request = {"idempotencyKey": f"grpcurl-{uuid.uuid4()}", "text": "x", "sourceChannel": "SOURCE_CHANNEL_WALK_IN"}
    result = subprocess.run(
        [
            str(GRPCURL),
            "-plaintext",
            "-d",
            json.dumps(request),
            ADDRESSES["intake"],
            "suara.v1.ComplaintService/SubmitComplaint",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode != 0
    assert "Unauthenticated" in result.stdout + result.stderr
