"""Batches of turns: many updates of many conversations in one transaction must answer, store and
count exactly what processing them one at a time does (both run the one turn pipeline), keep each
conversation's order, leave "forget me" and blocking after other updates of their conversation to
the one-at-a-time path, and isolate an update that fails."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import event, select, text

from bot.delivery import outbox
from bot.delivery.inbound import BLOCKED, MESSAGE, START, Inbound
from bot.delivery.inbox import Intake, claim
from bot.delivery.tables import InboxItem, OutboxItem
from bot.delivery.turns import Turns
from bot.delivery.worker import InboxWorker
from bot.engine.engine import Result
from bot.engine.environment import Environment
from bot.engine.messages import Incoming
from bot.engine.state import State
from bot.service.core import Core as App
from bot.stats.tables import ContactCount, TopicCount
from bot.storage.pseudonym import pseudonym
from bot.storage.sealed import Sealer
from bot.storage.tables import Conversation

SECRET = b"test-secret-key"
SCRIPT: list[tuple[str, str | None]] = [
    (START, None),
    (MESSAGE, "1"),
    (MESSAGE, "как получить патент"),
    (MESSAGE, "2"),
    (MESSAGE, "меню"),
    (MESSAGE, "3"),
    (MESSAGE, "🙂"),
]


def updates(
    users: Sequence[str], script: Sequence[tuple[str, str | None]], first: int
) -> list[Inbound]:
    """The script for each user, interleaved as a burst delivers it: everyone's first step, then
    everyone's second..."""
    out = []
    n = first
    for kind, said in script:
        for user in users:
            lang = "ru" if kind == START else None
            out.append(
                Inbound(
                    "telegram", str(n), user_id=user, address=user, kind=kind, text=said, lang=lang
                )
            )
            n += 1
    return out


async def accept(app: App, inbounds: Sequence[Inbound]) -> None:
    intake = Intake(app.service.sessions, SECRET)
    for inbound in inbounds:
        await intake.accept(inbound)


async def replies(app: App, user: str) -> list[str]:
    cid = pseudonym(SECRET, "telegram", user)
    async with app.service.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem).where(OutboxItem.conversation_id == cid).order_by(OutboxItem.id)
        )
        return [outbox.message_of(row.body, Sealer(SECRET)).text for row in rows]


async def state_of(app: App, user: str) -> dict[str, Any] | None:
    async with app.service.sessions() as session:
        row = await session.get(Conversation, pseudonym(SECRET, "telegram", user))
        return None if row is None else dict(row.state)


async def counters(app: App) -> dict[str, list[tuple[Any, ...]]]:
    async with app.service.sessions() as session:
        contacts = await session.execute(
            select(ContactCount.lang, ContactCount.active, ContactCount.started).order_by(
                ContactCount.lang
            )
        )
        topics = await session.execute(
            select(TopicCount.topic, TopicCount.count).order_by(TopicCount.topic)
        )
        return {"contacts": [tuple(r) for r in contacts], "topics": [tuple(r) for r in topics]}


async def pending(app: App) -> int:
    async with app.service.sessions() as session:
        rows = await session.scalars(select(InboxItem.id).where(InboxItem.done_at.is_(None)))
        return len(list(rows))


async def run_worker(worker: InboxWorker, seconds: float) -> None:
    task = asyncio.create_task(worker.run())
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_batch_answers_stores_and_counts_what_one_at_a_time_does(app: App) -> None:
    turns = Turns(app.service, app.service.sessions)
    batched = [f"b{n}" for n in range(6)]
    single = [f"s{n}" for n in range(6)]

    await accept(app, updates(batched, SCRIPT, 1))
    outcome = await turns.batch(1000)
    assert (outcome.taken, outcome.done, outcome.deferred) == (42, 42, [])
    assert await pending(app) == 0
    after_batch = await counters(app)
    assert after_batch["contacts"] and after_batch["topics"]

    await accept(app, updates(single, SCRIPT, 1001))
    async with app.service.sessions() as session:
        ids = list(await session.scalars(select(InboxItem.id).where(InboxItem.done_at.is_(None))))
    for item_id in sorted(ids):
        assert await turns.handle(item_id)

    for b, s in zip(batched, single, strict=True):
        assert await replies(app, b) == await replies(app, s)
        assert len(await replies(app, b)) >= len(SCRIPT)
        assert await state_of(app, b) == await state_of(app, s)
    doubled = await counters(app)  # the same people doing the same things: twice the counts
    assert doubled["topics"] == [(topic, 2 * n) for topic, n in after_batch["topics"]]
    assert doubled["contacts"] == [
        (lang, 2 * active, 2 * started) for lang, active, started in after_batch["contacts"]
    ]


async def test_batches_of_any_size_keep_each_conversation_in_order(app: App) -> None:
    turns = Turns(app.service, app.service.sessions)
    users = ["o1", "o2", "o3"]
    await accept(app, updates(users, SCRIPT, 1))
    while (await turns.batch(4)).taken:  # a conversation's updates split over batches
        pass
    assert await pending(app) == 0
    reference = Turns(app.service, app.service.sessions)
    await accept(app, updates(["r1"], SCRIPT, 1001))
    assert (await reference.batch(1000)).done == len(SCRIPT)
    for user in users:
        assert await replies(app, user) == await replies(app, "r1")


async def test_forget_me_and_blocking_are_left_to_one_at_a_time(app: App) -> None:
    turns = Turns(app.service, app.service.sessions)
    forget = [*SCRIPT[:3], (MESSAGE, "забудь меня"), (MESSAGE, "1")]
    await accept(app, updates(["f1"], forget, 1))
    await accept(app, updates(["k1"], SCRIPT[:2], 100))
    await accept(app, [Inbound("telegram", "200", user_id="k1", kind=BLOCKED)])
    await accept(app, updates(["k1"], [(MESSAGE, "2")], 300))

    outcome = await turns.batch(1000)
    cids = {pseudonym(SECRET, "telegram", u): u for u in ("f1", "k1")}
    assert sorted(cids[c] for c in outcome.deferred) == ["f1", "k1"]
    assert outcome.done == 3 + 2  # up to "forget me", up to the block
    assert await pending(app) == 2 + 2

    worker = InboxWorker(app.service.sessions, turns.handle, turns.batch)
    await run_worker(worker, 1.0)
    assert await pending(app) == 0
    forgotten = await state_of(app, "f1")  # a new conversation: "1" chose its language
    assert forgotten is not None and forgotten["topics"] == [] and forgotten["answers"] == []
    async with app.service.sessions() as session:
        linked = await session.scalars(
            select(InboxItem.id).where(
                InboxItem.conversation_id == pseudonym(SECRET, "telegram", "f1"),
                InboxItem.external_id.in_(["1", "2", "3", "4"]),
            )
        )
        assert list(linked) == []  # the updates before it are unlinked
    blocked = await state_of(app, "k1")
    assert blocked is not None
    async with app.service.sessions() as session:
        row = await session.get(Conversation, pseudonym(SECRET, "telegram", "k1"))
        assert row is not None and row.blocked is False  # they wrote again after blocking


async def test_forget_me_and_blocking_first_in_a_batch_are_done_in_it(app: App) -> None:
    """As a conversation's first update in a batch, "forget me" and a block are its own turn of
    the pipeline (the path of one update alone); what follows them waits for the next batch."""
    turns = Turns(app.service, app.service.sessions)
    await accept(app, updates(["f2", "k2"], SCRIPT[:3], 1))
    assert (await turns.batch(1000)).done == 6
    await accept(app, updates(["f2"], [(MESSAGE, "забудь меня"), (MESSAGE, "1")], 100))
    await accept(app, [Inbound("telegram", "200", user_id="k2", kind=BLOCKED)])

    outcome = await turns.batch(1000)
    cids = {pseudonym(SECRET, "telegram", u): u for u in ("f2", "k2")}
    assert [cids[c] for c in outcome.deferred] == ["f2"]  # after "forget me": left for later
    assert (outcome.taken, outcome.done) == (3, 2)
    assert await state_of(app, "f2") is None
    assert (await replies(app, "f2"))[-1] == app.service.engine.texts.render(
        "ru", "common.forgotten"
    )
    async with app.service.sessions() as session:
        row = await session.get(Conversation, pseudonym(SECRET, "telegram", "k2"))
        assert row is not None and row.blocked is True
        linked = await session.scalars(
            select(InboxItem.id).where(
                InboxItem.conversation_id == pseudonym(SECRET, "telegram", "f2"),
                InboxItem.done_at.is_not(None),
            )
        )
        assert list(linked) == []  # its processed updates, "forget me" too, unlinked
    assert (await turns.batch(1000)).done == 1  # the "1" after it: a new conversation
    assert await state_of(app, "f2") is not None


async def test_an_update_that_fails_holds_up_only_its_own_conversation(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = app.service.engine
    real = engine.handle

    def handle(state: State, incoming: Incoming, env: Environment | None = None) -> Result:
        if incoming.text == "boom":
            raise RuntimeError("a bug in the engine")
        return real(state, incoming, env)

    monkeypatch.setattr(engine, "handle", handle)
    turns = Turns(app.service, app.service.sessions)
    script = [*SCRIPT[:2], (MESSAGE, "boom"), (MESSAGE, "2")]
    await accept(app, updates(["p1"], script, 1))
    await accept(app, updates(["h1", "h2"], SCRIPT, 100))

    worker = InboxWorker(app.service.sessions, turns.handle, turns.batch)
    await run_worker(worker, 1.5)

    for user in ("h1", "h2"):  # everyone else is answered in full
        assert len(await replies(app, user)) >= len(SCRIPT)
    async with app.service.sessions() as session:
        rows = (
            await session.execute(
                select(InboxItem.external_id, InboxItem.attempts, InboxItem.done_at).where(
                    InboxItem.conversation_id == pseudonym(SECRET, "telegram", "p1")
                )
            )
        ).all()
    by_id = {external: (attempts, done) for external, attempts, done in rows}
    assert by_id["3"][0] >= 1 and by_id["3"][1] is None  # failed, waits for its retry
    assert by_id["4"][1] is None  # not overtaken by what came after it
    assert by_id["1"][1] is not None and by_id["2"][1] is not None


async def test_a_conversation_another_transaction_holds_is_not_claimed(
    app: App, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks that others skip are PostgreSQL's (SQLite has one writer)")
    await accept(app, updates(["x1", "x2"], SCRIPT[:3], 1))
    held = pseudonym(SECRET, "telegram", "x1")
    async with app.service.sessions() as other, other.begin():
        oldest = await other.scalar(
            select(InboxItem.id)
            .where(InboxItem.conversation_id == held)
            .order_by(InboxItem.id)
            .limit(1)
        )
        await other.execute(text("SELECT id FROM inbox WHERE id = :id FOR UPDATE"), {"id": oldest})
        async with app.service.sessions() as session, session.begin():
            taken = await claim(session, 100)
        # x1's later updates are free, but taking them would overtake the held one
        assert {item.conversation_id for item in taken} == {pseudonym(SECRET, "telegram", "x2")}
        assert len(taken) == 3


async def test_finding_pending_updates_skips_no_processed_ones(app: App) -> None:
    """Processed updates stay two days: looking for the pending ones must not walk them all."""
    if app.db.dialect.name != "postgresql":
        pytest.skip("the plan checked is PostgreSQL's")
    async with app.service.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO inbox (channel, external_id, conversation_id, attempts, received_at,"
                " done_at) SELECT 't', g::text, 'c' || (g % 500), 0, now(),"
                " CASE WHEN g <= 99000 THEN now() END FROM generate_series(1, 100000) g"
            )
        )
        await session.execute(text("ANALYZE inbox"))
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if not seen:
            seen.append((statement, parameters))

    async with app.service.sessions() as session, session.begin():
        event_target = session.get_bind()
        event.listen(event_target, "before_cursor_execute", capture)
        try:
            taken = await claim(session, 200)
        finally:
            event.remove(event_target, "before_cursor_execute", capture)
        assert len(taken) == 200
        statement, parameters = seen[0]
        raw = await session.connection()
        driver = (await raw.get_raw_connection()).driver_connection
        assert driver is not None
        plan = await driver.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *parameters)
    removed = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal removed
        removed += int(node.get("Rows Removed by Filter", 0))
        for child in node.get("Plans", []):
            walk(child)

    plan = json.loads(plan) if isinstance(plan, str) else plan  # decoded by SQLAlchemy's codec
    walk(plan[0]["Plan"])
    assert removed < 1000, plan


def failing_on(monkeypatch: pytest.MonkeyPatch, app: App, said: str) -> None:
    """The engine raises on this text (a bug in it, or content it trips over)."""
    engine = app.service.engine
    real = engine.handle

    def handle(state: State, incoming: Incoming, env: Environment | None = None) -> Result:
        if incoming.text == said:
            raise RuntimeError(f"a bug in the engine, tripped by {said!r}")
        return real(state, incoming, env)

    monkeypatch.setattr(engine, "handle", handle)


async def test_a_turn_that_raises_leaves_the_rest_of_its_batch_committed(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_on(monkeypatch, app, "secret words")
    turns = Turns(app.service, app.service.sessions)
    await accept(app, updates(["g1", "bad", "g2"], SCRIPT[:2], 1))
    await accept(app, updates(["bad"], [(MESSAGE, "secret words"), (MESSAGE, "1")], 100))
    await accept(app, updates(["g1", "g2"], SCRIPT[2:4], 200))

    outcome = await turns.batch(1000)
    bad = pseudonym(SECRET, "telegram", "bad")
    assert outcome.deferred == [bad]  # left to the one-at-a-time path, which counts its tries
    assert outcome.done == 4 + 4  # everyone else's
    for user in ("g1", "g2"):
        assert len(await replies(app, user)) >= 4
    assert await pending(app) == 4  # the failing conversation's, all still in order


async def test_an_update_that_keeps_failing_is_set_aside_with_a_warning_and_no_text(
    app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.delivery import worker as worker_module

    monkeypatch.setattr(worker_module, "RETRY_BASE", 0.001, raising=False)  # no backoff to wait for
    failing_on(monkeypatch, app, "secret words")
    turns = Turns(app.service, app.service.sessions)
    await accept(app, updates(["bad"], [*SCRIPT[:2], (MESSAGE, "secret words")], 1))
    await accept(app, updates(["g1", "g2", "g3"], SCRIPT, 100))
    async with app.service.sessions() as session:
        failing = await session.scalar(select(InboxItem.id).where(InboxItem.external_id == "3"))

    worker = InboxWorker(app.service.sessions, turns.handle, turns.batch)
    with caplog.at_level("INFO", logger="bot.delivery"):
        task = asyncio.create_task(worker.run())
        for _ in range(200):  # a retry each time the worker looks again (every POLL seconds)
            if not await pending(app):
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for user in ("g1", "g2", "g3"):
        assert len(await replies(app, user)) >= len(SCRIPT)
    assert await pending(app) == 0
    async with app.service.sessions() as session:
        row = await session.get(InboxItem, failing)
    assert row is not None and row.attempts == worker_module.MAX_ATTEMPTS
    assert row.done_at is not None and row.body is None  # set aside, and its text gone
    aside = [r for r in caplog.records if "set aside" in r.getMessage()]
    assert len(aside) == 1 and aside[0].levelname == "WARNING"
    said = aside[0].getMessage()
    for fact in ("telegram", f"inbox row {failing}", f"{worker_module.MAX_ATTEMPTS} tries"):
        assert fact in said, said
    assert "RuntimeError" in said
    logged = "\n".join(caplog.text.splitlines())
    assert "secret words" not in logged  # never what the user wrote, nor a traceback showing it
