"""Many rows written into SQLite by one statement compiled once, the rows bound as tuples."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect as SQLAlchemyDialect
from sqlalchemy import bindparam
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.dialects.base import RowsSpec

SQLITE_PARAMETERS = 32_766
"""Bound parameters SQLite takes in one statement (since 3.32)."""


class SqliteRows:
    """A `ManyRows` statement compiled for SQLite once, its rows bound by the driver: without
    RETURNING by `executemany`, with it as one multi-row VALUES list (`executemany` returns
    nothing), compiled once per number of rows.

    SQLAlchemy's own path processes every value of every row through its bind machinery; here
    values that repeat down a column (a batch's timestamps) are converted once."""

    def __init__(self, rows: RowsSpec, dialect: SQLAlchemyDialect) -> None:
        self.rows = rows
        self.dialect = dialect
        statement = rows.finish(sqlite_insert(rows.table))
        self.returns = bool(statement.returning_column_descriptions)
        single = self._compile(1)
        positions = {f"{name}_0": n for n, name in enumerate(rows.columns)}
        order = [positions[name] for name in single.positiontup or ()]
        if sorted(order) != list(range(len(rows.columns))):
            raise ValueError(f"{rows.table.name}: parameters other than the rows' columns")
        self.names = [rows.columns[n] for n in order]
        """The columns in the order the statement binds them (the table's, not the rows')."""
        columns = [rows.table.c[name] for name in self.names]
        self.processors = [
            column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns
        ]
        self.repeating = [column.type.hashable for column in columns]
        """Columns whose equal values may share one conversion (not JSON: its values are
        dicts and lists)."""
        self._texts: dict[int, str] = {1: single.string}

    def _compile(self, count: int) -> Any:
        names = self.rows.columns
        values: list[dict[str, Any]] = [
            {name: bindparam(f"{name}_{n}") for name in names} for n in range(count)
        ]
        return self.rows.finish(sqlite_insert(self.rows.table).values(values)).compile(
            dialect=self.dialect
        )

    def text(self, count: int) -> str:
        """The statement for `count` rows (1: the one `executemany` repeats)."""
        found = self._texts.get(count)
        if found is None:
            compiled = self._compile(count)
            expected = [f"{name}_{row}" for row in range(count) for name in self.names]
            if list(compiled.positiontup or ()) != expected:  # rows are bound in this order
                raise ValueError(f"unexpected parameters: {compiled.positiontup}")
            found = self._texts[count] = compiled.string
        return found

    def values(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row as the driver's tuple, converted as SQLAlchemy would."""
        converted: list[dict[Any, Any]] = [{} for _ in self.names]
        steps = list(zip(self.names, self.processors, self.repeating, converted, strict=True))
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values: list[Any] = []
            for name, process, repeating, seen in steps:
                value = row[name]
                if process is not None:
                    if not repeating:
                        value = process(value)
                    elif value in seen:
                        value = seen[value]
                    else:
                        value = seen[value] = process(value)
                values.append(value)
            out.append(tuple(values))
        return out

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        if not rows:
            return []
        connection = await session.connection()
        values = self.values(rows)
        if not self.returns:
            await connection.exec_driver_sql(self.text(1), values)
            return []
        found: list[Any] = []
        per = SQLITE_PARAMETERS // len(self.rows.columns)
        for start in range(0, len(values), per):
            part = values[start : start + per]
            flat = tuple(value for row in part for value in row)
            found += (await connection.exec_driver_sql(self.text(len(part)), flat)).all()
        return found
