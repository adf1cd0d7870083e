"""SQLite for the async engine, run on the event loop's own thread unless it has to wait.

aiosqlite runs every call (open a cursor, execute, fetch, close, commit) in a thread of its own
and wakes the event loop for each result. A call of this service's takes microseconds in
SQLite, the hand-over costs far more CPU than the call, and a statement through SQLAlchemy makes
four or five of them; running them inline is the larger part of a turn's database cost saved
(figures: bench/README.md).

`connect` gives SQLAlchemy's aiosqlite dialect (through `async_creator`) an object with
aiosqlite's interface whose calls run sqlite3 directly, with no busy timeout. A call that finds
the database locked by another connection (SQLITE_BUSY) is not failed: it is run again in a
worker thread with the configured timeout, so a lock held elsewhere makes this connection wait
as it always did while the event loop goes on (a webhook still times out and answers 503).
Until that call is over, the connection's next calls wait behind it, in order, even when the
task that made it was cancelled.

The price: a statement that itself runs long (a purge of a month of rows) holds the event loop
for as long, where in a thread it would hold only the one connection every call queues for.

No public interface of SQLAlchemy gives this cost. `async_creator` is public, but what it
returns must be aiosqlite's connection, and the dialect reaches into it for private names
(`_conn`, `_tx`, `_connection`). A dialect of our own over plain sqlite3 could not hand a
locked call to a thread without SQLAlchemy's private bridge from its greenlet to the event loop
(`await_only` in 2.0, `await_` in 2.1). So the SQLAlchemy release is pinned exactly
(pyproject.toml), `check_sqlalchemy` refuses any other at start, and
tests/storage/test_sqlite_inline.py checks every name the dialect asks of these objects.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy

T = TypeVar("T")

SQLALCHEMY_VERSION = "2.1.9"
"""The SQLAlchemy release whose aiosqlite dialect these objects were checked against; the one
pyproject.toml pins."""

PRIVATE_NAMES = frozenset({"_conn", "_tx", "_connection"})
"""aiosqlite's private names that SQLAlchemy's dialect reads from the connection: isolation
level (`_conn`, `_tx`), commit and rollback (`_connection`)."""


class WrongSQLAlchemy(RuntimeError):
    """Another SQLAlchemy release than the one `sqlite_inline` stands in for."""


def check_sqlalchemy(version: str | None = None) -> None:
    """Fail unless `version` (the installed SQLAlchemy's by default) is `SQLALCHEMY_VERSION`:
    another release's dialect may reach for other private names, and would fail later, at some
    statement, or misbehave."""
    version = version or sqlalchemy.__version__
    if version != SQLALCHEMY_VERSION:
        raise WrongSQLAlchemy(
            f"SQLAlchemy {version} is installed, but SQLite here needs exactly"
            f" {SQLALCHEMY_VERSION}: bot/storage/sqlite_inline.py provides private attributes"
            " of aiosqlite that SQLAlchemy's aiosqlite dialect uses, and they may change in any"
            f" release. Install sqlalchemy=={SQLALCHEMY_VERSION}, or check the new release"
            " with tests/storage/test_sqlite_inline.py and move the pin in pyproject.toml and"
            " SQLALCHEMY_VERSION together."
        )


BUSY = sqlite3.SQLITE_BUSY


def _busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == BUSY


class InlineConnection:
    """The subset of `aiosqlite.Connection` that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection, timeout: float) -> None:
        # `_conn` and `_tx` are the names SQLAlchemy's dialect reaches for when it sets the
        # isolation level; `_connection` is what it checks before a commit or rollback.
        self._conn: sqlite3.Connection | None = connection
        self._tx = _Now()
        self._timeout_ms = int(timeout * 1000)
        self._behind: Future[Any] | None = None
        self._waiter: ThreadPoolExecutor | None = None

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    async def run(self, call: Callable[..., T], *args: Any, **kw: Any) -> T:
        """`call(*args, **kw)` on this connection: inline, or in a thread if the database is
        locked. Every call that enters SQLite goes through here: while a call waits in a
        thread it holds the connection's mutex, and another made inline would hold the loop."""
        await self._after_the_waiting()
        try:
            return call(*args, **kw)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        if self._waiter is None:
            self._waiter = ThreadPoolExecutor(1, thread_name_prefix="sqlite-wait")
        # A concurrent future: done only when the thread is, which an asyncio task wrapping it
        # is not when cancelled. A cancelled caller leaves a started call running, with the
        # next calls behind it.
        self._behind = self._waiter.submit(self._patiently, call, args, kw)
        return await asyncio.wrap_future(self._behind)

    async def _after_the_waiting(self) -> None:
        """Return once no call of this connection waits in a thread (a loop: another caller
        may have sent one there while this one waited)."""
        while self._behind is not None and not self._behind.done():
            await asyncio.wait([asyncio.wrap_future(self._behind)])

    def _patiently(self, call: Callable[..., T], args: Sequence[Any], kw: dict[str, Any]) -> T:
        connection = self._open()
        connection.execute(f"PRAGMA busy_timeout = {self._timeout_ms}")
        try:
            return call(*args, **kw)
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._open().cursor())

    async def commit(self) -> None:
        await self.run(self._open().commit)

    async def rollback(self) -> None:
        await self.run(self._open().rollback)

    async def create_function(self, *args: Any, **kw: Any) -> None:
        await self.run(self._open().create_function, *args, **kw)

    @property
    def isolation_level(self) -> str | None:
        return self._open().isolation_level

    async def close(self) -> None:
        await self._after_the_waiting()
        self.stop()

    def stop(self) -> None:
        """Close now, or as soon as a call waiting in a thread is over (in that thread)."""
        connection, self._conn = self._conn, None
        if connection is None:
            return
        if self._behind is not None:
            self._behind.add_done_callback(lambda _: connection.close())  # now if it is done
        else:
            connection.close()
        if self._waiter is not None:
            self._waiter.shutdown(wait=False)


class InlineCursor:
    """The subset of `aiosqlite.Cursor` that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._connection = connection
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        await self._connection.run(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        # a retry in a thread must see the rows again: a generator would be spent
        rows = parameters if isinstance(parameters, Sequence) else list(parameters)
        await self._connection.run(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return await self._connection.run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return await self._connection.run(self._cursor.fetchmany)
        return await self._connection.run(self._cursor.fetchmany, size)

    async def fetchall(self) -> list[Any]:
        return await self._connection.run(self._cursor.fetchall)

    async def close(self) -> None:
        await self._connection.run(self._cursor.close)

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Now:
    """Stands in for aiosqlite's queue of calls for its thread: runs a call at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, call = item
        try:
            future.set_result(call())
        except Exception as error:  # handed to the awaiting side, as aiosqlite's thread does
            future.set_exception(error)


async def connect(database: str, *, timeout: float = 5.0, **kwargs: Any) -> InlineConnection:
    """`sqlite3.connect(database, **kwargs)` behind aiosqlite's interface; `timeout` is how long a
    call waits for a lock held by another connection."""
    kwargs["check_same_thread"] = False  # a call that waits runs in a worker thread
    connection = sqlite3.connect(database, timeout=0, **kwargs)
    return InlineConnection(connection, timeout)
