"""`suara audit ...`: the auditors' commands. Export, receipts and erasure talk to the audit service over gRPC with
the stored token (`suara login auditor` first; erasure is the coordinator's); `verify` is suara-verify's own offline
check and needs no token (this module imports nothing of the audit service, so an auditor needs only suara-verify to
check what they were given)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import grpc

from suara.v1 import audit_pb2, audit_pb2_grpc
from suara_cli import login
from suara_verify import checkpoint as checkpoints
from suara_verify import cli as suara_verify
from suara_verify.errors import VerificationError

EXIT_MALFORMED = 2


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="the integrity log").add_subparsers(dest="audit_command", required=True)
    export = audit.add_parser("export", help="write an export bundle (see docs/audit/formats.md)")
    export.add_argument("--out", type=Path, required=True, help="a new or empty folder")
    export.add_argument(
        "--since-checkpoint",
        type=Path,
        metavar="FILE",
        help="your saved checkpoint from an earlier export: export only what came after, with a consistency proof",
    )
    receipt = audit.add_parser("receipt", help="a C2SP tlog-proof that one event is in the log")
    receipt.add_argument("event_id")
    receipt.add_argument("--out", type=Path, help="also write EVENT_ID.tlog-proof and EVENT_ID.leaf.json here")
    verify = audit.add_parser("verify", help="verify an export bundle offline (runs suara-verify)")
    verify.add_argument("bundle", type=Path)
    verify.add_argument("--vkey", action="append", required=True, metavar="KEY", help="the log's verifier key")
    verify.add_argument("--trusted-checkpoint", type=Path, metavar="FILE")
    erase = audit.add_parser(
        "erase", help="erase a complaint's personal data from the log's disclosures (the coordinator's act)"
    )
    erase.add_argument("complaint_id")


def run(args: argparse.Namespace) -> int:
    if args.audit_command == "verify":
        return verify(args)
    metadata = login.bearer_metadata()  # LoginRequired (main prints how to log in) before anything is written
    with grpc.insecure_channel(args.audit) as channel:
        stub = audit_pb2_grpc.AuditServiceStub(channel)
        if args.audit_command == "export":
            return export(stub, args.out, args.since_checkpoint, metadata)
        if args.audit_command == "receipt":
            return receipt(stub, args.event_id, args.out, metadata)
        return erase(stub, args.complaint_id, metadata)


def verify(args: argparse.Namespace) -> int:
    argv = [str(args.bundle)] + [f"--vkey={key}" for key in args.vkey]
    if args.trusted_checkpoint is not None:
        argv.append(f"--trusted-checkpoint={args.trusted_checkpoint}")
    return suara_verify.main(argv)


def checkpoint_size(path: Path) -> int:
    """The tree size of a saved checkpoint (its signature is checked by suara-verify, not here)."""
    try:
        body = path.read_bytes().split(b"\n\n", 1)[0] + b"\n"
        return checkpoints.parse(body).size
    except (OSError, VerificationError) as error:
        raise ValueError(f"{path} is not a readable checkpoint: {error}") from None


Metadata = tuple[tuple[str, str], ...]


def export(stub: audit_pb2_grpc.AuditServiceStub, out: Path, since: Path | None, metadata: Metadata) -> int:
    try:
        since_size = checkpoint_size(since) if since else 0
    except ValueError as error:
        print(f"suara: {error}", file=sys.stderr)
        return EXIT_MALFORMED
    if out.exists() and any(out.iterdir()):
        print(f"suara: {out} is not empty; export into a new folder", file=sys.stderr)
        return EXIT_MALFORMED
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    request = audit_pb2.ExportBundleRequest(since_tree_size=since_size)
    for chunk in stub.ExportBundle(request, metadata=metadata, timeout=3600):
        path = _inside(out, chunk.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as f:
            f.write(chunk.data)
        files[chunk.path] = files.get(chunk.path, 0) + len(chunk.data)
    manifest = (out / "manifest.note").read_text(encoding="utf-8").splitlines()
    first, size = (int(n) for n in manifest[2].removeprefix("range ").split())
    print(f"exported entries {first}..{size - 1} (tree size {size}) to {out}: {len(files)} files")
    print(f"  verify:  suara-verify {out} --vkey KEY" + (f" --trusted-checkpoint {since}" if since else ""))
    print(f"  keep:    {out / 'checkpoints' / f'{size}.checkpoint'} (your trusted checkpoint for next time)")
    return 0


def _inside(folder: Path, relative: str) -> Path:
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ValueError(f"the service sent a file outside the bundle: {relative!r}")
    return path


def receipt(stub: audit_pb2_grpc.AuditServiceStub, event_id: str, out: Path | None, metadata: Metadata) -> int:
    answer = stub.GetReceipt(audit_pb2.GetReceiptRequest(event_id=event_id), metadata=metadata, timeout=30)
    sys.stdout.write(answer.tlog_proof.decode("utf-8"))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        proof, leaf = out / f"{event_id}.tlog-proof", out / f"{event_id}.leaf.json"
        proof.write_bytes(answer.tlog_proof)
        leaf.write_bytes(answer.leaf)
        print(
            f"wrote {proof} and {leaf}; check with: suara-verify receipt {proof} --leaf {leaf} --vkey KEY",
            file=sys.stderr,
        )
    return 0


def erase(stub: audit_pb2_grpc.AuditServiceStub, complaint_id: str, metadata: Metadata) -> int:
    request = audit_pb2.EraseDisclosuresRequest(complaint_id=complaint_id)
    answer = stub.EraseDisclosures(request, metadata=metadata, timeout=30)
    print(f"erased {answer.erased} disclosures of complaint {complaint_id}; the log's leaves are unchanged")
    return 0
