"""The storage layer's one place for SQLite and PostgreSQL differences, and its refusal of any
other database."""

from __future__ import annotations

import pytest

from bot.storage.database import asyncpg_dsn, open_engine
from bot.storage.dialects import DIALECTS, UnsupportedDatabase, dialect_named


def test_sqlite_and_postgresql_are_the_dialects() -> None:
    assert sorted(DIALECTS) == ["postgresql", "sqlite"]
    assert dialect_named("sqlite").keeps_log_file
    assert not dialect_named("postgresql").keeps_log_file


def test_another_database_is_refused_when_opened() -> None:
    with pytest.raises(UnsupportedDatabase, match="only sqlite"):
        open_engine("mysql+aiomysql://bot@db/helpline")


def test_the_asyncpg_dsn_is_postgresqls_alone() -> None:
    assert asyncpg_dsn("sqlite+aiosqlite:///data/bot.db") is None
    dsn = asyncpg_dsn("postgresql+asyncpg://bot:secret@db.internal/helpline")
    assert dsn == "postgresql://bot:secret@db.internal/helpline"
