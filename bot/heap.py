"""The garbage collector in a long-running process.

What a process holds after start-up (modules, compiled queries, the content and the engine built
from it) lives until it stops, yet every full collection would walk all of it again, a large
share of a turn's time under a burst (figures: bench/README.md). `settle` collects once and
then leaves what survived out of later collections (`gc.freeze`), and lets more objects be
allocated between collections of the youngest generation, so fewer short-lived objects of a
request or a batch live long enough to be walked again.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between collections of the youngest generation (CPython's default: 700)."""


def settle() -> None:
    """Call once a process has started: what it holds now is kept out of later collections."""
    gc.unfreeze()  # what a reload left behind gets collected too
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def resettle() -> None:
    """After new content replaced the engine: settle again if this process settled before (the
    old engine's cycles are collected only once unfrozen)."""
    if gc.get_freeze_count():
        settle()
