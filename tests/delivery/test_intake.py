"""Intake stores updates that arrive together in one transaction, and answers each caller with
whether its update was new: a repeat within the same batch or of an earlier one is not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select

from bot.delivery.inbound import IGNORE, Inbound
from bot.delivery.inbox import Intake
from bot.delivery.tables import InboxItem
from bot.service.core import Core as App


def update(n: int, user: str = "u1", kind: str = "message") -> Inbound:
    return Inbound("telegram", str(n), user_id=user, address=user, kind=kind, text=f"t{n}")


async def stored(app: App) -> int:
    async with app.service.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(InboxItem)) or 0)


async def test_updates_arriving_together_are_stored_once_each(app: App) -> None:
    woken: list[int] = []
    intake = Intake(app.service.sessions, b"k", on_accept=lambda: woken.append(1))
    batch = [update(1), update(2), update(1), update(3, kind=IGNORE), update(2)]
    added = await asyncio.gather(*(intake.accept(u) for u in batch))
    assert added == [True, True, False, True, False]
    assert await stored(app) == 3
    assert woken == [1]  # one wake-up for the batch
    assert await asyncio.gather(intake.accept(update(2)), intake.accept(update(4))) == [
        False,
        True,
    ]
    assert await intake.accept(update(3, kind=IGNORE)) is False
    assert len(woken) == 2  # nothing new to work on: not woken for the repeat alone
    assert await stored(app) == 4


async def test_a_batch_that_cannot_be_stored_fails_every_caller_and_the_next_one_works(
    app: App,
) -> None:
    intake = Intake(app.service.sessions, b"k")
    real = intake.sessions

    def broken() -> object:
        raise ConnectionError("database away")

    intake.sessions = broken  # type: ignore[assignment]
    results = await asyncio.gather(
        intake.accept(update(1)), intake.accept(update(2)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    intake.sessions = real
    assert await intake.accept(update(1)) is True  # redelivered: stored now
    assert await stored(app) == 1


async def test_a_caller_that_went_away_does_not_break_the_batch(app: App) -> None:
    intake = Intake(app.service.sessions, b"k")
    gone = asyncio.ensure_future(intake.accept(update(1)))
    kept = asyncio.ensure_future(intake.accept(update(2)))
    await asyncio.sleep(0)
    gone.cancel()
    assert await kept is True
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert await stored(app) == 2  # stored all the same: a redelivery will find it


@pytest.mark.parametrize("flushes", [1, 3])
async def test_at_most_flushes_transactions_store_at_once_and_none_is_left_waiting(
    app: App, flushes: int
) -> None:
    """While a transaction commits, what arrives goes into another one, up to `flushes`; every
    caller is answered, however the arrivals and the commits interleave."""
    intake = Intake(app.service.sessions, b"k", flushes=flushes)
    real = intake._store
    running, most, sizes = 0, 0, []

    async def slow(rows: list[dict[str, object]]) -> list[bool]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        sizes.append(len(rows))
        await asyncio.sleep(0.02)  # a commit waiting for the disk
        try:
            return await real(rows)  # type: ignore[arg-type]
        finally:
            running -= 1

    intake._store = slow  # type: ignore[method-assign]

    async def arrive(n: int) -> bool:
        await asyncio.sleep(0.003 * (n % 13))  # requests trickling in while others commit
        return await intake.accept(update(n, user=f"u{n % 7}"))

    added = await asyncio.wait_for(asyncio.gather(*(arrive(n) for n in range(120))), 30)
    assert added == [True] * 120
    assert await stored(app) == 120
    assert most == flushes
    assert sum(sizes) == 120
    assert intake._running == 0


async def test_stored_rows_read_back_whatever_the_batch_size(app: App) -> None:
    """Each column arrives as written, for batches of different sizes; on PostgreSQL they all
    go as one statement text (planned once per connection)."""
    texts: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            texts.append(statement)

    intake = Intake(app.service.sessions, b"k")
    event.listen(app.db.sync_engine, "before_cursor_execute", seen)
    try:
        for size in (1, 3, 7):
            first = size * 10
            batch = [update(n, user=f"u{n}") for n in range(first, first + size)]
            assert await asyncio.gather(*(intake.accept(u) for u in batch)) == [True] * size
        assert await intake.accept(update(99, kind=IGNORE)) is True
    finally:
        event.remove(app.db.sync_engine, "before_cursor_execute", seen)
    async with app.service.sessions() as session:
        rows = {r.external_id: r for r in (await session.scalars(select(InboxItem))).all()}
    assert len(rows) == 12
    one = rows["31"]
    assert (one.channel, one.attempts, one.done_at) == ("telegram", 0, None)
    assert one.body is not None and one.body["text"] == "t31"
    assert one.address is not None and "u31" not in one.address  # sealed
    assert one.conversation_id is not None and "u31" not in one.conversation_id
    assert rows["99"].done_at is not None and rows["99"].body is None
    if app.db.dialect.name == "postgresql":
        assert len(set(texts)) == 1, texts


async def test_every_text_and_id_is_made_valid_once_at_intake(app: App) -> None:
    """Lone surrogates become U+FFFD; NUL and the other control characters go, newlines and
    tabs stay; in every text field and id, whatever the channel; a text left empty is none."""
    intake = Intake(app.service.sessions, b"k")
    bad = Inbound(
        "sms",
        "SM\x00\ud800",
        user_id="+7\x00916",
        address="+7\x00916",
        text="x\ud800 a\x00b\x1b[0m\x7f\x85\tc\r\nd \U0001f642",
        choice="c\x00",
        lang="r\x00u",
        lang_hint="u\ud800z",
        source="me\x01tro",
        ack="a\x00",
    )
    assert await intake.accept(bad) is True
    assert (
        await intake.accept(Inbound("web", "e", user_id="v", address="v", text="\x00\x01")) is True
    )
    async with app.service.sessions() as session:
        rows = list(await session.scalars(select(InboxItem).order_by(InboxItem.id)))
    assert rows[0].external_id == "SM\ufffd"
    assert rows[0].body == {
        "kind": "message",
        "text": "x\ufffd ab[0m\tc\r\nd \U0001f642",
        "choice": "c",
        "lang": "ru",
        "lang_hint": "u\ufffdz",
        "source": "metro",
        "ack": "a",
    }
    assert rows[1].body == {"kind": "message"}  # nothing readable: as a sticker is
    assert await intake.accept(Inbound("sms", "SM\ud800", user_id="+7916")) is False  # a repeat


async def test_an_update_the_database_refuses_fails_only_its_own_request(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should something intake does not clean make the database refuse a row, the updates
    stored beside it are stored all the same."""
    if app.db.dialect.name != "postgresql":
        pytest.skip("SQLite stores a NUL; PostgreSQL refuses it")
    from bot.delivery import inbox

    monkeypatch.setattr(inbox, "cleaned", lambda inbound: inbound)  # as if it missed one
    intake = Intake(app.service.sessions, b"k")
    batch = [update(1), update(2), Inbound("sms", "SM\x00", user_id="+7916", text="x"), update(3)]
    results = await asyncio.gather(*(intake.accept(u) for u in batch), return_exceptions=True)
    assert results[:2] == [True, True] and results[3] is True
    assert isinstance(results[2], Exception)
    assert await stored(app) == 3
