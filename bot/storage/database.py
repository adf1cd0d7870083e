"""Opening the database named by DATABASE_URL and bringing its schema up to date with Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVarTuple, overload

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Executable, Select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.dialects import dialect_for, dialect_of

MIGRATIONS = Path(__file__).parent / "migrations"
Row = TypeVarTuple("Row")


def open_engine(url: str) -> AsyncEngine:
    """An async engine for `url`, pooled and tuned as its database needs (`dialects/`)."""
    parsed = make_url(url)
    return dialect_for(parsed).open_engine(parsed)


def asyncpg_dsn(url: str) -> str | None:
    """The plain asyncpg DSN of a PostgreSQL URL (for the connections that sit outside the pool:
    LISTEN and advisory locks); None for any other database."""
    parsed = make_url(url)
    return dialect_for(parsed).asyncpg_dsn(parsed)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration (run on every start; a no-op when up to date)."""
    async with engine.begin() as connection:
        await dialect_of(connection).lock_for_migrations(connection)
        await connection.run_sync(_upgrade)


async def autocommit(session: AsyncSession) -> None:
    """Let the session's one statement commit by itself: no BEGIN and COMMIT around it (two
    round trips more on PostgreSQL). Call first, before anything else uses the session.
    Not on SQLite: there BEGIN and COMMIT cost no round trip, so there is nothing to save."""
    await dialect_of(session).autocommit(session)


def sessions(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


@overload
async def core(session: AsyncSession, statement: Select[*Row]) -> CursorResult[*Row]: ...


@overload
async def core(session: AsyncSession, statement: Executable) -> CursorResult[*tuple[Any, ...]]: ...


async def core(session: AsyncSession, statement: Executable) -> CursorResult[*tuple[Any, ...]]:
    """`statement` on the session's connection, in its transaction, as Core: a select of
    columns, or an UPDATE or DELETE that no object of the session mirrors, has nothing for the
    ORM to do, yet went through its compile and loading steps. Unlike `session.execute` it
    does not flush the session's pending objects first."""
    connection = await session.connection()
    return await connection.execute(statement)
