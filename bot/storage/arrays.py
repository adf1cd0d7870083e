"""Many rows in one statement on PostgreSQL: each column as one array, unnested.

`executemany` runs its statement once per row inside PostgreSQL, and a multi-row VALUES list is
a new statement text for every number of rows (rendered again by SQLAlchemy, parsed and planned
again by PostgreSQL). `INSERT ... SELECT FROM unnest(arrays)` is one text for any number of
rows, prepared once per connection, and one execution for all of them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, Table, literal_column, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def unnest_rows(table: Table, columns: Sequence[str]) -> Select[Any]:
    """`SELECT columns FROM unnest(:column arrays)`, rows in the order given: the source of an
    `insert(table).from_select(columns, ...)` (ids are then drawn in that order). Its
    parameters: `arrays(table, columns, rows)`."""
    casts: list[str] = []
    picks: list[ColumnElement[Any]] = []
    for name in columns:
        column = table.c[name]
        if isinstance(column.type, JSON):
            casts.append(f"CAST(:{name} AS text[])")
            picks.append(literal_column(f"CAST({name} AS json)").label(name))
        else:
            casts.append(f"CAST(:{name} AS {column.type.compile(dialect=_DIALECT)}[])")
            picks.append(literal_column(name))
    source = f"unnest({', '.join(casts)}) WITH ORDINALITY AS row({', '.join(columns)}, row_order)"
    return select(*picks).select_from(text(source)).order_by(literal_column("row_order"))


def arrays(
    table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The rows as `unnest_rows`'s parameters: one list per column (JSON values as text)."""
    out: dict[str, list[Any]] = {}
    for name in columns:
        values = [row[name] for row in rows]
        if isinstance(table.c[name].type, JSON):
            values = [None if value is None else json.dumps(value) for value in values]
        out[name] = values
    return out


class ManyRows:
    """Many rows of `columns` written into `table` by one statement: on PostgreSQL selected
    from one array per column (`unnest_rows`), elsewhere (SQLite) a multi-row INSERT with the
    rows as parameters. `finish` adds what comes after the values (ON CONFLICT, RETURNING);
    each dialect's statement is built once."""

    def __init__(
        self, table: Table, columns: Sequence[str], finish: Callable[[Any], Any] = lambda s: s
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.finish = finish
        self._statements: dict[str, Any] = {}

    def statement(self, dialect: str) -> Any:
        found = self._statements.get(dialect)
        if found is None:
            if dialect == "postgresql":
                source = unnest_rows(self.table, self.columns)
                found = pg_insert(self.table).from_select(self.columns, source)
            else:
                found = sqlite_insert(self.table)
            found = self._statements[dialect] = self.finish(found)
        return found

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Write `rows` (dicts with at least `columns`) inside the session's transaction."""
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            params: Any = arrays(self.table, self.columns, rows)
        else:
            params = [{name: row[name] for name in self.columns} for row in rows]
        return await session.execute(self.statement(dialect), params)
