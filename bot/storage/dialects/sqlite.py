"""SQLite: one connection on the event loop's thread, upserts and long IN lists its way."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy import ColumnElement, Table, bindparam, event
from sqlalchemy import Dialect as SQLAlchemyDialect
from sqlalchemy.dialects.sqlite import Insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage import jsontext, sqlite_inline
from bot.storage.dialects.base import Dialect, RowsSpec
from bot.storage.dialects.sqlite_rows import SqliteRows

T = TypeVar("T", str, int)


class Sqlite(Dialect):
    """SQLite through `sqlite_inline`, one connection, a write-ahead log emptied by checkpoints."""

    name: ClassVar[str] = "sqlite"
    keeps_log_file: ClassVar[bool] = True

    def open_engine(self, url: URL) -> AsyncEngine:
        """The folder is created and the file tuned for concurrent use."""
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite lets one writer in at a time, and connections of a pool wait
        # for each other in its busy handler, sleeping up to 100 ms a time; with one, waiting
        # is a queue in the pool instead (and no connection is opened and closed again as the
        # load changes).
        # Calls run on the event loop's thread, and only one that has to wait for a lock held
        # elsewhere waits in a thread (`sqlite_inline`); the dialect stays aiosqlite's, in the
        # one SQLAlchemy release whose private names `sqlite_inline` provides.
        sqlite_inline.check_sqlalchemy()
        args, options = url.get_dialect()().create_connect_args(url)
        engine = create_async_engine(
            url,
            async_creator=partial(sqlite_inline.connect, *args, **{**options, "timeout": 30}),
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            json_serializer=jsontext.dumps,
            json_deserializer=jsontext.loads,
        )
        event.listen(engine.sync_engine, "connect", _pragmas)
        return engine

    def insert(self, table: Table) -> Insert:
        return sqlite_insert(table)

    def among(self, column: InstrumentedAttribute[Any], values: Sequence[T]) -> ColumnElement[bool]:
        # one expanding parameter: `in_(values)` coerces every value into a bound parameter of its
        # own while the statement is built, a cost per value and per batch
        return column.in_(bindparam(None, list(values), type_=column.type, expanding=True))

    def rows_writer(self, rows: RowsSpec, dialect: SQLAlchemyDialect) -> SqliteRows:
        return SqliteRows(rows, dialect)

    async def autocommit(self, session: AsyncSession) -> None:
        """Nothing: BEGIN and COMMIT cost no round trip here, so there is nothing to save."""

    async def lock_for_migrations(self, connection: AsyncConnection) -> None:
        """Nothing: SQLite has no advisory locks, and processes that start together in numbers
        (`work`) need PostgreSQL."""

    def asyncpg_dsn(self, url: URL) -> None:
        return None


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # with WAL a killed process loses nothing committed; only a power cut can lose the
    # transactions of the last moment before it
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A statement that may need undoing alone (a multi-row INSERT ... ON CONFLICT in a
    # transaction) keeps a journal of its own, in a temporary file once past 64 KiB: the
    # intake's insert of a burst's batch opened, wrote and closed one every time.
    cursor.execute("PRAGMA temp_store=MEMORY")
    # The log is copied into the database file every 10,000 pages (40 MB) instead of 1,000: a
    # page written again and again under a burst (an index's, a counter's) is copied and synced
    # once in ten times as many commits (figures for both settings: bench/README.md).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    # What a deleted row or an erased text held is overwritten with zeros, in its page and in
    # pages freed (a long text's overflow pages): set here, not left to how the library was
    # built. With the timed checkpoints of `checkpoint.py` nothing deleted stays readable in the
    # file or its log.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
