"""`python -m bot operator`: adding operators with a generated or piped password, listing,
changing passwords and disabling."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.operators import accounts
from bot.operators.passwords import verify_password
from bot.operators.tables import Operator
from bot.storage.database import open_engine, sessions
from tests.conftest import ROOT


class Terminal(io.StringIO):
    """stdin as a person at a terminal (nothing piped)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BOT_SECRET_KEY", "test-secret-key")
    return url


def stored(url: str, name: str) -> Operator:
    async def load() -> Operator:
        engine = open_engine(url)
        try:
            async with sessions(engine)() as session:
                found = await accounts.find(session, name)
        finally:
            await engine.dispose()
        assert found is not None
        return found

    return asyncio.run(load())


def test_add_prints_a_generated_one_time_password(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal())
    assert main(["operator", "add", "olga", "--langs", "ru,uz"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"one-time password: (\S+)", out)
    assert found is not None
    operator = stored(database, "olga")
    assert operator.langs == "ru,uz" and operator.must_change_password
    assert verify_password(operator.password_hash, found.group(1))


def test_add_reads_a_piped_password(database: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "operator", "add", "marat", "--langs", "tg"],
        input="a password from a pipe\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "a password from a pipe" not in done.stdout and "one-time" not in done.stdout
    operator = stored(database, "marat")
    assert verify_password(operator.password_hash, "a password from a pipe")
    assert not operator.must_change_password


def test_mistakes_are_explained_without_a_traceback(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["operator", "add", "olga", "--langs", "ru"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("long enough password\n"))
    assert main(["operator", "add", "olga", "--langs", "ru,de"]) == 2
    assert "languages must be some of ru, uz, tg" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("long enough password\n"))
    assert main(["operator", "add", "olga", "--langs", "ru"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("long enough password\n"))
    assert main(["operator", "add", "OLGA", "--langs", "ru"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["operator", "disable", "nobody"]) == 2


def test_list_passwd_and_disable(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("long enough password\n"))
    main(["operator", "add", "olga", "--langs", "ru,tg"])
    monkeypatch.setattr(sys, "stdin", Terminal())
    assert main(["operator", "passwd", "olga"]) == 0
    new = re.search(r"one-time password: (\S+)", capsys.readouterr().out)
    assert new is not None
    operator = stored(database, "olga")
    assert verify_password(operator.password_hash, new.group(1))
    assert operator.must_change_password
    assert main(["operator", "disable", "olga"]) == 0
    assert not stored(database, "olga").active
    capsys.readouterr()
    assert main(["operator", "list"]) == 0
    listed = capsys.readouterr().out
    assert "olga" in listed and "ru,tg" in listed and "disabled" in listed
    assert main(["operator", "enable", "olga"]) == 0
    assert stored(database, "olga").active


def test_the_name_users_see_is_set_on_adding_or_later(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("long enough password\n"))
    assert main(["operator", "add", "olga", "--langs", "ru", "--display-name", "Ольга"]) == 0
    assert stored(database, "olga").display_name == "Ольга"
    assert main(["operator", "display-name", "olga", "Оля"]) == 0
    assert stored(database, "olga").display_name == "Оля"
    capsys.readouterr()
    assert main(["operator", "list"]) == 0
    assert "Оля" in capsys.readouterr().out
    assert main(["operator", "display-name", "olga", "x" * 41]) == 2
    assert "at most 40" in capsys.readouterr().err
    assert main(["operator", "display-name", "olga"]) == 0  # none: users see "Operator" only
    assert stored(database, "olga").display_name is None
