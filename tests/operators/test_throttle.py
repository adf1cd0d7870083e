"""Throttling password tries by name and by address, through `accounts.authenticate`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.app import App
from bot.operators import accounts
from bot.operators.tables import LoginFailure
from bot.operators.throttle import WINDOW, Throttled
from tests.operators.conftest import NOW, PASSWORD, new_operator


async def test_five_failures_from_one_address_throttle_every_name(app: App) -> None:
    await new_operator(app)
    sessions = app.service.sessions
    for index in range(5):
        with pytest.raises(accounts.LoginFailed):
            await accounts.authenticate(sessions, f"guess{index}", "x", "10.0.0.9", NOW)
    with pytest.raises(Throttled) as refused:
        await accounts.authenticate(sessions, "olga", PASSWORD, "10.0.0.9", NOW)
    assert refused.value.wait == WINDOW
    # another address may still log in, and the window passes
    await accounts.authenticate(sessions, "olga", PASSWORD, "10.0.0.10", NOW)
    later = NOW + WINDOW + dt.timedelta(seconds=1)
    await accounts.authenticate(sessions, "olga", PASSWORD, "10.0.0.9", later)


async def test_failures_are_stored_only_as_hashes(app: App) -> None:
    await new_operator(app)
    with pytest.raises(accounts.LoginFailed):
        await accounts.authenticate(app.service.sessions, "olga", "x", "203.0.113.7", NOW)
    async with app.service.sessions() as session:
        keys = list(await session.scalars(select(LoginFailure.key)))
    assert len(keys) == 2 and all(len(key) == 64 and "203.0" not in key for key in keys)


async def test_failures_leave_the_window(app: App) -> None:
    await new_operator(app)
    sessions = app.service.sessions
    for minute in range(5):
        when = NOW + dt.timedelta(minutes=minute)
        with pytest.raises(accounts.LoginFailed):
            await accounts.authenticate(sessions, "olga", "x", f"10.0.1.{minute}", when)
    with pytest.raises(Throttled) as refused:
        await accounts.authenticate(
            sessions, "olga", PASSWORD, "10.0.2.1", NOW + dt.timedelta(minutes=5)
        )
    assert refused.value.wait == WINDOW - dt.timedelta(minutes=5)
    # once the first failure is 15 minutes old, four remain: a try is allowed again
    await accounts.authenticate(
        sessions, "olga", PASSWORD, "10.0.2.1", NOW + WINDOW + dt.timedelta(seconds=1)
    )
