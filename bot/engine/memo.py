"""Remembering what a turn works out from short texts again and again.

One turn compares the user's text with every option label, command word and language name of
the node it is at, and folds the same labels each turn: a profile of `work` under a burst had a
third of the engine's time in folding texts it had folded before. Functions of a text whose
results are immutable remember them for short texts; long ones (a pasted document) are worked
out each time so the memory stays bounded by entries and by size."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

SHORT_TEXT = 200
"""Characters a text may have to be remembered."""
REMEMBERED = 4096
"""Texts remembered per function, the least recently used going first."""


class ShortTextMemo(Generic[T]):
    """`func` of a text, remembered for texts of at most SHORT_TEXT characters (see above).
    `func` must return an immutable value: every caller gets the same one."""

    def __init__(self, func: Callable[[str], T]) -> None:
        self.func = func
        self.remembered = functools.lru_cache(maxsize=REMEMBERED)(func)
        functools.update_wrapper(self, func)

    def __call__(self, text: str) -> T:
        if len(text) > SHORT_TEXT:
            return self.func(text)
        return self.remembered(text)
