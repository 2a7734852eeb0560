"""The ``suara-verify`` command: verify an export bundle or one receipt offline (exit 0 valid, 1 tampered, 2 malformed).

suara-verify BUNDLE --vkey KEY [--vkey KEY2] [--trusted-checkpoint FILE] [--tolerance SECONDS] [--json]
suara-verify receipt PROOF_FILE --leaf LEAF_FILE --vkey KEY [--origin ORIGIN] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from suara_verify import __version__, jcs, receipt
from suara_verify.bundle import DEFAULT_TOLERANCE_SECONDS, Verdict, verify_bundle
from suara_verify.encoding import b64encode
from suara_verify.errors import MalformedInput, VerificationError

EXIT_VALID, EXIT_TAMPERED, EXIT_MALFORMED = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["receipt"]:
        return _receipt_command(args[1:])
    return _bundle_command(args)


def _bundle_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="suara-verify",
        description="Verify an export bundle of the Suara integrity log offline. "
        "Exit 0: valid; 1: tampered (names the first bad entry index or file); 2: malformed input. "
        "To check one receipt instead: suara-verify receipt --help.",
    )
    p.add_argument("bundle", help="the export folder (entries.jsonl, checkpoints/, proofs/, manifest.note, ...)")
    _add_vkey(p)
    p.add_argument(
        "--trusted-checkpoint",
        metavar="FILE",
        help="a checkpoint you saved from an earlier verified export: the bundle must extend it (no rollback, no fork)",
    )
    p.add_argument(
        "--tolerance",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TOLERANCE_SECONDS,
        help="how far recorded_at may go backwards between entries before it counts as tampering "
        f"(default {DEFAULT_TOLERANCE_SECONDS:g})",
    )
    p.add_argument("--json", action="store_true", help="print a machine-readable verdict")
    p.add_argument("--version", action="version", version=f"suara-verify {__version__}")
    return p


def _receipt_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="suara-verify receipt",
        description="Verify a C2SP tlog-proof receipt: the leaf is in the tree of a checkpoint signed by a pinned key. "
        "Exit 0: valid; 1: does not verify; 2: malformed input.",
    )
    p.add_argument("proof", help="the receipt (.tlog-proof)")
    p.add_argument(
        "--leaf", required=True, metavar="LEAF_FILE", help="the leaf's exact bytes (one trailing newline ignored)"
    )
    _add_vkey(p)
    p.add_argument("--origin", help="require the checkpoint to be from this log origin")
    p.add_argument("--json", action="store_true", help="print a machine-readable verdict")
    return p


def _add_vkey(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--vkey",
        action="append",
        required=True,
        metavar="KEY",
        help="a pinned verifier key <name>+<key id>+<base64>, or a file holding such keys one per line; "
        "repeat for several (e.g. across a key rotation)",
    )


def _bundle_command(argv: list[str]) -> int:
    args = _bundle_parser().parse_args(argv)
    try:
        vkeys = _vkeys(args.vkey)
        trusted = None
        if args.trusted_checkpoint is not None:
            trusted = _read(args.trusted_checkpoint, "trusted checkpoint")
        verdict = verify_bundle(
            args.bundle, vkeys, trusted, args.tolerance, trusted_label=args.trusted_checkpoint or "trusted checkpoint"
        )
    except MalformedInput as e:
        return _malformed(str(e), args.json)
    if args.json:
        print(json.dumps(verdict.to_json(), indent=2))
    else:
        print(_describe(verdict))
    return verdict.exit_code


def _describe(v: Verdict) -> str:
    if v.valid:
        lines = [
            f"VALID: {v.origin}, entries {v.first_index}..{(v.size or 0) - 1} (tree size {v.size}), "
            f"root {b64encode(v.root) if v.root else '?'}",
            f"  {v.entries_verified} entries, {len(v.checkpoints)} checkpoints and {v.disclosures_verified} "
            f"disclosures verified; signed by {', '.join(v.signers)}; {v.elapsed_seconds:.2f} s",
        ]
        if v.trusted is not None:
            lines.append(f"  extends your trusted checkpoint of size {v.trusted.size}")
        lines.append(
            f"  keep {Path(v.bundle) / 'checkpoints' / f'{v.size}.checkpoint'} as --trusted-checkpoint for next time"
        )
        lines += [f"  note: {n}" for n in v.notes]
        return "\n".join(lines)
    first = v.first_problem
    assert first is not None
    lines = [f"TAMPERED: {first.describe()}"]
    lines += [f"  also: {p.describe()}" for p in v.problems[1:10]]
    hidden = len(v.problems) - 10 + v.problems_not_shown
    if hidden > 0:
        lines.append(f"  ... and {hidden} more (--json lists up to 100)")
    return "\n".join(lines)


def _receipt_command(argv: list[str]) -> int:
    args = _receipt_parser().parse_args(argv)
    try:
        vkeys = _vkeys(args.vkey)
        proof = _read(args.proof, "receipt")
        leaf = _read(args.leaf, "leaf file")
        if leaf.endswith(b"\n"):
            leaf = leaf[:-1]
        result = receipt.verify(proof, leaf, vkeys, args.origin)
        _check_leaf_claims(leaf, result)
    except MalformedInput as e:
        return _malformed(str(e), args.json)
    except VerificationError as e:
        out: dict[str, Any] = {"valid": False, "exit_code": EXIT_TAMPERED, "problem": str(e)}
        print(json.dumps(out, indent=2) if args.json else f"NOT VERIFIED: {e}")
        return EXIT_TAMPERED
    cp = result.checkpoint
    if args.json:
        out = {
            "valid": True,
            "exit_code": EXIT_VALID,
            "index": result.index,
            "origin": cp.origin,
            "size": cp.size,
            "root": b64encode(cp.root),
            "signers": result.signers,
        }
        print(json.dumps(out, indent=2))
    else:
        print(
            f"VALID: leaf {result.index} is in {cp.origin} at tree size {cp.size} "
            f"(root {b64encode(cp.root)}), signed by {', '.join(result.signers)}"
        )
    return EXIT_VALID


def _check_leaf_claims(leaf: bytes, result: receipt.VerifiedReceipt) -> None:
    """A Suara leaf also names its own index and origin: they must agree with the receipt."""
    try:
        parsed = jcs.parse_canonical(leaf)
    except jcs.NotCanonical:
        return  # not a Suara leaf; the hash already matched
    if not isinstance(parsed, dict):
        return
    if "index" in parsed and parsed["index"] != result.index:
        raise VerificationError(f"the leaf says index {parsed['index']!r}, the receipt {result.index}")
    if "origin" in parsed and parsed["origin"] != result.checkpoint.origin:
        raise VerificationError(
            f"the leaf says origin {parsed['origin']!r}, the checkpoint {result.checkpoint.origin!r}"
        )


def _vkeys(values: list[str]) -> list[str]:
    keys: list[str] = []
    for value in values:
        path = Path(value)
        if "+" not in value and path.is_file():
            text = _read(value, "verifier key file").decode("utf-8", errors="replace")
            found = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
            if not found:
                raise MalformedInput(f"verifier key file {value} holds no key")
            keys += found
        else:
            keys.append(value)
    return keys


def _read(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise MalformedInput(f"cannot read {what} {path}: {e.strerror}") from e


def _malformed(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"valid": False, "exit_code": EXIT_MALFORMED, "problem": message}, indent=2))
    else:
        print(f"MALFORMED INPUT: {message}", file=sys.stderr)
    return EXIT_MALFORMED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
