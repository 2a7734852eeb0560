"""What text intake accepts from a caller, and how an error message may repeat it.

Everything here runs in time linear in the input, and lengths are checked before any pattern: one request must
never be able to stall intake (a backtracking e-mail regex once took 5.5 s on `a@` + `a.` * 16000 + `@`).
"""

from __future__ import annotations

import unicodedata

# How much of a bad value an error message repeats: enough to recognise it, never enough to overflow the
# trailing metadata the status travels in (a 100 KB echo came back to the client as RESOURCE_EXHAUSTED).
QUOTE_MAX = 40
ALLOWED_CONTROLS = frozenset("\n\t\r")  # a carriage return becomes a newline


class UnacceptableText(ValueError):
    """The text holds a character intake refuses to record; the message names it and where it is."""


def quoted(value: str, limit: int = QUOTE_MAX) -> str:
    """`value` as a Python literal, cut to its first `limit` characters with '…' after a cut: safe to put in an
    error message whatever the caller sent (control characters come out escaped)."""
    if len(value) <= limit:
        return repr(value)
    return repr(value[:limit]) + "…"


def normalise(value: str) -> str:
    """Unicode NFC, line ends as '\\n', and no invisible format characters (zero-width spaces and joiners, bidi
    overrides, byte-order marks: Unicode category Cf), which would otherwise reach the permanent log and the
    OPD's mail looking like something they are not. Other control characters (NUL, BEL, ESC …) are refused,
    not stripped: a text that carries them was mangled on its way here and the caller should know."""
    for position, character in enumerate(value):  # positions as the caller counts them
        if character not in ALLOWED_CONTROLS and unicodedata.category(character) == "Cc":
            raise UnacceptableText(
                f"contains the control character U+{ord(character):04X} at position {position} "
                "(only newlines and tabs are allowed)"
            )
    text = "".join(c for c in value.replace("\r\n", "\n").replace("\r", "\n") if unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", text)


def is_email_address(value: str) -> bool:
    """A plausible address (RFC 5321 lengths: 64 for the local part, 254 in all): one '@', no whitespace, a
    domain of non-empty dot-separated labels with at least one dot. String methods only, no pattern, so the
    time is linear in the input whatever it holds."""
    if len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not local or len(local) > 64 or any(c.isspace() for c in value):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(0 < len(label) <= 63 for label in labels)
