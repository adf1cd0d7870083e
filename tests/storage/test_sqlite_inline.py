"""SQLite through the async engine runs on the event loop's thread, and only a call that finds
the database locked elsewhere waits, in a thread, while the loop goes on."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import sqlite_inline
from bot.storage.database import open_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    db = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with db.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield db
    await db.dispose()


def lock(path: Path) -> sqlite3.Connection:
    """Another connection holding the write lock, as another process would."""
    locker = sqlite3.connect(path, timeout=0, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    return locker


async def test_calls_run_on_the_event_loops_thread(engine: AsyncEngine) -> None:
    threads: list[int] = []
    async with engine.begin() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, sqlite_inline.InlineConnection)
        await driver.create_function("here", 0, lambda: threads.append(threading.get_ident()))
        await connection.execute(text("SELECT here()"))
        await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
        assert (await connection.execute(text("SELECT sum(n) FROM t"))).scalar() == 3
    assert threads == [threading.get_ident()]


async def test_a_write_waits_for_a_lock_held_elsewhere_while_the_loop_goes_on(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    locker = lock(tmp_path / "bot.db")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO t VALUES (7)"))

    ticker = asyncio.create_task(tick())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()
    assert ticks >= 10  # the loop was not held by the waiting write
    locker.execute("COMMIT")
    locker.close()
    await asyncio.wait_for(writing, 5)
    ticker.cancel()
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT n FROM t"))).scalars().all() == [7]


async def test_the_wait_ends_with_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (n INTEGER)").connection.close()
    connection = await sqlite_inline.connect(str(path), timeout=0.2)
    locker = lock(path)
    try:
        cursor = connection.cursor()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await cursor.execute("INSERT INTO t VALUES (1)")
        locker.execute("ROLLBACK")
        await cursor.execute("INSERT INTO t VALUES (1)")  # the same call succeeds, inline again
        await connection.commit()
    finally:
        locker.close()
        await connection.close()
    assert sqlite3.connect(path).execute("SELECT n FROM t").fetchall() == [(1,)]


async def test_calls_after_a_cancelled_wait_run_after_it_in_order(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (n INTEGER)").connection.close()
    connection = await sqlite_inline.connect(str(path), timeout=5)
    locker = lock(path)
    cursor = connection.cursor()
    first = asyncio.create_task(cursor.execute("INSERT INTO t VALUES (1)"))
    await asyncio.sleep(0.1)
    first.cancel()  # as a webhook's timeout cancels its request
    with pytest.raises(asyncio.CancelledError):
        await first
    second = asyncio.create_task(
        connection.cursor().executemany("INSERT INTO t VALUES (?)", ((n,) for n in (2, 3)))
    )
    await asyncio.sleep(0.1)
    assert not second.done()  # behind the first, which still waits for the lock
    locker.execute("ROLLBACK")
    locker.close()
    await asyncio.wait_for(second, 5)
    await connection.commit()
    await connection.close()
    rows = sqlite3.connect(path).execute("SELECT n FROM t ORDER BY rowid").fetchall()
    assert rows == [(1,), (2,), (3,)]


@pytest.mark.parametrize("cancelled", [False, True])
async def test_stopped_while_a_call_waits_it_closes_when_the_call_ends(
    tmp_path: Path, cancelled: bool
) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (n INTEGER)").connection.close()
    connection = await sqlite_inline.connect(str(path), timeout=5)
    raw = connection._conn
    assert raw is not None
    locker = lock(path)
    waiting = asyncio.create_task(connection.cursor().execute("INSERT INTO t VALUES (1)"))
    await asyncio.sleep(0.1)
    if cancelled:  # as asyncio.run cancels every task when it ends
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    connection.stop()
    with pytest.raises(ValueError, match="no active connection"):
        connection.cursor()
    assert raw.in_transaction  # still open (it would raise if closed): the call needs it
    locker.execute("ROLLBACK")
    locker.close()
    if not cancelled:
        await asyncio.wait_for(waiting, 5)
    for _ in range(100):
        try:
            _ = raw.in_transaction
        except sqlite3.ProgrammingError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("not closed after the call ended")


async def test_autocommit_isolation_is_set_and_reset(engine: AsyncEngine, tmp_path: Path) -> None:
    async with engine.connect() as connection:
        auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("INSERT INTO t VALUES (5)"))
        # committed by itself: another connection sees the row before this one ends
        seen = sqlite3.connect(tmp_path / "bot.db").execute("SELECT n FROM t").fetchall()
        assert seen == [(5,)]
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None and driver.isolation_level == ""  # back to transactions


async def test_a_file_database_is_tuned_for_bursts(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        values = [
            (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "synchronous", "temp_store", "wal_autocheckpoint")
        ]
    assert values == ["wal", 1, 2, 10_000]  # NORMAL; statement journals in memory


def test_the_installed_sqlalchemy_is_the_one_pinned() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    pins = [dep for dep in pyproject["project"]["dependencies"] if dep.startswith("sqlalchemy")]
    assert pins == [f"sqlalchemy[asyncio]=={sqlite_inline.SQLALCHEMY_VERSION}"]
    assert sqlalchemy.__version__ == sqlite_inline.SQLALCHEMY_VERSION
    sqlite_inline.check_sqlalchemy()


def test_another_sqlalchemy_is_refused_at_start_in_plain_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(sqlite_inline.WrongSQLAlchemy, match=r"SQLAlchemy 2\.2\.0 is installed"):
        sqlite_inline.check_sqlalchemy("2.2.0")
    monkeypatch.setattr(sqlalchemy, "__version__", "2.0.30")
    with pytest.raises(sqlite_inline.WrongSQLAlchemy, match="needs exactly"):
        open_engine("sqlite+aiosqlite:///:memory:")


async def test_the_dialect_asks_only_for_aiosqlites_public_names_and_the_known_private_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every name SQLAlchemy's code reads from the stand-ins, through a connection's whole life
    (connect, statements, commit, rollback, autocommit, close, terminate), must be one that
    aiosqlite's classes offer publicly or one of `PRIVATE_NAMES`: a new release that asks for
    another fails here, by name."""
    asked: dict[str, set[str]] = {"connection": set(), "cursor": set()}

    def recorded(kind: str, name: str) -> None:
        caller = sys._getframe(2).f_globals.get("__name__", "")
        if caller.startswith("sqlalchemy."):
            asked[kind].add(name)

    class Connection(sqlite_inline.InlineConnection):
        def __getattribute__(self, name: str) -> Any:
            recorded("connection", name)
            return super().__getattribute__(name)

    class Cursor(sqlite_inline.InlineCursor):
        def __getattribute__(self, name: str) -> Any:
            recorded("cursor", name)
            return super().__getattribute__(name)

    monkeypatch.setattr(sqlite_inline, "InlineConnection", Connection)
    monkeypatch.setattr(sqlite_inline, "InlineCursor", Cursor)
    db = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    async with db.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
        await connection.execute(text("INSERT INTO t VALUES (1), (2)"))
        assert (await connection.execute(text("SELECT sum(n) FROM t"))).scalar() == 3
    async with db.connect() as connection:
        await connection.execute(text("INSERT INTO t VALUES (3)"))
        await connection.rollback()
        auto = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("INSERT INTO t VALUES (4)"))
    async with db.connect() as connection:
        await connection.invalidate()  # the pool terminates the connection
    await db.dispose()

    def offered(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_") or n.endswith("__")}

    public = {"connection": offered(aiosqlite.Connection), "cursor": offered(aiosqlite.Cursor)}
    private = {"connection": set(sqlite_inline.PRIVATE_NAMES), "cursor": set()}
    for kind, names in asked.items():
        unknown = names - public[kind] - private[kind]
        assert not unknown, f"SQLAlchemy now asks the {kind} for {sorted(unknown)}"
    assert asked["connection"] >= sqlite_inline.PRIVATE_NAMES, "a private name is no longer used"
