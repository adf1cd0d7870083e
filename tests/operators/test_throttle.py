"""Throttling password tries per (name, address) and per address, with growing delays, through
`accounts.authenticate`: an attacker is slowed, the operator elsewhere is never locked out."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from bot.operators import accounts
from bot.operators.tables import LoginFailure
from bot.operators.throttle import WINDOW, Throttled
from bot.service.core import Core as App
from tests.operators.conftest import NOW, PASSWORD, new_operator

A, B = "10.0.0.9", "10.0.0.10"


async def guess_until_throttled(
    app: App, name: str, ip: str, when: dt.datetime, password: str = "x"
) -> dt.timedelta:
    """Wrong passwords for `name` from `ip` at `when` until one is refused; the wait given."""
    for _ in range(50):
        try:
            await accounts.authenticate(app.service.sessions, name, password, ip, when)
        except accounts.LoginFailed:
            continue
        except Throttled as refused:
            return refused.wait
    raise AssertionError("never throttled")


async def test_an_attacker_cannot_lock_the_operator_out(app: App) -> None:
    await new_operator(app, "admin")
    sessions = app.service.sessions
    waits = [await guess_until_throttled(app, "admin", A, NOW)]
    when = NOW
    for _ in range(3):
        when += waits[-1]  # the attacker waits exactly as told, and tries again
        waits.append(await guess_until_throttled(app, "admin", A, when))
    assert all(later > earlier for earlier, later in itertools.pairwise(waits))
    # while A waits, even the right password is refused from A without being checked
    with pytest.raises(Throttled):
        await accounts.authenticate(sessions, "admin", PASSWORD, A, when)
    # the real admin, from an address that has not failed, logs in at once
    operator = await accounts.authenticate(sessions, "admin", PASSWORD, B, when)
    assert operator.name == "admin"


async def test_the_first_tries_are_free_then_delays_grow(app: App) -> None:
    await new_operator(app)
    sessions = app.service.sessions
    for _ in range(3):
        with pytest.raises(accounts.LoginFailed):
            await accounts.authenticate(sessions, "olga", "x", A, NOW)
    with pytest.raises(Throttled) as first:
        await accounts.authenticate(sessions, "olga", PASSWORD, A, NOW)
    later = NOW + first.value.wait
    with pytest.raises(accounts.LoginFailed):
        await accounts.authenticate(sessions, "olga", "x", A, later)
    with pytest.raises(Throttled) as second:
        await accounts.authenticate(sessions, "olga", PASSWORD, A, later)
    assert dt.timedelta(0) < first.value.wait < second.value.wait <= WINDOW
    # the right password once the wait is over
    await accounts.authenticate(sessions, "olga", PASSWORD, A, later + second.value.wait)


async def test_many_names_from_one_address_are_throttled_per_address(app: App) -> None:
    await new_operator(app)
    sessions = app.service.sessions
    tried = 0
    with pytest.raises(Throttled):
        for index in range(50):
            tried += 1
            with pytest.raises(accounts.LoginFailed):
                await accounts.authenticate(sessions, f"guess{index}", "x", A, NOW)
    assert 3 < tried <= 12
    # the address is slowed for every name, even with the right password ...
    with pytest.raises(Throttled):
        await accounts.authenticate(sessions, "olga", PASSWORD, A, NOW)
    # ... and nobody else is
    await accounts.authenticate(sessions, "olga", PASSWORD, B, NOW)


async def test_failures_leave_the_window(app: App) -> None:
    await new_operator(app)
    sessions = app.service.sessions
    await guess_until_throttled(app, "olga", A, NOW)
    later = NOW + WINDOW + dt.timedelta(seconds=1)
    await accounts.authenticate(sessions, "olga", PASSWORD, A, later)


async def test_failures_are_stored_only_as_hashes(app: App) -> None:
    await new_operator(app)
    with pytest.raises(accounts.LoginFailed):
        await accounts.authenticate(app.service.sessions, "olga", "x", "203.0.113.7", NOW)
    async with app.service.sessions() as session:
        keys = list(await session.scalars(select(LoginFailure.key)))
    assert len(keys) == 2 and all(len(key) == 64 and "203.0" not in key for key in keys)
    assert all("olga" not in key for key in keys)
