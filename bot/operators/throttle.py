"""Throttling password tries. Failures are counted by a hash of the name and of the client
address; five within a quarter of an hour refuse further tries for a while without checking
the password, so guessing costs the attacker the wait (and us no argon2 hash)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.operators.passwords import verify_password
from bot.operators.tables import LoginFailure
from bot.storage.conversations import as_utc

WINDOW = dt.timedelta(minutes=15)
LIMIT = 5


class Throttled(Exception):
    """Too many failed tries for this name or address; `wait` is how long until the next."""

    def __init__(self, wait: dt.timedelta) -> None:
        super().__init__(f"too many failed logins; try again in {wait}")
        self.wait = wait


def failure_keys(name: str, ip: str) -> tuple[str, str]:
    """What a failure is counted under: only hashes, no name or address in clear."""
    return (
        hashlib.sha256(f"name:{name.strip().lower()}".encode()).hexdigest(),
        hashlib.sha256(f"ip:{ip}".encode()).hexdigest(),
    )


async def wait_for(
    session: AsyncSession, name: str, ip: str, now: dt.datetime
) -> dt.timedelta | None:
    """How long this name or address must wait before trying again, or None."""
    longest: dt.timedelta | None = None
    for key in failure_keys(name, ip):
        rows = await session.scalars(
            select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
            .order_by(LoginFailure.at)
        )
        times = [as_utc(at) for at in rows]
        if len(times) >= LIMIT:
            # Trying is allowed again once enough failures have left the window.
            wait = times[len(times) - LIMIT] + WINDOW - now
            longest = wait if longest is None else max(longest, wait)
    return longest


async def attempt(
    session: AsyncSession, name: str, ip: str, now: dt.datetime, stored: str, password: str
) -> bool:
    """One password try for `name` from `ip`: refused with Throttled after too many failures,
    else checked against `stored`; a failure is recorded, a success clears the count. The
    caller commits either way (a failure must be kept even though the login is refused)."""
    wait = await wait_for(session, name, ip, now)
    if wait is not None:
        raise Throttled(wait)
    ok = await asyncio.to_thread(verify_password, stored, password)
    keys = failure_keys(name, ip)
    if ok:
        await session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))
    else:
        session.add_all(LoginFailure(key=key, at=now) for key in keys)
    return ok
