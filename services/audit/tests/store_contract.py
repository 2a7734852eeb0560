"""The contracts every audit store adapter keeps, written once and run against the fakes and the real store.

Subclass in a class named `Test...` and provide the fixtures (EMPTY stores):

    class TestInMemoryStores(LogStoreContract, CheckpointStoreContract, DisclosureStoreContract):
        @pytest.fixture
        def log_store(self): return InMemoryLogStore()
        ...

Imports nothing but pytest and the suara packages: tests/integration subclasses the same contracts with the
MongoDB adapters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from suara_audit.adapters.checkpoints import CheckpointStore
from suara_audit.adapters.disclosures import DisclosureStore
from suara_audit.adapters.log_store import Head, LeafTaken, LeaseLost, LogStore
from suara_audit.domain.leaf import Disclosure, Leaf
from suara_audit.domain.merkle import Frontier
from suara_audit.domain.note import Checkpoint, ForkRefused

NOW = datetime(2026, 11, 20, 9, 0, 0, 250_000, tzinfo=UTC)  # whole milliseconds: what the store keeps
TTL = timedelta(seconds=15)


def leaves(first: int, count: int, tag: str = "") -> list[Leaf]:
    return [
        Leaf(i, f'{{"index":{i},"tag":"{tag}"}}'.encode(), f"event-{tag}{i}", f"event-{tag}{i}", "T", "c-1", NOW)
        for i in range(first, first + count)
    ]


def grow(head: Head, new: list[Leaf]) -> tuple[Head, list]:
    frontier, nodes = head.frontier.append(leaf.hash for leaf in new)
    return Head(frontier, 1), nodes


class LogStoreContract:
    @pytest.fixture
    def log_store(self) -> LogStore:
        raise NotImplementedError

    def test_the_first_instance_takes_the_lease_and_gets_the_empty_head(self, log_store: LogStore) -> None:
        head = log_store.acquire("a", NOW, TTL)

        assert head == Head(Frontier.empty())
        assert log_store.lease() is not None and log_store.lease().owner == "a"

    def test_a_second_instance_waits_until_the_lease_expires(self, log_store: LogStore) -> None:
        log_store.acquire("a", NOW, TTL)

        assert log_store.acquire("b", NOW + TTL - timedelta(seconds=1), TTL) is None
        assert log_store.acquire("b", NOW + TTL + timedelta(seconds=1), TTL) is not None
        assert log_store.lease().owner == "b"

    def test_a_released_lease_is_taken_at_once(self, log_store: LogStore) -> None:
        log_store.acquire("a", NOW, TTL)
        log_store.release("a", NOW)

        assert log_store.acquire("b", NOW + timedelta(milliseconds=1), TTL) is not None

    def test_renewing_a_lease_taken_over_raises_lease_lost(self, log_store: LogStore) -> None:
        log_store.acquire("a", NOW, TTL)
        log_store.acquire("b", NOW + TTL * 2, TTL)

        with pytest.raises(LeaseLost):
            log_store.renew("a", NOW + TTL * 2, TTL)

    def test_appended_leaves_nodes_and_keys_read_back_and_the_head_advances(self, log_store: LogStore) -> None:
        head = log_store.acquire("a", NOW, TTL)
        batch = leaves(0, 5)
        new_head, nodes = grow(head, batch)

        log_store.append("a", batch, nodes, new_head)

        assert list(log_store.leaves(0)) == batch
        assert list(log_store.leaves(1, 3)) == batch[1:3]
        assert log_store.leaf(3) == batch[3] and log_store.leaf(5) is None
        assert log_store.head() == new_head
        assert log_store.logged(["event-2", "event-9"]) == {"event-2"}
        assert log_store.index_of("event-4") == 4 and log_store.index_of("event-9") is None
        assert log_store.nodes([(0, 4), (2, 0), (2, 1)]) == {
            (n.level, n.index): n.hash for n in nodes if (n.level, n.index) in {(0, 4), (2, 0)}
        }

    def test_a_taken_index_raises_leaf_taken_and_the_head_stays(self, log_store: LogStore) -> None:
        head = log_store.acquire("a", NOW, TTL)
        first, nodes = grow(head, leaves(0, 3))
        log_store.append("a", leaves(0, 3), nodes, first)

        stale, stale_nodes = grow(head, leaves(0, 2, tag="x"))
        with pytest.raises(LeafTaken):
            log_store.append("a", leaves(0, 2, tag="x"), stale_nodes, stale)

        assert [leaf.key for leaf in log_store.leaves(0)] == ["event-0", "event-1", "event-2"]
        assert log_store.head() == first

    def test_an_append_after_the_lease_was_taken_over_does_not_advance_the_head(self, log_store: LogStore) -> None:
        head = log_store.acquire("a", NOW, TTL)
        log_store.acquire("b", NOW + TTL * 2, TTL)
        new_head, nodes = grow(head, leaves(0, 2))

        with pytest.raises(LeaseLost):
            log_store.append("a", leaves(0, 2), nodes, new_head)

        assert log_store.head().size == 0

    def test_repair_writes_what_is_missing_and_keeps_what_exists(self, log_store: LogStore) -> None:
        head = log_store.acquire("a", NOW, TTL)
        batch = leaves(0, 4)
        new_head, nodes = grow(head, batch)
        log_store.append("a", batch, nodes, new_head)

        log_store.repair(batch, nodes)

        assert log_store.nodes([(2, 0)]) == {(2, 0): new_head.frontier.hashes[0]}
        assert log_store.logged(leaf.key for leaf in batch) == {leaf.key for leaf in batch}

    def test_leaves_stop_at_the_first_missing_index(self, log_store: LogStore) -> None:
        assert list(log_store.leaves(0)) == []
        assert list(log_store.leaves(7, 9)) == []


class CheckpointStoreContract:
    @pytest.fixture
    def checkpoint_store(self) -> CheckpointStore:
        raise NotImplementedError

    def test_checkpoints_are_found_by_size_latest_and_range(self, checkpoint_store: CheckpointStore) -> None:
        stored = [Checkpoint(size, bytes([size]) * 32, b"note %d\n" % size) for size in (3, 10, 12)]
        for checkpoint in stored:
            assert checkpoint_store.add(checkpoint, NOW) == checkpoint

        assert checkpoint_store.at(10) == stored[1] and checkpoint_store.at(11) is None
        assert checkpoint_store.latest() == stored[2]
        assert list(checkpoint_store.between(4, 12)) == stored[1:]
        assert list(checkpoint_store.between(0, 3)) == stored[:1]

    def test_an_empty_store_has_no_latest(self, checkpoint_store: CheckpointStore) -> None:
        assert checkpoint_store.latest() is None

    def test_the_same_checkpoint_again_is_kept_once(self, checkpoint_store: CheckpointStore) -> None:
        first = Checkpoint(5, b"\x01" * 32, b"note\n")
        checkpoint_store.add(first, NOW)

        assert checkpoint_store.add(Checkpoint(5, b"\x01" * 32, b"other note\n"), NOW) == first

    def test_another_root_for_a_stored_size_is_refused(self, checkpoint_store: CheckpointStore) -> None:
        checkpoint_store.add(Checkpoint(5, b"\x01" * 32, b"note\n"), NOW)

        with pytest.raises(ForkRefused):
            checkpoint_store.add(Checkpoint(5, b"\x02" * 32, b"forked\n"), NOW)
        assert checkpoint_store.at(5).root == b"\x01" * 32


class DisclosureStoreContract:
    @pytest.fixture
    def disclosure_store(self) -> DisclosureStore:
        raise NotImplementedError

    def test_disclosures_read_back_by_index_then_field(self, disclosure_store: DisclosureStore) -> None:
        kept = [
            Disclosure(4, "text", b"s" * 16, "Jalan rusak", "c-1"),
            Disclosure(2, "text", b"t" * 16, "Lampu mati", "c-2"),
            Disclosure(2, "idempotency_key", b"u" * 16, "wa-1", "c-2"),
        ]
        disclosure_store.put(kept)

        assert list(disclosure_store.between(0, 10)) == [kept[2], kept[1], kept[0]]
        assert list(disclosure_store.between(3, 4)) == []

    def test_a_disclosure_for_a_kept_index_and_field_is_kept_beside_it_never_in_its_place(
        self, disclosure_store: DisclosureStore
    ) -> None:
        # The lease holder's disclosure, then one for the same index and field from a writer that stalled past its
        # lease (another salt, maybe another complaint): the holder's must survive; the export picks by commitment.
        holder = Disclosure(4, "text", b"n" * 16, "Lampu mati", "c-1")
        stalled = Disclosure(4, "text", b"s" * 16, "Jalan rusak", "c-2")
        disclosure_store.put([holder])
        disclosure_store.put([stalled])

        assert sorted(disclosure_store.between(0, 10), key=Disclosure.commitment) == sorted(
            [holder, stalled], key=Disclosure.commitment
        )

    def test_the_same_disclosure_put_twice_is_kept_once(self, disclosure_store: DisclosureStore) -> None:
        kept = Disclosure(4, "text", b"n" * 16, "Lampu mati", "c-1")
        disclosure_store.put([kept])
        disclosure_store.put([kept])

        assert list(disclosure_store.between(0, 10)) == [kept]

    def test_erasing_a_complaint_deletes_its_disclosures_beside_another_complaints_at_the_same_index(
        self, disclosure_store: DisclosureStore
    ) -> None:
        disclosure_store.put([Disclosure(4, "text", b"n" * 16, "Lampu mati", "c-1")])
        disclosure_store.put([Disclosure(4, "text", b"s" * 16, "Jalan rusak", "c-2")])

        assert disclosure_store.erase("c-2", NOW) == 1
        assert [d.complaint_id for d in disclosure_store.between(0, 10)] == ["c-1"]

    def test_discarding_from_an_index_deletes_the_disclosures_of_that_index_and_above(
        self, disclosure_store: DisclosureStore
    ) -> None:
        disclosure_store.put([Disclosure(i, "text", b"s" * 16, f"v{i}", "c-1") for i in (8, 9, 10, 11)])

        disclosure_store.discard_from(10)

        assert [d.index for d in disclosure_store.between(0, 100)] == [8, 9]

    def test_erasing_a_complaint_deletes_its_disclosures_now_and_later(self, disclosure_store: DisclosureStore) -> None:
        disclosure_store.put(
            [Disclosure(1, "text", b"s" * 16, "a", "c-1"), Disclosure(2, "text", b"s" * 16, "b", "c-2")]
        )

        assert disclosure_store.erase("c-1", NOW) == 1
        disclosure_store.put([Disclosure(3, "recipient", b"s" * 16, "later", "c-1")])

        assert [(d.index, d.complaint_id) for d in disclosure_store.between(0, 10)] == [(2, "c-2")]
        assert disclosure_store.erase("c-unknown", NOW) == 0
