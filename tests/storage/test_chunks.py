"""`among`: the same rows as an IN list, and on PostgreSQL one statement text for any count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select

from bot.delivery.tables import InboxItem
from bot.service.core import Core as App
from bot.storage.chunks import among


async def test_among_finds_exactly_the_given_values(app: App) -> None:
    now = dt.datetime.now(dt.UTC)
    texts: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        texts.append(statement)

    async with app.service.sessions() as session, session.begin():
        session.add_all(
            InboxItem(channel="t", external_id=str(n), conversation_id=f"c{n}", received_at=now)
            for n in range(12)
        )
        await session.flush()
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            found = []
            for wanted in (["c1", "c4"], ["c0", "c5", "c11", "nobody"], []):
                rows = await session.scalars(
                    select(InboxItem.conversation_id).where(
                        among(session, InboxItem.conversation_id, wanted)
                    )
                )
                found.append(sorted(r for r in rows if r is not None))
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert found == [["c1", "c4"], ["c0", "c11", "c5"], []]
    if app.db.dialect.name == "postgresql":
        assert len(set(texts)) == 1, texts  # prepared once, whatever the count
