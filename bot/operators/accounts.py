"""Operator accounts: creating and changing them, the first operator, and console logins.

A login is a random token in the operator's cookie; the database keeps only its SHA-256, so a
copy of the database cannot be used to log in. Password tries are throttled (`throttle.py`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import re
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import LANGUAGES
from bot.operators.passwords import (
    MAX_PASSWORD,
    dummy_hash,
    generate_password,
    hash_password,
    needs_rehash,
)
from bot.operators.tables import LoginFailure, Operator, OperatorSession
from bot.operators.throttle import attempt
from bot.storage.conversations import as_utc

log = logging.getLogger(__name__)

FIRST_OPERATOR = "admin"
BOOTSTRAP_FILE = "operator-bootstrap.txt"
"""Where a first start without a terminal leaves the one-time password (in DATA_DIR)."""
MIN_PASSWORD = 12
NAME = re.compile(r"^[\w.@-]{1,64}$")
FAILURES_KEPT = dt.timedelta(days=1)
DISPLAY_NAME_LIMIT = 40
"""Characters of the name users see beside an operator's messages (the column's size)."""


class AccountError(ValueError):
    """A name, language list or password that cannot be used; the message says why."""


class LoginFailed(Exception):
    """Wrong name or password (the same answer for both, so names cannot be probed)."""


@dataclass(frozen=True)
class Login:
    """A valid console login: who, and the CSRF token bound to it."""

    operator: Operator
    csrf: str


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def check_display_name(value: str | None) -> str | None:
    """The name users see beside an operator's messages, tidied (spaces collapsed); None when
    empty, so users see "Operator" alone. AccountError when too long or not printable."""
    name = " ".join((value or "").split())
    if not name:
        return None
    if len(name) > DISPLAY_NAME_LIMIT:
        raise AccountError(f"a display name has at most {DISPLAY_NAME_LIMIT} characters")
    if not name.isprintable():
        raise AccountError("a display name cannot hold control characters")
    return name


def parse_langs(langs: str | Sequence[str]) -> tuple[str, ...]:
    """Language codes from 'ru,uz' or a list, checked against the bot's languages."""
    items = langs.split(",") if isinstance(langs, str) else list(langs)
    codes = tuple(dict.fromkeys(code.strip().lower() for code in items if code.strip()))
    unknown = [code for code in codes if code not in LANGUAGES]
    if unknown or not codes:
        raise AccountError(
            f"languages must be some of {', '.join(LANGUAGES)} (got {', '.join(items) or '-'})"
        )
    return codes


async def find(session: AsyncSession, name: str) -> Operator | None:
    """The operator of this name, whatever its case."""
    found: Operator | None = await session.scalar(
        select(Operator).where(func.lower(Operator.name) == name.strip().lower())
    )
    return found


async def add_operator(
    session: AsyncSession,
    name: str,
    langs: str | Sequence[str],
    password: str,
    *,
    must_change_password: bool = False,
    now: dt.datetime | None = None,
    display_name: str | None = None,
) -> Operator:
    """A new active operator; AccountError when the name is taken or anything is invalid.
    `display_name`: the name users see beside their messages (none: "Operator" alone)."""
    name = name.strip()
    if not NAME.match(name):
        raise AccountError("a name is 1-64 letters, digits or . _ @ - (no spaces)")
    codes = parse_langs(langs)
    check_password(password)
    shown = check_display_name(display_name)
    if await find(session, name) is not None:
        raise AccountError(f"an operator named {name!r} already exists")
    operator = Operator(
        name=name,
        password_hash=await asyncio.to_thread(hash_password, password),
        langs=",".join(codes),
        active=True,
        must_change_password=must_change_password,
        created_at=now or dt.datetime.now(dt.UTC),
        display_name=shown,
    )
    session.add(operator)
    await session.flush()
    return operator


async def set_password(
    session: AsyncSession, operator: Operator, password: str, *, must_change: bool = False
) -> None:
    """A new password; every login of the operator ends (the caller may start a new one)."""
    check_password(password)
    operator.password_hash = await asyncio.to_thread(hash_password, password)
    operator.must_change_password = must_change
    await session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))


async def set_display_name(
    sessions: async_sessionmaker[Any], operator_id: int, value: str | None
) -> str | None:
    """Set (or, empty, clear) the name users see beside an operator's messages; the name
    stored. AccountError when it cannot be used."""
    name = check_display_name(value)
    async with sessions() as session, session.begin():
        operator = await session.get(Operator, operator_id)
        if operator is None:
            raise AccountError("no such operator")
        operator.display_name = name
    return name


async def ensure_first_operator(sessions: async_sessionmaker[Any]) -> str | None:
    """With no operator at all, create `admin` for every language and return its one-time
    password (to be changed at first login); otherwise None."""
    async with sessions() as session:
        if await session.scalar(select(func.count()).select_from(Operator)):
            return None
    password = generate_password()
    try:
        async with sessions() as session, session.begin():
            if await session.scalar(select(func.count()).select_from(Operator)):
                return None
            await add_operator(
                session, FIRST_OPERATOR, LANGUAGES, password, must_change_password=True
            )
    except IntegrityError:  # another process created it at the same moment
        return None
    return password


async def announce_first_operator(
    sessions: async_sessionmaker[Any], public_url: str, data_dir: Path, out: TextIO | None = None
) -> bool:
    """On a first start, create the first operator and tell whoever started the server how to
    log in, never through the log (it may be kept and shared): on `out` (standard output) when
    it is a terminal; otherwise standard output is likely a log file, so into BOOTSTRAP_FILE in
    `data_dir`, readable by this user only, with a log line saying where."""
    password = await ensure_first_operator(sessions)
    if password is None:
        return False
    out = out or sys.stdout
    where = f"{public_url}/operator" if public_url else "http://<this server>/operator"
    line = (
        f"Operator console: {where}  login: {FIRST_OPERATOR}  one-time password: {password}"
        "  (change it after logging in)\n"
    )
    if out.isatty():
        out.write(line)
        out.flush()
        return True
    path = data_dir / BOOTSTRAP_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a stale one (of a wiped database) may have other modes
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as kept:
        kept.write(line)
    log.warning(
        "first start: operator %r created; its one-time password is in %s "
        "(readable by this user only; delete the file once logged in)",
        FIRST_OPERATOR,
        path.resolve(),
    )
    return True


# --- logins -----------------------------------------------------------------------------------
def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authenticate(
    sessions: async_sessionmaker[Any], name: str, password: str, ip: str, now: dt.datetime
) -> Operator:
    """The active operator with this name and password. Raises Throttled before checking
    anything when there were too many failures, LoginFailed (recorded) when wrong."""
    async with sessions() as session, session.begin():
        operator = await find(session, name)
        usable = operator is not None and operator.active
        if operator is not None and usable:
            stored = operator.password_hash
        else:
            stored = await asyncio.to_thread(dummy_hash)
        # The failure is committed with this transaction, so LoginFailed is raised after it.
        ok = await attempt(session, name, ip, now, stored, password) and usable
        if ok and operator is not None and needs_rehash(stored):
            operator.password_hash = await asyncio.to_thread(hash_password, password)
    if not ok or operator is None:
        raise LoginFailed()
    return operator


async def change_password(
    sessions: async_sessionmaker[Any],
    operator_id: int,
    current: str,
    new: str,
    ip: str,
    now: dt.datetime,
) -> Operator:
    """The operator's own password change: the current one is checked (and throttled like a
    login), then every login of theirs ends; the caller starts a new one."""
    check_password(new)
    async with sessions() as session, session.begin():
        operator: Operator | None = await session.get(Operator, operator_id)
        if operator is None or not operator.active:
            raise LoginFailed()
        ok = await attempt(session, operator.name, ip, now, operator.password_hash, current)
        if ok:
            await set_password(session, operator, new)
    if not ok:
        raise LoginFailed()
    return operator


async def start_login(
    session: AsyncSession, operator: Operator, now: dt.datetime, hours: int
) -> str:
    """A new login for the operator; returns the token for the cookie (stored only hashed)."""
    token = secrets.token_urlsafe(32)
    session.add(
        OperatorSession(
            id=token_hash(token),
            operator_id=operator.id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    return token


async def resolve(session: AsyncSession, token: str, now: dt.datetime) -> Login | None:
    """The login this cookie token belongs to, if it is unexpired and its operator active."""
    if not token or len(token) > 128:
        return None
    row = await session.get(OperatorSession, token_hash(token))
    if row is None or as_utc(row.expires_at) <= now:
        return None
    operator = await session.get(Operator, row.operator_id)
    if operator is None or not operator.active:
        return None
    return Login(operator, row.csrf)


async def end_login(session: AsyncSession, token: str) -> None:
    await session.execute(delete(OperatorSession).where(OperatorSession.id == token_hash(token)))


async def disable(session: AsyncSession, operator: Operator) -> None:
    """The operator can no longer log in; open logins end now."""
    operator.active = False
    await session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))


async def purge(session: AsyncSession, now: dt.datetime) -> int:
    """Delete expired logins and login failures older than a day; returns how many."""
    ended = await session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now))
    old = await session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURES_KEPT))
    return sum(int(getattr(result, "rowcount", 0) or 0) for result in (ended, old))
