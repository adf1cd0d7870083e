"""Operator accounts below the web: passwords, the first operator, logins, throttling and
purging, on SQLite and PostgreSQL; and the one-time password a first start prints."""

from __future__ import annotations

import datetime as dt
import io
import logging
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from bot.operators import accounts
from bot.operators.passwords import needs_rehash, verify_password
from bot.operators.tables import LoginFailure, Operator, OperatorSession
from bot.service.core import Core as App
from tests.conftest import make_settings
from tests.operators.conftest import NOW, PASSWORD, new_operator
from tests.serving import running


async def test_names_languages_and_passwords_are_checked(app: App) -> None:
    await new_operator(app, "Olga")
    async with app.service.sessions() as session:
        with pytest.raises(accounts.AccountError, match="already exists"):
            await accounts.add_operator(session, "olga", "ru", PASSWORD)
        with pytest.raises(accounts.AccountError, match="ru, uz, tg"):
            await accounts.add_operator(session, "marat", "ru,kk", PASSWORD)
        with pytest.raises(accounts.AccountError, match="no spaces"):
            await accounts.add_operator(session, "two words", "ru", PASSWORD)
        with pytest.raises(accounts.AccountError, match="at least 12"):
            await accounts.add_operator(session, "marat", "ru", "short")
    assert accounts.parse_langs(" UZ, ru ,uz") == ("uz", "ru")


async def test_the_first_operator_is_created_once(app: App) -> None:
    password = await accounts.ensure_first_operator(app.service.sessions)
    assert password is not None and len(password) >= 16
    assert await accounts.ensure_first_operator(app.service.sessions) is None
    async with app.service.sessions() as session:
        admin = await accounts.find(session, "admin")
    assert admin is not None and admin.languages == ("ru", "uz", "tg")
    assert admin.must_change_password and verify_password(admin.password_hash, password)


async def test_authenticate_checks_the_password_and_the_account(app: App) -> None:
    olga = await new_operator(app)
    sessions = app.service.sessions
    assert (await accounts.authenticate(sessions, "OLGA", PASSWORD, "10.0.0.1", NOW)).id == olga.id
    with pytest.raises(accounts.LoginFailed):
        await accounts.authenticate(sessions, "olga", "wrong", "10.0.0.1", NOW)
    async with sessions() as session, session.begin():
        found = await session.get(Operator, olga.id)
        assert found is not None
        await accounts.disable(session, found)
    with pytest.raises(accounts.LoginFailed):
        await accounts.authenticate(sessions, "olga", PASSWORD, "10.0.0.1", NOW)


async def test_a_hash_with_old_parameters_is_replaced_at_login(app: App) -> None:
    olga = await new_operator(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    async with app.service.sessions() as session, session.begin():
        found = await session.get(Operator, olga.id)
        assert found is not None
        found.password_hash = weak
    await accounts.authenticate(app.service.sessions, "olga", PASSWORD, "10.0.0.1", NOW)
    async with app.service.sessions() as session:
        stored = await session.scalar(select(Operator.password_hash).where(Operator.id == olga.id))
    assert stored != weak and not needs_rehash(str(stored))
    assert verify_password(str(stored), PASSWORD)


async def test_logins_resolve_until_they_expire_or_end(app: App) -> None:
    olga = await new_operator(app)
    async with app.service.sessions() as session, session.begin():
        token = await accounts.start_login(session, olga, NOW, hours=12)
    async with app.service.sessions() as session:
        login = await accounts.resolve(session, token, NOW + dt.timedelta(hours=11))
        assert login is not None and login.operator.id == olga.id and login.csrf
        assert await accounts.resolve(session, token, NOW + dt.timedelta(hours=12)) is None
        assert await accounts.resolve(session, token + "x", NOW) is None
        assert await session.get(OperatorSession, token) is None  # only its hash is kept
    async with app.service.sessions() as session, session.begin():
        await accounts.end_login(session, token)
    async with app.service.sessions() as session:
        assert await accounts.resolve(session, token, NOW) is None


async def test_purge_deletes_expired_logins_and_old_failures(app: App) -> None:
    olga = await new_operator(app)
    async with app.service.sessions() as session, session.begin():
        await accounts.start_login(session, olga, NOW - dt.timedelta(hours=13), hours=12)
        kept = await accounts.start_login(session, olga, NOW, hours=12)
        session.add(LoginFailure(key="a" * 64, at=NOW - dt.timedelta(days=2)))
        session.add(LoginFailure(key="b" * 64, at=NOW - dt.timedelta(hours=2)))
    async with app.service.sessions() as session, session.begin():
        assert await accounts.purge(session, NOW) == 2
    async with app.service.sessions() as session:
        assert await accounts.resolve(session, kept, NOW) is not None
        assert await session.scalar(select(func.count()).select_from(LoginFailure)) == 1


class Terminal(io.StringIO):
    """Standard output as a person at a terminal has it."""

    def isatty(self) -> bool:
        return True


async def test_a_first_start_on_a_terminal_prints_the_one_time_password_once(
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(
        tmp_path, database_url, PUBLIC_URL="https://helpline.example.org", OPERATOR_BOOTSTRAP="1"
    )
    caplog.set_level(logging.DEBUG)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    async with running(settings) as first, first.services.sessions() as session:
        admin = await accounts.find(session, "admin")
    lines = [line for line in terminal.getvalue().splitlines() if "one-time password" in line]
    assert len(lines) == 1
    assert "https://helpline.example.org/operator" in lines[0] and "login: admin" in lines[0]
    password = lines[0].split("one-time password: ")[1].split()[0]
    assert admin is not None and verify_password(admin.password_hash, password)
    assert password not in caplog.text
    assert not (settings.data_dir / accounts.BOOTSTRAP_FILE).exists()
    async with running(settings):
        pass
    assert len([line for line in terminal.getvalue().splitlines() if "one-time" in line]) == 1


async def test_a_first_start_without_a_terminal_keeps_the_password_out_of_the_log(
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Standard output is often a log file: the password goes to a file only its owner can
    read, and the log says where (never the password)."""
    settings = make_settings(tmp_path, database_url, OPERATOR_BOOTSTRAP="1")
    caplog.set_level(logging.DEBUG)
    async with running(settings) as first, first.services.sessions() as session:
        admin = await accounts.find(session, "admin")
    kept = settings.data_dir / accounts.BOOTSTRAP_FILE
    assert kept.stat().st_mode & 0o777 == 0o600
    password = kept.read_text().split("one-time password: ")[1].split()[0]
    assert admin is not None and verify_password(admin.password_hash, password)
    out = capsys.readouterr()
    assert password not in out.out + out.err and "one-time password:" not in out.out
    assert password not in caplog.text
    assert [r for r in caplog.records if str(kept) in r.getMessage()]


async def test_the_first_operator_can_be_left_out(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path, database_url, OPERATOR_BOOTSTRAP="0")
    async with running(settings) as run, run.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Operator)) == 0
    assert "one-time password" not in capsys.readouterr().out
