"""The per-visitor rate limit."""

from __future__ import annotations

from bot.channels.web.limits import RateLimit


def test_a_burst_then_the_rate() -> None:
    now = [0.0]
    limit = RateLimit(rate=5, burst=5, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(6)] == [True] * 5 + [False]
    assert limit.allow("b")  # another visitor has their own
    now[0] += 0.2
    assert limit.allow("a") and not limit.allow("a")
    now[0] += 10
    assert [limit.allow("a") for _ in range(6)] == [True] * 5 + [False]


def test_refused_attempts_do_not_push_the_refill_back() -> None:
    now = [0.0]
    limit = RateLimit(rate=5, burst=5, clock=lambda: now[0])
    for _ in range(5):
        limit.allow("a")
    for _ in range(3):
        now[0] += 0.05
        assert not limit.allow("a")
    now[0] += 0.05
    assert limit.allow("a")  # 0.2 s after the burst: one token back
