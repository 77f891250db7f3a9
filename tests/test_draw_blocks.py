"""A run's minutes drawn block by block are the minutes drawn whole, and blocks are given back.

The model draws each truck's service, platform and travel minutes a block of trucks at a time and
gives a block's memory back when its trucks are done (sim.world.draw_blocks). Every case below is
run both ways, with blocks small enough that many are given back within it, and must give every
truck the same times and outcome; a block given back while one of its trucks still reads it must
change them (the check can fail).
"""

from __future__ import annotations

import mmap

import numpy as np
import pytest
from conftest import MECHANISM_CASES, load_benchmark

import sim.world.draw_blocks as draw_blocks
from sim.world.model import INSIDE, Model, as_seed_sequence, draw_trucks

ref = load_benchmark("heap_reference")

SMALL = max(mmap.PAGESIZE // 8, 64)  # a block a page: many blocks in a short run


def _both(case: str, seed: int = 3) -> tuple[Model, object, object]:
    sc = ref.load_case(case)
    blocked = Model(sc, seed)
    assert blocked.blocks is not None
    data_blocked = blocked.run()
    whole = Model(sc, seed)  # the same trucks, their draws made whole and handed in
    data_whole = Model(sc, seed, whole.arr, draws=draw_trucks(sc, whole.arr, as_seed_sequence(seed))).run()
    return blocked, data_blocked, data_whole


def _same(a, b) -> bool:
    return all(np.array_equal(a.times[c], b.times[c], equal_nan=True) for c in a.times) and np.array_equal(
        a.outcome, b.outcome
    )


@pytest.mark.parametrize("case", MECHANISM_CASES)
def test_blocks_give_every_truck_the_times_drawn_whole(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draw_blocks, "BLOCK_TRUCKS", SMALL)
    model, blocked, whole = _both(case)
    assert _same(blocked, whole)
    assert np.array_equal(blocked.draws.crossing_mode, whole.draws.crossing_mode)  # a table reads it
    assert model.blocks.filled == len(model.arr)
    # A block is given back when every truck of it has left and every declaration made ahead in
    # it is approved: counted here from the truck log, not from the blocks' own bookkeeping.
    done = blocked.outcome != INSIDE
    ahead = blocked.draws.predeclared & model.sc.platform.enabled
    done &= ~ahead | ~np.isnan(blocked.times["approved_min"])
    expected = sum(bool(done[i : i + SMALL].all()) for i in range(0, done.size, SMALL))
    assert model.blocks.given_back == expected
    if case == "baseline_14d":
        assert expected > done.size // SMALL // 2  # most of a steady run's blocks


def test_a_block_given_back_too_early_changes_the_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give each block back when the first of its trucks is done: the others read zeros."""
    if not draw_blocks.CAN_GIVE_BACK:
        pytest.skip("this system gives no memory back: nothing is read after it")
    monkeypatch.setattr(draw_blocks, "BLOCK_TRUCKS", SMALL)
    original = draw_blocks.DrawBlocks.expect

    def first_truck_only(self, needs: np.ndarray) -> None:
        original(self, needs)
        self._left = [1] * len(self._left)

    monkeypatch.setattr(draw_blocks.DrawBlocks, "expect", first_truck_only)
    _, blocked, whole = _both("returned_declarations")
    assert not _same(blocked, whole)


def test_blocks_are_drawn_in_order_and_read_their_initial_value() -> None:
    b = draw_blocks.DrawBlocks(10)
    calls: list[tuple[int, int]] = []
    b.fill = lambda lo, hi: calls.append((lo, hi))
    x = b.floats(initial=np.nan)
    y = b.floats(rows=3)
    assert x.shape == (10,)
    assert y.shape == (3, 10)
    b.expect(np.ones(10, dtype=np.int64))
    assert b.ensure(0) == 10  # one block holds all ten
    assert calls == [(0, 10)]
    assert np.isnan(x).all()
    assert (y == 0).all()
    b.finish()
    assert calls == [(0, 10)]  # nothing left to draw
    for i in range(10):
        b.done(i)
    assert b.given_back == 1
