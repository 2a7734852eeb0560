"""Strict decoders shared by the formats: canonical base64 and ASCII decimals without leading zeros."""

from __future__ import annotations

import base64
import binascii
import re

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")


def b64decode(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4) with padding, rejecting any other spelling of the same bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"{what} is not valid base64") from e
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError(f"{what} is not canonical base64")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64url_nopad(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_nopad_decode(text: str, what: str) -> bytes:
    """base64url without padding (RFC 4648 §5), rejecting any other spelling of the same bytes."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"{what} is not valid base64url") from e
    # The decoder skips characters outside the alphabet; encoding back catches them, padding and loose bits.
    if b64url_nopad(raw) != text:
        raise ValueError(f"{what} is not canonical unpadded base64url")
    return raw


def decimal(text: str, what: str) -> int:
    """A non-negative ASCII decimal without leading zeros (``0`` itself allowed), at most 20 digits."""
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"{what} is not a decimal without leading zeros: {text[:40]!r}")
    return int(text)
