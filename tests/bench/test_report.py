"""The benchmark's arithmetic: percentiles, the outbound share over a backlog, memory growth and
PASS/FAIL, on given numbers (no load is generated here)."""

from __future__ import annotations

import pytest

from bench.cpu import used
from bench.report import (
    FAIL,
    NOT_RUN,
    PASS,
    Figures,
    backlog_share,
    cpu_table,
    markdown,
    memory_growth,
    percentile,
    targets,
)


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0, 1.0, 2.0], 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_outbound_share_counts_only_intervals_that_start_with_a_backlog() -> None:
    # 30 conversations waiting for 2 s, then 5: only the first two seconds count.
    samples = [(0.0, 30), (1.0, 40), (2.0, 5), (3.0, 0)]
    sends = [i / 29 for i in range(58)] + [2.5, 2.6]  # 29/s while backlogged, 2 later
    share, seconds = backlog_share(samples, sends, limit=30, backlog=30, shortest=2)
    assert seconds == pytest.approx(2.0)
    assert share == pytest.approx(58 / 2 / 30)


def test_outbound_share_without_a_backlog_is_not_a_figure() -> None:
    assert backlog_share([(0.0, 3), (1.0, 2)], [0.5], limit=30, backlog=30) == (None, 0.0)


def test_outbound_share_over_a_backlog_of_seconds_is_not_a_figure() -> None:
    """34 sends in a one-second window once printed 113%: under 10 s of backlog, no share."""
    samples = [(0.0, 40), (1.0, 0)]
    assert backlog_share(samples, [i / 34 for i in range(34)], limit=30, backlog=30) == (None, 1.0)
    long = [(float(t), 40) for t in range(11)] + [(11.0, 0)]
    share, seconds = backlog_share(long, [i / 30 for i in range(330)], limit=30, backlog=30)
    assert (share, seconds) == (pytest.approx(1.0), pytest.approx(11.0))


def test_memory_growth_compares_the_first_and_last_minute() -> None:
    samples = [(float(t), 100_000 if t <= 60 else 105_000) for t in range(0, 610, 10)]
    growth = memory_growth(samples)
    assert growth["first_minute_mib"] == pytest.approx(100_000 / 1024)
    assert growth["last_minute_mib"] == pytest.approx(105_000 / 1024)
    assert growth["growth"] == pytest.approx(0.05)


def _measured(**changes: object) -> Figures:
    figures = Figures(
        "pg1",
        inbound_per_s=60.0,
        outbound_share=0.96,
        throttled=0,
        users=10,
        expected=1000,
        lost=0,
        duplicated=0,
    )
    for name, value in changes.items():
        setattr(figures, name, value)
    return figures


def test_targets_pass_on_figures_that_meet_them() -> None:
    echo = Figures("echo floor", inbound_per_s=100.0)
    result = targets(_measured(), echo)
    assert result == {
        "throughput >= 0.5 x echo": PASS,
        "outbound >= 95% of limit": PASS,
        "zero 429s": PASS,
        "zero lost": PASS,
        "duplicates < 0.1%": PASS,
        "memory flat (soak)": NOT_RUN,
    }


@pytest.mark.parametrize(
    ("changes", "target"),
    [
        ({"inbound_per_s": 49.9}, "throughput >= 0.5 x echo"),
        ({"outbound_share": 0.949}, "outbound >= 95% of limit"),
        ({"throttled": 1}, "zero 429s"),
        ({"lost": 1}, "zero lost"),
        ({"duplicated": 1}, "duplicates < 0.1%"),  # exactly 0.1% is not under it
        ({"memory": {"growth": 0.11}}, "memory flat (soak)"),
    ],
)
def test_each_target_fails_on_its_own_figure(changes: dict[str, object], target: str) -> None:
    echo = Figures("echo floor", inbound_per_s=100.0)
    result = targets(_measured(**changes), echo)
    assert result[target] == FAIL
    assert [name for name, verdict in result.items() if verdict == FAIL] == [target]


def test_unmeasured_figures_are_not_run_rather_than_passed() -> None:
    result = targets(Figures("sqlite"), None)
    assert set(result.values()) == {NOT_RUN}


def test_the_table_has_a_row_per_configuration_and_the_echo_floor() -> None:
    table = markdown([_measured()], Figures("echo floor", inbound_per_s=100.0))
    assert "| pg1 | 60 | 0.60 |" in table
    assert "| echo floor | 100 | 1.00 |" in table
    assert "| pg1 | PASS | PASS | PASS | PASS | PASS | not run |" in table


def test_cpu_used_counts_a_process_born_during_the_burst_whole() -> None:
    before = {("serve", 10): 5.0, ("postgresql", 20): 1.0, ("load generator", 1): 2.0}
    after = {
        ("serve", 10): 6.5,
        ("postgresql", 20): 1.25,
        ("postgresql", 21): 0.5,  # a backend opened for the burst
        ("load generator", 1): 2.25,
    }
    assert used(before, after) == {"serve": 1.5, "postgresql": 0.75, "load generator": 0.25}


def test_the_cpu_table_gives_each_role_and_the_sum_per_update() -> None:
    figures = Figures("pg1w", burst_cpu_ms_per_update={"serve": 0.12, "work": 0.1, "x": 0.01})
    lines = cpu_table([figures, Figures("not measured")])
    assert lines[-1] == "| pg1w | 0.120 | 0.100 | – | – | 0.230 |"
    assert len(lines) == 4  # a blank line, the head, the rule and one row
