"""What every RecentComplaints adapter must do; run against the in-memory fake here and MongoDB/FerretDB in
tests/integration/test_routing_text.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from suara_router.adapters.recent_complaints import RecentComplaints
from suara_router.domain.text_routing import RecentComplaint

T0 = datetime(2026, 11, 20, 9, 0, 0, 123456, tzinfo=UTC)
MRICAN, BANJARAN = "35.71.01.1008", "35.71.02.1003"
LONG_AGO = T0 - timedelta(days=365)
WIB = timezone(timedelta(hours=7), "WIB")


def recent(n: int, at: datetime, kelurahan: str = MRICAN, category: str = "jalan_rusak") -> RecentComplaint:
    return RecentComplaint(
        complaint_id=f"00000000-0000-4000-8000-{n:012d}",
        tracking_number=f"KDR-TEST{n % 10}-{n:05d}",
        kelurahan=kelurahan,
        category=category,
        received_at=at,
        normalised_text=f"jalan berlubang nomor {n}",
    )


class RecentComplaintsContract:
    """Subclasses provide a `store` fixture (an empty RecentComplaints)."""

    def test_finds_the_complaints_of_one_kelurahan_and_category_in_a_window_oldest_first(
        self, store: RecentComplaints
    ) -> None:
        inside = [recent(2, T0 + timedelta(hours=2)), recent(1, T0 + timedelta(hours=1))]
        others = [
            recent(3, T0 + timedelta(hours=1), kelurahan=BANJARAN),
            recent(4, T0 + timedelta(hours=1), category="drainase"),
            recent(5, T0 - timedelta(hours=1)),
            recent(6, T0 + timedelta(hours=5)),
        ]
        for c in [*inside, *others]:
            store.add(c, keep_after=LONG_AGO)

        found = store.between(MRICAN, "jalan_rusak", T0, T0 + timedelta(hours=3))

        assert found == [inside[1], inside[0]]

    def test_both_ends_of_the_window_are_included_to_the_microsecond(self, store: RecentComplaints) -> None:
        first, last = recent(1, T0), recent(2, T0 + timedelta(hours=1))
        store.add(first, keep_after=LONG_AGO)
        store.add(last, keep_after=LONG_AGO)

        assert store.between(MRICAN, "jalan_rusak", T0, T0 + timedelta(hours=1)) == [first, last]
        assert store.between(MRICAN, "jalan_rusak", T0 + timedelta(microseconds=1), T0 + timedelta(hours=1)) == [last]

    def test_adding_a_complaint_again_changes_nothing(self, store: RecentComplaints) -> None:
        complaint = recent(1, T0)
        store.add(complaint, keep_after=LONG_AGO)
        store.add(complaint, keep_after=LONG_AGO)

        assert store.between(MRICAN, "jalan_rusak", LONG_AGO, T0) == [complaint]

    def test_complaints_of_the_same_moment_are_all_kept(self, store: RecentComplaints) -> None:
        one, two = recent(1, T0), recent(2, T0)
        store.add(two, keep_after=LONG_AGO)
        store.add(one, keep_after=LONG_AGO)

        assert store.between(MRICAN, "jalan_rusak", T0, T0) == [one, two]

    def test_adding_forgets_the_bucket_s_complaints_older_than_asked_and_nothing_else(
        self, store: RecentComplaints
    ) -> None:
        old = recent(1, T0 - timedelta(days=20))
        old_elsewhere = recent(2, T0 - timedelta(days=20), kelurahan=BANJARAN)
        kept = recent(3, T0 - timedelta(days=2))
        for c in (old, old_elsewhere, kept):
            store.add(c, keep_after=LONG_AGO)

        new = recent(4, T0)
        store.add(new, keep_after=T0 - timedelta(days=14))

        assert store.between(MRICAN, "jalan_rusak", LONG_AGO, T0) == [kept, new]
        assert store.between(BANJARAN, "jalan_rusak", LONG_AGO, T0) == [old_elsewhere]

    def test_times_in_other_zones_are_compared_as_instants(self, store: RecentComplaints) -> None:
        complaint = recent(1, (T0 + timedelta(minutes=30)).astimezone(WIB))
        store.add(complaint, keep_after=LONG_AGO)

        (found,) = store.between(MRICAN, "jalan_rusak", T0, T0 + timedelta(hours=1))
        assert found.received_at == complaint.received_at
