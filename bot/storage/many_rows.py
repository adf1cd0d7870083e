"""Many rows written into a table by one statement, the fastest way each database has.

On PostgreSQL the rows go as one array per column, unnested (`dialects/postgresql.py`); on
SQLite the statement is compiled once and the rows go to the driver as tuples
(`dialects/sqlite_rows.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialects import dialect_of
from bot.storage.dialects.base import RowsWriter


class ManyRows:
    """Many rows of `columns` written into `table` by one statement. `finish` adds what comes
    after the values (ON CONFLICT, RETURNING) to the dialect's INSERT; each dialect's
    statement is built once, when first used."""

    def __init__(
        self, table: Table, columns: Sequence[str], finish: Callable[[Any], Any] = lambda s: s
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.finish = finish
        self._writers: dict[str, RowsWriter] = {}

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Write `rows` (dicts with at least `columns`) inside the session's transaction; what
        the statement returns, as rows."""
        bound = session.get_bind().dialect
        writer = self._writers.get(bound.name)
        if writer is None:
            writer = self._writers[bound.name] = dialect_of(session).rows_writer(self, bound)
        return await writer.execute(session, rows)
