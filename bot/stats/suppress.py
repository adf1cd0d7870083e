"""Small-count suppression: every figure of the report goes through here on its way out.

A count from 1 to 4 is written `<5` in HTML, CSV, charts and the terminal alike, and its share is
not given (a share and a total would give the count back). Zero is shown: "nobody" identifies
nobody. Suppressed items are listed after the others in name order, so their order does not
betray which is larger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

THRESHOLD = 5
SUPPRESSED = f"<{THRESHOLD}"
NO_SHARE = ""

T = TypeVar("T")


def is_small(count: int) -> bool:
    return 0 < count < THRESHOLD


def count_text(count: int, *, grouped: bool = False) -> str:
    """'<5', or the count ('1 234' when grouped, for people; plain digits for spreadsheets)."""
    if is_small(count):
        return SUPPRESSED
    return f"{count:,}".replace(",", " ") if grouped else str(count)


def share_text(count: int, total: int) -> str:
    """A whole percentage like the hotline's reports ('22%'); '' for suppressed counts."""
    if is_small(count) or total <= 0 or count <= 0:
        return NO_SHARE
    percent = Decimal(count * 100) / Decimal(total)
    if percent < Decimal("0.5"):
        return "<1%"
    return f"{percent.quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def ordered(items: Iterable[T], count: Callable[[T], int], label: Callable[[T], str]) -> list[T]:
    """Shown counts largest first, then suppressed ones by name."""
    items = list(items)
    big = sorted((i for i in items if not is_small(count(i))), key=lambda i: (-count(i), label(i)))
    small = sorted((i for i in items if is_small(count(i))), key=label)
    return big + small
