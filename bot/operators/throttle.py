"""Throttling password tries, so that guessing is slow but the operator is never locked out.

Failures are counted under two keys: the (name, address) pair and the address alone. A few
tries are free; after that each further try must wait a delay that doubles with every failure
(up to WINDOW) after the last one. Nothing is counted by name alone: five wrong passwords for
`admin` from anywhere must not refuse the real admin everywhere, so the right password from an
address that has not failed always works. A refused try is answered before the password is
checked, so waiting costs the attacker time and us no argon2 hash.

Only hashes are stored: the address arrives already keyed (`auth.client_ip`), and the pair
key hashes the name together with that keyed address, so neither can be recovered by trying
every name or every IPv4 address without the app's secret."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.operators.passwords import verify_password
from bot.operators.tables import LoginFailure
from bot.storage.conversations import as_utc

WINDOW = dt.timedelta(minutes=15)
"""Failures older than this no longer count; also the longest delay."""
FIRST_DELAY = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Rule:
    """Free tries under one key, then delays doubling from FIRST_DELAY."""

    free: int

    def delay(self, failures: int) -> dt.timedelta:
        if failures < self.free:
            return dt.timedelta(0)
        return min(WINDOW, FIRST_DELAY * (1 << min(failures - self.free, 16)))


PAIR = Rule(free=3)
"""One name from one address: an operator mistyping."""
ADDRESS = Rule(free=10)
"""Every name from one address: an office behind one NAT mistypes more, a guesser far more."""


class Throttled(Exception):
    """Too many recent failed tries from this address; `wait` is how long until the next."""

    def __init__(self, wait: dt.timedelta) -> None:
        super().__init__(f"too many failed logins; try again in {wait}")
        self.wait = wait


def failure_keys(name: str, ip: str) -> tuple[str, str]:
    """What a failure is counted under, (pair, address): hashes of the keyed address."""
    return (
        hashlib.sha256(f"pair:{name.strip().lower()}\x00{ip}".encode()).hexdigest(),
        hashlib.sha256(f"ip:{ip}".encode()).hexdigest(),
    )


async def wait_for(
    session: AsyncSession, name: str, ip: str, now: dt.datetime
) -> dt.timedelta | None:
    """How long this name from this address must wait before trying again, or None."""
    longest: dt.timedelta | None = None
    for key, rule in zip(failure_keys(name, ip), (PAIR, ADDRESS), strict=True):
        rows = await session.scalars(
            select(LoginFailure.at).where(LoginFailure.key == key, LoginFailure.at > now - WINDOW)
        )
        times = [as_utc(at) for at in rows]
        if not times:
            continue
        wait = max(times) + rule.delay(len(times)) - now
        if wait > dt.timedelta(0):
            longest = wait if longest is None else max(longest, wait)
    return longest


async def attempt(
    session: AsyncSession, name: str, ip: str, now: dt.datetime, stored: str, password: str
) -> bool:
    """One password try for `name` from `ip`: refused with Throttled while a delay runs, else
    checked against `stored`; a failure is recorded under both keys, a success clears the
    pair's (not the address's: logging in to one's own account must not reset a guesser's
    count). The caller commits either way (a failure must be kept though the login is refused)."""
    wait = await wait_for(session, name, ip, now)
    if wait is not None:
        raise Throttled(wait)
    ok = await asyncio.to_thread(verify_password, stored, password)
    pair, address = failure_keys(name, ip)
    if ok:
        await session.execute(delete(LoginFailure).where(LoginFailure.key == pair))
    else:
        session.add_all(LoginFailure(key=key, at=now) for key in (pair, address))
    return ok
