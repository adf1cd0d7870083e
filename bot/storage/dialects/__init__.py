"""The one place that knows how SQLite and PostgreSQL differ (see `base.Dialect`)."""

from __future__ import annotations

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.storage.dialects.base import Dialect
from bot.storage.dialects.postgresql import Postgresql
from bot.storage.dialects.sqlite import Sqlite

DIALECTS: dict[str, Dialect] = {dialect.name: dialect for dialect in (Sqlite(), Postgresql())}


class UnsupportedDatabase(ValueError):
    """A database other than SQLite and PostgreSQL."""


def dialect_named(name: str) -> Dialect:
    """The `Dialect` of SQLAlchemy's database `name` ("sqlite", "postgresql")."""
    found = DIALECTS.get(name)
    if found is None:
        raise UnsupportedDatabase(
            f"DATABASE_URL names a {name} database: only sqlite+aiosqlite:// and"
            " postgresql+asyncpg:// are supported"
        )
    return found


def dialect_for(url: URL) -> Dialect:
    """The `Dialect` of the database `url` names."""
    return dialect_named(url.get_backend_name())


def dialect_of(bind: AsyncSession | AsyncConnection) -> Dialect:
    """The `Dialect` of the database a session or connection works on."""
    if isinstance(bind, AsyncSession):
        return dialect_named(bind.get_bind().dialect.name)
    return dialect_named(bind.dialect.name)


__all__ = [
    "DIALECTS",
    "Dialect",
    "UnsupportedDatabase",
    "dialect_for",
    "dialect_named",
    "dialect_of",
]
