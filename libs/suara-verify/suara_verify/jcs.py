"""RFC 8785 (JSON Canonicalization Scheme) serialisation, to tell whether a leaf line is exactly canonical.

Leaves are hashed as bytes, so a re-serialised line (other key order, whitespace, escapes or number spelling) changes
the tree; checking canonical form lets the verifier name the exact line instead of only a mismatching root.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

__all__ = ["NotCanonical", "canonical", "parse_canonical"]

_MAX_SAFE_INTEGER = 2**53 - 1
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class NotCanonical(ValueError):
    """The bytes are not valid JSON, or not in RFC 8785 canonical form."""


def parse_canonical(data: bytes) -> Any:
    """Parse UTF-8 JSON and require that ``data`` is exactly its RFC 8785 serialisation."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NotCanonical(f"not valid UTF-8 at byte {e.start}") from e
    try:
        value = _DECODER.decode(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise NotCanonical(f"not valid JSON: {e}") from e
    # Fast path: numbers were checked as they were parsed; for ASCII text the standard library's compact, sorted
    # output is exactly RFC 8785 (same escapes; code point order is UTF-16 order below U+E000). Anything else takes
    # the exact serialiser below. Both paths are checked against the rfc8785 package in the tests.
    try:
        fast = _ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError as e:
        raise NotCanonical("string holds a lone surrogate") from e
    if (fast == data and data.isascii()) or canonical(value) == data:
        return value
    raise NotCanonical("not in RFC 8785 canonical form (key order, whitespace, escapes or number spelling)")


def canonical(value: Any) -> bytes:
    """The RFC 8785 serialisation of a parsed JSON value."""
    out: list[str] = []
    _write(value, out)
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError as e:
        raise NotCanonical("string holds a lone surrogate") from e


def _parse_int(text: str) -> int:
    n = int(text)
    try:
        spelled = str(n) if abs(n) <= _MAX_SAFE_INTEGER else _number(float(n))
    except OverflowError as e:
        raise NotCanonical(f"number {text[:40]} is too large for JSON") from e
    if spelled != text:
        raise NotCanonical(f"number {text[:40]} is not spelled canonically")
    return n


def _parse_float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x) or _number(x) != text:
        raise NotCanonical(f"number {text} is not spelled canonically")
    return x


def _reject_constant(name: str) -> Any:
    raise NotCanonical(f"{name} is not JSON")


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        _write_string(value, out)
    elif isinstance(value, int):
        if abs(value) <= _MAX_SAFE_INTEGER:
            out.append(str(value))
        else:
            # JSON numbers are IEEE doubles in RFC 8785: a large integer is written as its double would be, so a
            # value a double cannot hold exactly never serialises back to the same text.
            try:
                out.append(_number(float(value)))
            except OverflowError as e:
                raise NotCanonical(f"integer {value} is too large for a JSON number") from e
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))):
            if i:
                out.append(",")
            _write_string(key, out)
            out.append(":")
            _write(value[key], out)
        out.append("}")
    else:
        raise NotCanonical(f"{type(value).__name__} is not a JSON value")


def _write_string(s: str, out: list[str]) -> None:
    out.append('"')
    for c in s:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')


def _number(x: float) -> str:
    """ECMAScript Number.prototype.toString, as RFC 8785 §3.2.2.3 requires."""
    if not math.isfinite(x):
        raise NotCanonical("NaN and Infinity are not JSON")
    if x == 0:
        return "0"
    plain = repr(x)
    if "e" not in plain:
        # 1e-4 <= |x| < 1e16: Python and ECMAScript pick the same shortest digits and both write them plainly,
        # except that Python marks an integral value with ".0".
        return plain[:-2] if plain.endswith(".0") else plain
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript does.
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    if not isinstance(exponent, int):
        raise NotCanonical(f"{x!r} is not a finite number")
    n = exponent + len("".join(map(str, digit_tuple)))  # position of the decimal point
    k = len(digits)
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
