"""What a long-running process sets up for itself: uvloop under `work`, a settled heap."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from bot import aio, heap


def test_run_uses_uvloop() -> None:
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    assert aio.run(loop_module()).startswith("uvloop")


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_keeps_what_is_held_out_of_collections(restored_gc: None) -> None:
    held = Node()
    heap.settle()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    assert not any(o is held for o in gc.get_objects())  # frozen: no collection walks it


def test_resettle_frees_what_a_reload_dropped(restored_gc: None) -> None:
    old = Node()  # the engine a reload replaces
    gone = weakref.ref(old)
    heap.settle()
    del old
    gc.collect()
    assert gone() is not None  # frozen, so even a full collection leaves it
    heap.resettle()
    assert gone() is None


def test_resettle_does_nothing_in_a_process_that_never_settled(restored_gc: None) -> None:
    gc.unfreeze()
    heap.resettle()
    assert gc.get_freeze_count() == 0
