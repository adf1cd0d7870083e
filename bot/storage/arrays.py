"""Many rows in one statement on PostgreSQL: each column as one array, unnested.

`executemany` runs its statement once per row inside PostgreSQL, and a multi-row VALUES list is
a new statement text for every number of rows (rendered again by SQLAlchemy, parsed and planned
again by PostgreSQL). `INSERT ... SELECT FROM unnest(arrays)` is one text for any number of
rows, prepared once per connection, and one execution for all of them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, Table, literal_column, select, text
from sqlalchemy.dialects import postgresql

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
