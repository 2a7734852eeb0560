"""One audit log on the in-memory stores, wired as bootstrap wires the real ones (for tests here and in cli/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from suara_audit.adapters.checkpoints import InMemoryCheckpointStore
from suara_audit.adapters.disclosures import InMemoryDisclosureStore
from suara_audit.adapters.event_reader import read_event
from suara_audit.adapters.log_store import InMemoryLogStore
from suara_audit.domain.note import Checkpoint, CheckpointSigner, Ed25519Signer, verifier_key
from suara_audit.handlers import AuditQueries, Checkpointer, CheckpointPolicy, Sequencer

ORIGIN = "test.example/audit"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Log:
    """One log's stores and the use cases wired to them, as bootstrap wires them to MongoDB."""

    def __init__(self, every: int = 1000, interval_s: int = 10, keys: int = 1) -> None:
        self.clock = Clock()
        self.store = InMemoryLogStore()
        self.checkpoints = InMemoryCheckpointStore()
        self.disclosures = InMemoryDisclosureStore()
        self.signer = CheckpointSigner(ORIGIN, [Ed25519Signer.generate(ORIGIN) for _ in range(keys)])
        self.vkeys = [verifier_key(s) for s in self.signer.signers]  # several: a key rotation
        self.vkey = self.vkeys[0]
        self.sequencer = self.instance("a")
        self.checkpointer = Checkpointer(
            sequencer=self.sequencer,
            checkpoints=self.checkpoints,
            signer=self.signer,
            policy=CheckpointPolicy(every, timedelta(seconds=interval_s)),
            clock=self.clock,
        )
        self.queries = AuditQueries(
            store=self.store,
            checkpoints=self.checkpoints,
            disclosures=self.disclosures,
            signer=self.signer,
            clock=self.clock,
        )

    def instance(self, owner: str) -> Sequencer:
        return Sequencer(
            store=self.store,
            disclosures=self.disclosures,
            read_event=read_event,
            origin=ORIGIN,
            owner=owner,
            clock=self.clock,
            lease_ttl=timedelta(seconds=15),
        )

    def sign_now(self) -> Checkpoint:
        head = self.sequencer.head
        assert head is not None
        return self.checkpointer.sign(head, self.clock())

    def export(self, directory: Path, since: int = 0) -> Path:
        for piece in self.queries.export(since):
            path = directory / piece.path
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as out:
                out.write(piece.data)
        return directory
