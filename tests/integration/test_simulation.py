"""Issue 5, acceptance line 2, small: complaints through whole lifecycles on the real services, broker and store,
with working days passing on the shared test clock, through the same driver as `make simulate` (bench/simulate.py):
every trace legal, replay --check clean, no complaint over the hand-back cap, every deadline firing once."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from harness import ADDRESSES, IDENTITY, REPO, Stack

from suara_kit import clock

sys.path.insert(0, str(REPO / "bench"))
import simulate  # bench/ is not a package: the driver make simulate runs

pytestmark = pytest.mark.integration


@pytest.fixture
def target(stack: Stack) -> Iterator[simulate.Target]:
    env = stack.env
    yield simulate.Target(
        intake=ADDRESSES["intake"],
        casework=ADDRESSES["casework"],
        kafka_bootstrap=env["SUARA_KAFKA_BOOTSTRAP"],
        mongo_url=env["SUARA_MONGO_URL"],
        database=env["SUARA_MONGO_DB"],
        events_topic=stack.events_topic,
        identity_dir=IDENTITY,
    )
    # The tests after this one expect real time again: the offset back to 0 (the services see it within 200 ms).
    clock.reset(stack.database)


def test_random_lifecycles_on_the_real_services_stay_legal_and_fire_each_deadline_once(
    target: simulate.Target,
) -> None:
    figures = simulate.simulate(target, 60, seed=11, rounds=8, workers=4)
    print(simulate.summary(figures))

    assert figures.violations == []
    assert figures.replay_exit == 0
    assert figures.statuses.total() == 60
    # The run exercised what the checks are about: refusals, hand-backs, the cap, deadlines, reopenings.
    assert sum(figures.accepted.values()) > 100
    assert sum(sum(codes.values()) for codes in figures.refused.values()) > 10
    assert figures.hand_backs > 5
    assert figures.deadline_firings > 20
    assert figures.events["Lifecycle.DeadlineBreached"] > 0
    assert figures.events["Lifecycle.ComplaintAutoClosed"] > 0
    assert figures.offset_days > 30
