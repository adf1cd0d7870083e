"""The per-visitor rate limit."""

from __future__ import annotations

from bot.channels.web.limits import Newcomers, RateLimit


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


def test_visitors_new_to_an_address_are_limited_and_known_ones_are_not() -> None:
    now = [0.0]
    newcomers = Newcomers(rate=1, burst=3, known=4, clock=lambda: now[0])
    assert [newcomers.allow("a", f"v{n}") for n in range(5)] == [True] * 3 + [False] * 2
    assert all(newcomers.allow("a", f"v{n}") for n in range(3))  # those already posting
    assert newcomers.allow("b", "v9")  # another address has its own
    now[0] += 1
    assert newcomers.allow("a", "v3") and not newcomers.allow("a", "v4")
    now[0] += 10
    assert [newcomers.allow("a", f"v{n}") for n in (4, 5, 6)] == [True] * 3
    # four remembered per address at most: v0 was quiet the longest, so it is new again, and
    # no token is left for it
    assert not newcomers.allow("a", "v0")
    now[0] += 1
    assert newcomers.allow("a", "v0") and newcomers.allow("a", "v6")
