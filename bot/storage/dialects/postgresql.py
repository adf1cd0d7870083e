"""PostgreSQL: a pool, upserts, one array parameter for an IN list, many rows as arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    Table,
    any_,
    bindparam,
    literal_column,
    select,
    text,
)
from sqlalchemy import Dialect as SQLAlchemyDialect
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage import jsontext
from bot.storage.dialects.base import Dialect, RowsSpec

T = TypeVar("T", str, int)

MIGRATION_LOCK = 0x6D6967726174
"""The advisory lock that lets one of several processes starting together migrate while the
others wait, then find the schema up to date."""

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


class Postgresql(Dialect):
    """PostgreSQL through asyncpg: a pool, statement texts that do not change with row counts."""

    name: ClassVar[str] = "postgresql"

    def open_engine(self, url: URL) -> AsyncEngine:
        # a database that does not answer must fail a webhook within seconds (503: the platform
        # retries), not hold it for asyncpg's default minute; a statement on a connection that
        # went silent (a network partition) gives up after a minute instead of never; a pool a
        # burst does not exhaust.
        # No ping before each use: with asyncpg it is three round trips (BEGIN, a query,
        # ROLLBACK) for every transaction, under a burst more than the work itself. A
        # connection that died with the server fails its first statement instead; SQLAlchemy
        # then discards it and every connection opened before it, that one request or batch
        # fails (a webhook answers 503, the platform retries; a batch is retried) and the next
        # ones get new connections.
        return create_async_engine(
            url,
            pool_recycle=1800,
            pool_size=10,
            max_overflow=30,
            connect_args={"timeout": 5, "command_timeout": 60},
            json_serializer=jsontext.dumps,
            json_deserializer=jsontext.loads,
        )

    def insert(self, table: Table) -> Insert:
        return pg_insert(table)

    def among(self, column: InstrumentedAttribute[Any], values: Sequence[T]) -> ColumnElement[bool]:
        """`column = ANY(array)`: one parameter, so one statement text for any number of values.
        An IN list is a new text for each length, which SQLAlchemy renders again and asyncpg
        prepares again on every batch: a tenth of a `work` process's time under a burst."""
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))

    def rows_writer(self, rows: RowsSpec, dialect: SQLAlchemyDialect) -> UnnestRows:
        return UnnestRows(rows)

    async def autocommit(self, session: AsyncSession) -> None:
        """No BEGIN and COMMIT around the session's one statement: two round trips fewer."""
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    async def lock_for_migrations(self, connection: AsyncConnection) -> None:
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
        )

    def asyncpg_dsn(self, url: URL) -> str | None:
        return url.set(drivername="postgresql").render_as_string(hide_password=False)


class UnnestRows:
    """Many rows in one statement: each column as one array, unnested.

    `executemany` runs its statement once per row inside PostgreSQL, and a multi-row VALUES
    list is a new statement text for every number of rows (rendered again by SQLAlchemy, parsed
    and planned again by PostgreSQL). `INSERT ... SELECT FROM unnest(arrays)` is one text for
    any number of rows, prepared once per connection, and one execution for all of them."""

    def __init__(self, rows: RowsSpec) -> None:
        self.table = rows.table
        self.columns = rows.columns
        source = unnest_rows(rows.table, rows.columns)
        self.statement = rows.finish(pg_insert(rows.table).from_select(rows.columns, source))

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> Any:
        params = arrays(self.table, self.columns, rows)
        return await session.execute(self.statement, params)


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
            values = [None if value is None else jsontext.dumps(value) for value in values]
        out[name] = values
    return out
