"""Shared fixtures: content roots, engines on them, and a database per test (SQLite, PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.engine.engine import Engine
from bot.engine.loader import load_or_raise
from bot.engine.model import Bundle
from bot.engine.texts import Texts
from bot.engine.understanding import NoUnderstanding
from bot.service.core import Core as App
from bot.service.core import open_core as open_app
from bot.settings import HotlineSettings, Settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

ROOT = Path(__file__).resolve().parent.parent
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite golden transcripts")


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API on loopback, without rate limits."""
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio API on loopback, without a pace."""
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture(scope="session")
def shipped_bundle() -> Bundle:
    return load_or_raise(ROOT)


@pytest.fixture(scope="session")
def mini_bundle() -> Bundle:
    return load_or_raise(MINI)


@pytest.fixture
def mini_engine(mini_bundle: Bundle) -> Engine:
    return Engine(mini_bundle, Texts(mini_bundle, HotlineSettings()), NoUnderstanding())


async def _reset_postgres(url: str) -> None:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def _postgres_available() -> str | None:
    """The URL to test against, or None (locally) when the server is unreachable. In CI an
    unreachable server fails the test: the PostgreSQL path must not silently go untested."""
    try:
        asyncio.run(_reset_postgres(POSTGRES_URL))
    except (OSError, Exception) as exc:  # asyncpg raises several unrelated types
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable in CI: {exc}")
        return None
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    url = _postgres_available()
    if url is None:
        pytest.skip("PostgreSQL unreachable (this fails instead of skipping when CI is set)")
    yield url


def make_settings(tmp_path: Path, database_url: str, **env: str) -> Settings:
    base = {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database_url,
        "BOT_SECRET_KEY": "test-secret-key",
        "CONTENT_ROOT": str(ROOT),
        "OPERATOR_BOOTSTRAP": "0",  # tests that need the first operator turn it on
    }
    return Settings.from_env({**base, **env})


@pytest.fixture
async def app(tmp_path: Path, database_url: str) -> AsyncIterator[App]:
    opened = await open_app(make_settings(tmp_path, database_url))
    yield opened
    await opened.close()
