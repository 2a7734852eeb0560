"""The AuthInterceptor over a real in-process gRPC server: UNAUTHENTICATED without a valid token, PERMISSION_DENIED
from `require`, the principal visible to the handler, health and reflection open, every denial logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from test_identity_keys import AUDIENCE, ISSUER, Issuer, JwksServer, write_jwks

from suara_kit.grpc_server import RunningServer, Service, start_server
from suara_kit.identity import (
    AuthInterceptor,
    JwksFileKeys,
    JwksUrlKeys,
    NotAuthenticated,
    Role,
    TokenVerifier,
    current_principal,
    require,
)

SERVICE = "suara.test.Probe"


def who(request: bytes, context: grpc.ServicerContext) -> bytes:
    p = current_principal()
    return f"{p.subject}|{p.display_name}|{p.role.value}|{p.opd}".encode()


def acknowledge(request: bytes, context: grpc.ServicerContext) -> bytes:
    """Acts on a complaint of the OPD named in the request."""
    require(current_principal(), [Role.OFFICER, Role.HEAD], opd=request.decode(), action="acknowledge")
    return b"acknowledged"


def watch(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
    for n in range(3):
        yield f"{n}:{current_principal().subject}".encode()
    require(current_principal(), [Role.COORDINATOR], action="watch the desk")
    yield b"desk"


def probe_service() -> Service:
    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Who": grpc.unary_unary_rpc_method_handler(who),
            "Acknowledge": grpc.unary_unary_rpc_method_handler(acknowledge),
            "Watch": grpc.unary_stream_rpc_method_handler(watch),
        },
    )
    return Service(SERVICE, lambda server: server.add_generic_rpc_handlers((handler,)))


@pytest.fixture
def issuer() -> Issuer:
    return Issuer("EdDSA")


@pytest.fixture
def server(issuer: Issuer, tmp_path: Path) -> Iterator[RunningServer]:
    verifier = TokenVerifier(JwksFileKeys(write_jwks(tmp_path / "jwks.json", issuer)), issuer=ISSUER, audience=AUDIENCE)
    running = start_server("127.0.0.1:0", [probe_service()], max_workers=4, interceptors=[AuthInterceptor(verifier)])
    running.mark_serving()
    yield running
    running.stop(grace_seconds=0)


@pytest.fixture
def channel(server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel


def call(channel: grpc.Channel, method: str, request: bytes = b"", token: str | None = None, **extra: str) -> Any:
    metadata = [("authorization", f"Bearer {token}")] if token else []
    metadata += list(extra.items())
    return channel.unary_unary(f"/{SERVICE}/{method}")(request, metadata=metadata, timeout=10)


def refused(channel: grpc.Channel, method: str, request: bytes = b"", **kwargs: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        call(channel, method, request, **kwargs)
    return error.value


def test_the_handler_sees_the_principal_the_token_names(channel: grpc.Channel, issuer: Issuer) -> None:
    assert call(channel, "Who", token=issuer.token()) == (
        b"7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80|Agus Prasetyo|officer|DPUPR"
    )


def test_a_call_without_a_token_is_unauthenticated_saying_how_to_send_one(channel: grpc.Channel) -> None:
    error = refused(channel, "Who")

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details().startswith("missing bearer token: send metadata 'authorization: Bearer <JWT>'")


def test_headers_the_caller_sets_do_not_decide_identity(channel: grpc.Channel) -> None:
    error = refused(channel, "Who", **{"x-suara-subject": "coordinator", "suara-client-id": "suara-cli"})
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_basic_authorization_header_is_not_a_bearer_token(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as error:
        channel.unary_unary(f"/{SERVICE}/Who")(b"", metadata=[("authorization", "Basic YWRtaW46YWRtaW4=")], timeout=10)
    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("token_overrides", "reason"),
    [
        ({"exp": 1_700_000_000, "iat": 1_699_990_000}, "token expired at 2023-11-14T22:13:20+00:00"),
        ({"aud": "account"}, "wrong audience"),
        ({"iss": "https://evil.example"}, "wrong issuer"),
        ({"suara_role": None}, "missing role"),
    ],
)
def test_an_invalid_token_is_unauthenticated_naming_what_is_wrong(
    channel: grpc.Channel, issuer: Issuer, token_overrides: dict[str, Any], reason: str
) -> None:
    error = refused(channel, "Who", token=issuer.token(**token_overrides))

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert reason in error.details()


def test_a_token_of_an_unknown_key_is_unauthenticated_and_leaks_no_key_material(
    channel: grpc.Channel, issuer: Issuer
) -> None:
    error = refused(channel, "Who", token=Issuer("EdDSA", kid="intruder").token())

    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "unknown key id 'intruder'"
    assert issuer.jwk["x"] not in error.details()


def test_an_officer_acts_on_a_complaint_of_their_own_opd(channel: grpc.Channel, issuer: Issuer) -> None:
    assert call(channel, "Acknowledge", b"DPUPR", token=issuer.token()) == b"acknowledged"


def test_an_officer_of_another_opd_is_denied_naming_role_and_scope(channel: grpc.Channel, issuer: Issuer) -> None:
    error = refused(channel, "Acknowledge", b"DLHKP", token=issuer.token())

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == "acknowledge is for DLHKP's staff; you are officer of DPUPR"


def test_a_role_that_may_not_act_is_denied_naming_the_roles_that_may(channel: grpc.Channel, issuer: Issuer) -> None:
    token = issuer.token(suara_role="integrator", suara_opd=None, suara_integrator="web-portal")
    error = refused(channel, "Acknowledge", b"DPUPR", token=token)

    assert error.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == "acknowledge needs role officer or head; you are integrator web-portal"


def test_a_stream_runs_as_the_principal_and_a_denial_mid_stream_ends_it(channel: grpc.Channel, issuer: Issuer) -> None:
    replies = channel.unary_stream(f"/{SERVICE}/Watch")(
        b"", metadata=[("authorization", f"Bearer {issuer.token()}")], timeout=10
    )
    received = []
    with pytest.raises(grpc.RpcError) as error:
        for reply in replies:
            received.append(reply)

    assert received == [f"{n}:7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80".encode() for n in range(3)]
    assert error.value.code() is grpc.StatusCode.PERMISSION_DENIED
    assert error.value.details() == "watch the desk needs role coordinator; you are officer of DPUPR"


def test_a_stream_without_a_token_is_unauthenticated(channel: grpc.Channel) -> None:
    with pytest.raises(grpc.RpcError) as error:
        list(channel.unary_stream(f"/{SERVICE}/Watch")(b"", timeout=10))
    assert error.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_health_and_reflection_answer_without_a_token(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    listing = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
    )

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert SERVICE in [s.name for s in next(listing).list_services_response.service]


def test_every_denial_is_logged_with_subject_method_and_reason(
    channel: grpc.Channel, issuer: Issuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="suara_kit.identity.grpc_auth")

    refused(channel, "Who")
    refused(channel, "Acknowledge", b"DLHKP", token=issuer.token())

    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"denied /{SERVICE}/Who to unauthenticated caller: UNAUTHENTICATED: missing bearer token: send metadata"
        " 'authorization: Bearer <JWT>' (CLI: suara login USER)",
        f"denied /{SERVICE}/Acknowledge to 7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80: PERMISSION_DENIED:"
        " acknowledge is for DLHKP's staff; you are officer of DPUPR",
    ]
    assert caplog.records[1].__dict__["subject"] == "7f3c9a52-1d7e-4f0e-9b8a-2c1e5d6f7a80"


def test_an_unreachable_identity_provider_makes_calls_unavailable_not_unauthenticated(issuer: Issuer) -> None:
    jwks = JwksServer({"keys": [issuer.jwk]})
    url = jwks.url
    jwks.close()
    verifier = TokenVerifier(JwksUrlKeys(url, timeout_seconds=1), issuer=ISSUER, audience=AUDIENCE)
    running = start_server("127.0.0.1:0", [probe_service()], max_workers=2, interceptors=[AuthInterceptor(verifier)])
    try:
        with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            error = refused(channel, "Who", token=issuer.token())
    finally:
        running.stop(grace_seconds=0)

    assert error.code() is grpc.StatusCode.UNAVAILABLE
    assert error.details() == "cannot check tokens now: the identity provider's keys are unavailable"


def test_the_principal_is_not_available_outside_a_call() -> None:
    with pytest.raises(NotAuthenticated, match="AuthInterceptor"):
        current_principal()
