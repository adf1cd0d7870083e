"""Charts of the monthly report as PNG bytes, drawn with matplotlib's Agg renderer.

Figures are built with the object API (no pyplot): nothing global changes, no window opens, and it
works on a server without a display. Small counts are drawn as `<5`, never to scale: a bar's length
would give the count away.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.stats.suppress import SUPPRESSED, THRESHOLD, count_text, is_small, share_text

BAR = "#2f6db5"
MUTED = "#b8c4d6"
WIDTH = 8.0
DPI = 100


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def bars(title: str, items: Sequence[tuple[str, int]], total: int) -> bytes:
    """Horizontal bars in the given order (top first), each labelled '22%  (1 234)' or '<5'."""
    fig = Figure(figsize=(WIDTH, 1.0 + 0.42 * max(len(items), 1)), layout="constrained")
    ax = fig.add_subplot()
    labels = [label for label, _ in items][::-1]
    values = [0 if is_small(n) else n for _, n in items][::-1]
    counts = [n for _, n in items][::-1]
    ax.barh(range(len(values)), values, color=BAR, height=0.65)
    ax.set_yticks(range(len(labels)), labels)
    peak = max(values, default=0) or 1
    ax.set_xlim(0, peak * 1.3)
    for y, (value, count) in enumerate(zip(values, counts, strict=True)):
        share = share_text(count, total)
        text = f"{share}  ({count_text(count, grouped=True)})" if share else count_text(count)
        ax.text(value + peak * 0.01, y, text, va="center", fontsize=9)
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.xaxis.set_visible(False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def daily(title: str, days: Sequence[tuple[str, int]]) -> bytes:
    """Vertical bars, one per day ('YYYY-MM-DD', count); days with 1-4 are hatched, not scaled."""
    fig = Figure(figsize=(WIDTH, 3.2), layout="constrained")
    ax = fig.add_subplot()
    xs = list(range(1, len(days) + 1))
    shown = [0 if is_small(n) else n for _, n in days]
    ax.bar(xs, shown, color=BAR, width=0.8)
    small = [x for x, (_, n) in zip(xs, days, strict=True) if is_small(n)]
    if small:
        # Drawn at full threshold height so a glance shows "some", never how many.
        ax.bar(small, [THRESHOLD] * len(small), color=MUTED, hatch="//", width=0.8)
        ax.legend(
            handles=[Patch(facecolor=MUTED, hatch="//", label=f"{SUPPRESSED} (not shown exactly)")],
            loc="upper left",
            fontsize=8,
            frameon=False,
        )
    ax.set_xticks(xs, [str(x) if x == 1 or x % 5 == 0 else "" for x in xs])
    ax.set_xlim(0.3, len(xs) + 0.7)
    ax.set_ylim(0, max([*shown, THRESHOLD]) * 1.15)
    ax.set_xlabel("day of the month")
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)
