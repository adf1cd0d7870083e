"""Opening the database named by DATABASE_URL and bringing its schema up to date with Alembic."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, TypeVarTuple, overload

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, CursorResult, Executable, Select, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.storage import jsontext, sqlite_inline

MIGRATIONS = Path(__file__).parent / "migrations"
Row = TypeVarTuple("Row")


def open_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite the folder is created and the file tuned for concurrent use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite lets one writer in at a time, and connections of a pool wait
        # for each other in its busy handler, sleeping up to 100 ms a time; with one, waiting
        # is a queue in the pool instead (and no connection is opened and closed again as the
        # load changes).
        # Calls run on the event loop's thread, and only one that has to wait for a lock held
        # elsewhere waits in a thread (`sqlite_inline`); the dialect stays aiosqlite's, in the
        # one SQLAlchemy release whose private names `sqlite_inline` provides.
        sqlite_inline.check_sqlalchemy()
        args, options = parsed.get_dialect()().create_connect_args(parsed)
        engine = create_async_engine(
            url,
            async_creator=partial(sqlite_inline.connect, *args, **{**options, "timeout": 30}),
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            json_serializer=jsontext.dumps,
            json_deserializer=jsontext.loads,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # with WAL a killed process loses nothing committed; only a power cut can lose
            # the transactions of the last moment before it
            cursor.execute("PRAGMA synchronous=NORMAL")
            # A statement that may need undoing alone (a multi-row INSERT ... ON CONFLICT in a
            # transaction) keeps a journal of its own, in a temporary file once past 64 KiB:
            # the intake's insert of a burst's batch opened, wrote and closed one every time.
            cursor.execute("PRAGMA temp_store=MEMORY")
            # The log is copied into the database file every 10,000 pages (40 MB) instead of
            # 1,000: a page written again and again under a burst (an index's, a counter's) is
            # copied and synced once in ten times as many commits. In-process, on 21,000
            # updates, the two took CPU per update from 0.1206 to 0.110-0.114 ms (write calls
            # 163k -> 115k, syncs 143 -> 23).
            cursor.execute("PRAGMA wal_autocheckpoint=10000")
            # What a deleted row or an erased text held is overwritten with zeros, in its page
            # and in pages freed (a long text's overflow pages): set here, not left to how the
            # library was built. With the timed checkpoints of `checkpoint.py` nothing deleted
            # stays readable in the file or its log.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        return engine
    # a database that does not answer must fail a webhook within seconds (503: the platform
    # retries), not hold it for asyncpg's default minute; a statement on a connection that went
    # silent (a network partition) gives up after a minute instead of never; a pool a burst
    # does not exhaust.
    # No ping before each use: with asyncpg it is three round trips (BEGIN, a query,
    # ROLLBACK) for every transaction, under a burst more than the work itself. A connection
    # that died with the server fails its first statement instead; SQLAlchemy then discards it
    # and every connection opened before it, that one request or batch fails (a webhook answers
    # 503, the platform retries; a batch is retried) and the next ones get new connections.
    return create_async_engine(
        url,
        pool_recycle=1800,
        pool_size=10,
        max_overflow=30,
        connect_args={"timeout": 5, "command_timeout": 60},
        json_serializer=jsontext.dumps,
        json_deserializer=jsontext.loads,
    )


def asyncpg_dsn(url: str) -> str | None:
    """The plain asyncpg DSN of a PostgreSQL URL (for the connections that sit outside the pool:
    LISTEN and advisory locks); None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return None
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


MIGRATION_LOCK = 0x6D6967726174
"""The advisory lock that lets one of several processes starting together migrate PostgreSQL
while the others wait, then find the schema up to date."""


async def migrate(engine: AsyncEngine) -> None:
    """Apply every pending migration (run on every start; a no-op when up to date)."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
            )
        await connection.run_sync(_upgrade)


async def autocommit(session: AsyncSession) -> None:
    """Let the session's one statement commit by itself: no BEGIN and COMMIT around it (two
    round trips more on PostgreSQL). Call first, before anything else uses the session.
    Not on SQLite: there BEGIN and COMMIT cost no round trip, so there is nothing to save."""
    if session.get_bind().dialect.name != "sqlite":
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


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
