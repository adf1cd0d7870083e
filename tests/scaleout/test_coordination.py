"""Wake-ups across processes (LISTEN/NOTIFY) and the election of the one process that sends,
on the real PostgreSQL server; without PostgreSQL both stay in-process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import asyncpg
import pytest

from bot.delivery.election import Election
from bot.delivery.signals import Signals
from bot.storage.database import asyncpg_dsn, migrate, open_engine
from tests.conftest import _postgres_available


@pytest.fixture
def dsn() -> str:
    url = _postgres_available()
    if url is None:
        pytest.skip("PostgreSQL unreachable (this fails instead of skipping when CI is set)")
    found = asyncpg_dsn(url)
    assert found is not None
    return found


@contextlib.asynccontextmanager
async def running(*works: Coroutine[Any, Any, None]) -> AsyncIterator[list[asyncio.Task[None]]]:
    tasks = [asyncio.create_task(work) for work in works]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def test_only_postgresql_urls_have_a_dsn() -> None:
    assert asyncpg_dsn("sqlite+aiosqlite:///x.db") is None
    assert asyncpg_dsn("postgresql+asyncpg://u:p@h:5433/db") == "postgresql://u:p@h:5433/db"


async def test_without_postgresql_signals_stay_in_process_and_one_process_leads() -> None:
    signals, woken = Signals(None), []
    signals.on("inbox", lambda: woken.append("inbox"))
    signals.publish("inbox")
    signals.publish("other")
    await signals.run()  # returns at once: nothing to listen to
    assert woken == ["inbox"]
    election = Election(None, "telegram-sender")
    assert election.leading.is_set()
    await election.run()
    assert election.leading.is_set()


@pytest.mark.postgres
async def test_a_wake_up_reaches_the_other_process_once(dsn: str) -> None:
    here, there = Signals(dsn), Signals(dsn)
    woken_here: list[str] = []
    woken_there: list[str] = []
    for topic in ("inbox", "outbox:telegram"):
        here.on(topic, lambda topic=topic: woken_here.append(topic))
        there.on(topic, lambda topic=topic: woken_there.append(topic))
    async with running(here.run(), there.run()):
        for signals in (here, there):
            await asyncio.wait_for(signals.listening.wait(), 5)
        await asyncio.sleep(0.1)
        woken_here.clear()
        woken_there.clear()  # connecting wakes everything once
        for _ in range(5):  # published together: one notice
            here.publish("inbox")
        here.publish("outbox:telegram", local=False)
        for _ in range(100):
            if len(woken_there) >= 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)
    assert woken_here == ["inbox"] * 5  # local handlers at once; its own notice not again
    assert sorted(woken_there) == ["inbox", "outbox:telegram"]
    assert here.sent == 1 and there.received == 1


@pytest.mark.postgres
async def test_one_process_leads_and_another_takes_over_when_it_goes(dsn: str) -> None:
    first = Election(dsn, "test-job", check=0.1, settle=0.3)
    second = Election(dsn, "test-job", check=0.1, settle=0.3)
    other_job = Election(dsn, "another-job", check=0.1)
    async with running(first.run(), other_job.run()) as tasks:
        await asyncio.wait_for(first.leading.wait(), 5)
        async with running(second.run()):
            await asyncio.sleep(0.5)
            assert first.leading.is_set() and not second.leading.is_set()
            assert other_job.leading.is_set()  # a lock per job
            tasks[0].cancel()  # the leader's process ends: its connection and lock go
            with contextlib.suppress(asyncio.CancelledError):
                await tasks[0]
            assert not first.leading.is_set()
            loop = asyncio.get_running_loop()
            gone = loop.time()
            await asyncio.wait_for(second.leading.wait(), 5)
            waited = loop.time() - gone
    assert waited >= 0.3  # it let the last holder's second pass before acting


@pytest.mark.postgres
async def test_processes_starting_together_migrate_once(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()
    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    engines = [open_engine(url) for _ in range(3)]
    try:
        await asyncio.wait_for(asyncio.gather(*(migrate(engine) for engine in engines)), 60)
    finally:
        for engine in engines:
            await engine.dispose()
    connection = await asyncpg.connect(dsn)
    try:
        versions = await connection.fetch("SELECT version_num FROM alembic_version")
    finally:
        await connection.close()
    assert len(versions) == 1
