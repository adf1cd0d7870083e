"""Figures from the measurements, the targets' PASS/FAIL, and the Markdown/JSON output.

Everything here is computed from measured numbers: nothing is hard-coded as passing.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

THROUGHPUT_RATIO = 0.5
OUTBOUND_SHARE = 0.95
DUPLICATE_RATE = 0.001
MEMORY_GROWTH = 0.10
"""Memory is "flat" when the last minute's mean RSS is within 10% of the first minute's."""
PASS, FAIL, NOT_RUN = "PASS", "FAIL", "not run"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between the closest ranks; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


SHORTEST_BACKLOG = 10.0
"""Seconds of backlog below which a pace is not a figure: a window of one second (two samples)
printed 113% with a hundred users, a second's sends falling into it by chance."""


def backlog_share(
    samples: Sequence[tuple[float, int]],
    sends: Sequence[float],
    limit: float,
    backlog: float,
    shortest: float = SHORTEST_BACKLOG,
) -> tuple[float | None, float]:
    """Sends per second over the intervals that start with a backlog (at least `backlog`
    conversations waiting), as a share of `limit`; and how many seconds that covered. None
    when that is under `shortest` seconds. `samples` are (time, conversations waiting),
    time-ordered; `sends` the send times."""
    ordered = sorted(sends)
    seconds = 0.0
    count = 0
    for (start, waiting), (end, _) in itertools.pairwise(samples):
        if waiting >= backlog and end > start:
            seconds += end - start
            count += bisect.bisect_left(ordered, end) - bisect.bisect_left(ordered, start)
    if seconds <= 0 or seconds < shortest:
        return None, seconds
    return count / seconds / limit, seconds


def memory_growth(samples: Sequence[tuple[float, int]], window: float = 60.0) -> dict[str, Any]:
    """First-minute vs last-minute mean RSS (KiB) of (seconds since start, RSS) samples."""
    if not samples:
        return {}
    end = samples[-1][0]
    first = [rss for at, rss in samples if at <= window]
    last = [rss for at, rss in samples if at >= end - window]
    first_mean, last_mean = sum(first) / len(first), sum(last) / len(last)
    return {
        "first_minute_mib": first_mean / 1024,
        "last_minute_mib": last_mean / 1024,
        "growth": (last_mean - first_mean) / first_mean if first_mean else None,
        "samples": len(samples),
    }


@dataclass
class Figures:
    """One configuration's figures (the echo floor fills only the intake ones)."""

    name: str
    processes: int = 1
    updates: int = 0
    inbound_per_s: float | None = None
    """Sustained: updates / (first post until all accepted and processed)."""
    accepted_per_s: float | None = None
    """Accept only: updates / (first post until all answered 200)."""
    webhook_p50_ms: float | None = None
    webhook_p99_ms: float | None = None
    turns_per_s: float | None = None
    reply_p50_s: float | None = None
    reply_p99_s: float | None = None
    outbound_share: float | None = None
    """Telegram sends/s while the conversations' backlog lasted, as a share of 30/s."""
    outbound_window_s: float = 0.0
    intake_outbound_share: float | None = None
    """The same over the backlog the intake burst leaves (while processing it and after)."""
    intake_outbound_window_s: float = 0.0
    intake_outbound_share_processing: float | None = None
    intake_outbound_share_after: float | None = None
    sends_per_second: list[int] = field(default_factory=list)
    """Telegram sends in each second of the intake phase."""
    throttled: int | None = None
    """429s the fakes answered (Telegram + Twilio, both phases)."""
    users: int = 0
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    timed_out_users: int = 0
    webhook_errors: int = 0
    peak_rss_mib: float | None = None
    peak_rss_per_process_mib: list[float] = field(default_factory=list)
    loadgen_cpu_share: dict[str, float] = field(default_factory=dict)
    """CPU the load generator used, as a share of one core, per phase."""
    server_cpu_s: dict[str, float] = field(default_factory=dict)
    burst_cpu_ms_per_update: dict[str, float] = field(default_factory=dict)
    """CPU milliseconds per update from the first post of the intake burst until all were
    processed, per role: serve, work, postgresql (a local server), load generator."""
    memory: dict[str, Any] = field(default_factory=dict)
    phases_s: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def duplicate_rate(self) -> float | None:
        return self.duplicated / self.expected if self.expected else None


def targets(figures: Figures, echo: Figures | None) -> dict[str, str]:
    """PASS/FAIL per target from the measured figures ("not run" when not measured)."""
    floor = echo.inbound_per_s if echo is not None else None
    ratio = figures.inbound_per_s / floor if figures.inbound_per_s and floor else None
    result = {
        "throughput >= 0.5 x echo": _check(ratio, lambda r: r >= THROUGHPUT_RATIO),
        "outbound >= 95% of limit": _check(figures.outbound_share, lambda s: s >= OUTBOUND_SHARE),
        "zero 429s": _check(figures.throttled, lambda n: n == 0),  # None: not measured
        "zero lost": _check(figures.lost if figures.users else None, lambda n: n == 0),
        "duplicates < 0.1%": _check(figures.duplicate_rate, lambda r: r < DUPLICATE_RATE),
        "memory flat (soak)": _check(figures.memory.get("growth"), lambda g: g <= MEMORY_GROWTH),
    }
    return result


def _check(value: Any, ok: Any) -> str:
    if value is None:
        return NOT_RUN
    return PASS if ok(value) else FAIL


def _num(value: float | None, digits: int = 0, scale: float = 1.0) -> str:
    return "–" if value is None else f"{value * scale:.{digits}f}"


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def _pair(a: float | None, b: float | None, digits: int, scale: float = 1.0) -> str:
    return f"{_num(a, digits, scale)} / {_num(b, digits, scale)}"


def markdown(rows: Sequence[Figures], echo: Figures | None) -> str:
    floor = echo.inbound_per_s if echo is not None else None
    head = (
        "| configuration | inbound msg/s sustained | ratio to echo | accept-only msg/s "
        "| accept ratio | turns/s | webhook p50/p99 ms | reply p50/p99 s "
        "| outbound % of limit (backlog) | outbound % during intake burst "
        "| 429s | lost | duplicated | peak memory MiB |"
    )
    lines = [head, "|" + "---|" * 14]
    for f in rows:
        ratio = f.inbound_per_s / floor if f.inbound_per_s and floor else None
        echo_accept = echo.accepted_per_s if echo is not None else None
        accept_ratio = f.accepted_per_s / echo_accept if f.accepted_per_s and echo_accept else None
        dup = f"{f.duplicated} ({_num(f.duplicate_rate, 2, 100)}%)" if f.users else "–"
        lines.append(
            f"| {f.name} | {_num(f.inbound_per_s)} | {_num(ratio, 2)} "
            f"| {_num(f.accepted_per_s)} | {_num(accept_ratio, 2)} | {_num(f.turns_per_s)} "
            f"| {_pair(f.webhook_p50_ms, f.webhook_p99_ms, 1)} "
            f"| {_pair(f.reply_p50_s, f.reply_p99_s, 2)} | {_num(f.outbound_share, 1, 100)} "
            f"| {_num(f.intake_outbound_share, 1, 100)} | {_count(f.throttled)} "
            f"| {f.lost if f.users else '–'} | {dup} "
            f"| {_num(f.peak_rss_mib)} |"
        )
    if echo is not None:
        lines.append(
            f"| echo floor | {_num(echo.inbound_per_s)} | 1.00 | {_num(echo.accepted_per_s)} "
            f"| 1.00 | – | {_pair(echo.webhook_p50_ms, echo.webhook_p99_ms, 1)} | – | – "
            f"| – | {_count(echo.throttled)} | – | – "
            f"| {_num(echo.peak_rss_mib)} |"
        )
    lines += cpu_table([*rows, *([echo] if echo is not None else [])])
    checks = {f.name: targets(f, echo) for f in rows}
    names = list(next(iter(checks.values()))) if checks else []
    lines += ["", "| configuration | " + " | ".join(names) + " |", "|" + "---|" * (len(names) + 1)]
    for name, result in checks.items():
        lines.append(f"| {name} | " + " | ".join(result[n] for n in names) + " |")
    return "\n".join(lines) + "\n"


CPU_ROLES = ("serve", "work", "postgresql", "load generator")


def cpu_table(rows: Sequence[Figures]) -> list[str]:
    """CPU ms per update during the intake burst, per role and in all (what the two cores
    had to give for each update)."""
    measured = [f for f in rows if f.burst_cpu_ms_per_update]
    if not measured:
        return []
    lines = [
        "",
        "| CPU ms per update during the burst | " + " | ".join(CPU_ROLES) + " | all |",
        "|" + "---|" * (len(CPU_ROLES) + 2),
    ]
    for f in measured:
        cells = [f.burst_cpu_ms_per_update.get(role) for role in CPU_ROLES]
        total = sum(f.burst_cpu_ms_per_update.values())
        lines.append(
            f"| {f.name} | " + " | ".join(_num(c, 3) for c in cells) + f" | {_num(total, 3)} |"
        )
    return lines


def write(
    out: Path, stamp: str, rows: Sequence[Figures], echo: Figures | None, meta: Mapping[str, Any]
) -> tuple[Path, Path]:
    """bench/out/<stamp>.json and .md, and latest.json / latest.md."""
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(rows, echo)
    data = {
        "meta": dict(meta),
        "configurations": [asdict(f) | {"targets": targets(f, echo)} for f in rows],
        "echo": asdict(echo) if echo is not None else None,
        "table": table,
    }
    text = json.dumps(data, indent=2, ensure_ascii=False)
    header = f"# Load benchmark {stamp}\n\n"
    notes = [f"- {f.name}: {note}" for f in rows for note in f.notes]
    body = header + table + ("\n" + "\n".join(notes) + "\n" if notes else "")
    json_path, md_path = out / f"{stamp}.json", out / f"{stamp}.md"
    for path, content in ((json_path, text), (out / "latest.json", text)):
        path.write_text(content, encoding="utf-8")
    for path in (md_path, out / "latest.md"):
        path.write_text(body, encoding="utf-8")
    return json_path, md_path
