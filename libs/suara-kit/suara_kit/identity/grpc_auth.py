"""The gRPC server side of identity: every call but health and reflection must carry a valid bearer token.

The interceptor verifies `authorization: Bearer <JWT>` in the pool thread that runs the call (not in the server's
polling thread, where a slow JWKS fetch would stall every call), makes the Principal available to the handler through
`current_principal()`, and turns AccessDenied raised by the handler (see `require`) into PERMISSION_DENIED. Nothing
else the caller sends (suara-client-id, x-user, ...) has any say in who the caller is.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn

import grpc

from suara_kit.identity.keys import KeysUnavailable
from suara_kit.identity.principal import AccessDenied, Principal
from suara_kit.identity.settings import IdentitySettings
from suara_kit.identity.verifier import InvalidToken, TokenVerifier

log = logging.getLogger(__name__)

PUBLIC_METHOD_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
_current: ContextVar[Principal | None] = ContextVar("suara_principal", default=None)


class NotAuthenticated(RuntimeError):
    """Code asked for the principal where there is none: the interceptor is not installed, or the method is public."""


def current_principal() -> Principal:
    """The verified caller of the gRPC call being handled."""
    principal = _current.get()
    if principal is None:
        raise NotAuthenticated("no authenticated principal here: is the server built with the AuthInterceptor?")
    return principal


@contextlib.contextmanager
def acting_as(principal: Principal) -> Iterator[Principal]:
    """Run a block as `principal` (what the interceptor does around each call; also for servicer unit tests)."""
    previous = _current.get()
    _current.set(principal)  # set/set rather than reset: safe if a generator is closed from another context
    try:
        yield principal
    finally:
        _current.set(previous)


class AuthInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]  # grpc ships no type information
    """Authenticate every call except `public_prefixes` (health and reflection)."""

    def __init__(self, verifier: TokenVerifier, public_prefixes: Sequence[str] = PUBLIC_METHOD_PREFIXES) -> None:
        self._verifier = verifier
        self._public = tuple(public_prefixes)

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(self._public):
            return handler
        return _guarded(handler, lambda context: self._authenticate(method, context), method)

    def _authenticate(self, method: str, context: grpc.ServicerContext) -> Principal:
        tokens = [v for k, v in context.invocation_metadata() or () if k == "authorization"]
        if not tokens:
            _deny(context, grpc.StatusCode.UNAUTHENTICATED, method, None, _MISSING)
        if len(tokens) > 1:
            _deny(context, grpc.StatusCode.UNAUTHENTICATED, method, None, "several authorization headers: send one")
        value = tokens[0] if isinstance(tokens[0], str) else ""
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            _deny(context, grpc.StatusCode.UNAUTHENTICATED, method, None, _MISSING)
        try:
            return self._verifier.verify(token.strip())
        except InvalidToken as error:
            _deny(context, grpc.StatusCode.UNAUTHENTICATED, method, error.subject, str(error))
        except KeysUnavailable as error:
            log.error("cannot check a token for %s: %s", method, error)
            context.abort(
                grpc.StatusCode.UNAVAILABLE, "cannot check tokens now: the identity provider's keys are unavailable"
            )
            raise  # unreachable: abort raises


_MISSING = "missing bearer token: send metadata 'authorization: Bearer <JWT>' (CLI: suara login USER)"


def _deny(
    context: grpc.ServicerContext, code: grpc.StatusCode, method: str, subject: str | None, reason: str
) -> NoReturn:
    log.warning(
        "denied %s to %s: %s: %s",
        method,
        subject or "unauthenticated caller",
        code.name,
        reason,
        extra={"subject": subject, "method": method, "reason": reason},
    )
    context.abort(code, reason)
    raise AssertionError("context.abort returned")  # it raises; this satisfies NoReturn


def _guarded(handler: Any, authenticate: Callable[[grpc.ServicerContext], Principal], method: str) -> Any:
    """The same handler, run as the authenticated principal; AccessDenied from it becomes PERMISSION_DENIED."""

    def call(behaviour: Callable[[Any, grpc.ServicerContext], Any], request: Any, context: grpc.ServicerContext) -> Any:
        principal = authenticate(context)
        with acting_as(principal):
            try:
                return behaviour(request, context)
            except AccessDenied as error:
                _deny(context, grpc.StatusCode.PERMISSION_DENIED, method, principal.subject, str(error))

    def stream(
        behaviour: Callable[[Any, grpc.ServicerContext], Any], request: Any, context: grpc.ServicerContext
    ) -> Iterator[Any]:
        principal = authenticate(context)
        with acting_as(principal):
            try:
                responses = iter(behaviour(request, context))
            except AccessDenied as error:
                _deny(context, grpc.StatusCode.PERMISSION_DENIED, method, principal.subject, str(error))
        while True:
            # The principal is set around each step only: between steps the pool thread is grpc's again.
            with acting_as(principal):
                try:
                    response = next(responses)
                except StopIteration:
                    return
                except AccessDenied as error:
                    _deny(context, grpc.StatusCode.PERMISSION_DENIED, method, principal.subject, str(error))
            yield response

    options = {"request_deserializer": handler.request_deserializer, "response_serializer": handler.response_serializer}
    if handler.unary_unary:
        inner = handler.unary_unary
        return grpc.unary_unary_rpc_method_handler(lambda r, c: call(inner, r, c), **options)
    if handler.unary_stream:
        inner_us = handler.unary_stream
        return grpc.unary_stream_rpc_method_handler(lambda r, c: stream(inner_us, r, c), **options)
    if handler.stream_unary:
        inner_su = handler.stream_unary
        return grpc.stream_unary_rpc_method_handler(lambda r, c: call(inner_su, r, c), **options)
    inner_ss = handler.stream_stream
    return grpc.stream_stream_rpc_method_handler(lambda r, c: stream(inner_ss, r, c), **options)


def authenticating(settings: IdentitySettings) -> AuthInterceptor:
    """The interceptor for a service's settings: `start_server(..., interceptors=[authenticating(s.identity)])`."""
    return AuthInterceptor(settings.verifier())
