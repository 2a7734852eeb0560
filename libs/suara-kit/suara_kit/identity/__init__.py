"""Identity for every Suara gRPC service and the CLI: OIDC bearer tokens (JWT) verified with PyJWT, the Principal
they name, role and scope checks, and the gRPC interceptor that authenticates each call. See docs/identity.md.

A service: `start_server(address, services, interceptors=[authenticating(settings.identity)])`, with
`identity: IdentitySettings = IdentitySettings.from_env(env)` in its settings; a handler: `require(current_principal(),
[Role.OFFICER, Role.HEAD], opd=complaint.opd, action="acknowledge")`. `suara_kit.identity.dev` is the development
identity provider (never imported here: production does not load it).
"""

from suara_kit.identity.claims import ClaimsError, ClaimsMapping
from suara_kit.identity.grpc_auth import (
    PUBLIC_METHOD_PREFIXES,
    AuthInterceptor,
    NotAuthenticated,
    acting_as,
    authenticating,
    current_principal,
)
from suara_kit.identity.keys import JwksFileKeys, JwksUrlKeys, KeySource, KeysUnavailable, PemFileKeys, UnknownKey
from suara_kit.identity.principal import OPD_SCOPED_ROLES, AccessDenied, Principal, Role, may_see, require
from suara_kit.identity.settings import DEFAULT_AUDIENCE, IdentitySettings
from suara_kit.identity.verifier import SUPPORTED_ALGORITHMS, InvalidToken, TokenVerifier

__all__ = [
    "DEFAULT_AUDIENCE",
    "OPD_SCOPED_ROLES",
    "PUBLIC_METHOD_PREFIXES",
    "SUPPORTED_ALGORITHMS",
    "AccessDenied",
    "AuthInterceptor",
    "ClaimsError",
    "ClaimsMapping",
    "IdentitySettings",
    "InvalidToken",
    "JwksFileKeys",
    "JwksUrlKeys",
    "KeySource",
    "KeysUnavailable",
    "NotAuthenticated",
    "PemFileKeys",
    "Principal",
    "Role",
    "TokenVerifier",
    "UnknownKey",
    "acting_as",
    "authenticating",
    "current_principal",
    "may_see",
    "require",
]
