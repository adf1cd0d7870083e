"""No statistics table has a column that could identify or be joined back to a person or a
conversation, in the models and in the database the migrations build."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import inspect

from bot.stats.tables import STAT_TABLES
from bot.storage.database import migrate, open_engine

IDENTIFYING = re.compile(
    r"user|chat|phone|msisdn|conversation|pseudonym|person|telegram|session|ip_?addr|email|name"
    r"|passport|^id$|_id$|^uid|created|updated|time",
    re.IGNORECASE,
)


def _offending(columns: dict[str, list[str]]) -> list[str]:
    return [f"{t}.{c}" for t, cols in columns.items() for c in cols if IDENTIFYING.search(c)]


def test_models_have_counts_only() -> None:
    columns = {m.__tablename__: [c.name for c in m.__table__.columns] for m in STAT_TABLES}
    assert _offending(columns) == []
    for model in STAT_TABLES:
        assert not model.__table__.foreign_keys, model.__tablename__


async def test_migrated_database_matches_the_models_and_has_counts_only(tmp_path: Path) -> None:
    db = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        await migrate(db)
        async with db.connect() as conn:

            def read(sync_conn: object) -> dict[str, list[str]]:
                inspector = inspect(sync_conn)
                names = [n for n in inspector.get_table_names() if n.startswith("stat_")]
                return {n: [c["name"] for c in inspector.get_columns(n)] for n in names}

            columns = await conn.run_sync(read)
    finally:
        await db.dispose()
    expected = {m.__tablename__: [c.name for c in m.__table__.columns] for m in STAT_TABLES}
    assert columns == expected
    assert _offending(columns) == []


def test_the_pattern_catches_what_it_must() -> None:
    bad = {"t": ["user_id", "chat", "phone_number", "conversation", "pseudonym", "id"]}
    assert len(_offending(bad)) == 6
