"""What the storage layer asks of a database that SQLite and PostgreSQL do differently.

Everything else in `bot/` writes plain SQLAlchemy that both run alike; where they part (how an
engine is opened, an upsert, a long IN list, many rows in one statement, sparing BEGIN and
COMMIT, the lock around migrations, a log file to empty), it calls the `Dialect` of its session
(`bot.storage.dialects.dialect_of`). Only SQLite and PostgreSQL are supported."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import ColumnElement, Table
from sqlalchemy import Dialect as SQLAlchemyDialect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T", str, int)

Upsert = sqlite.Insert | postgresql.Insert
"""An INSERT that takes `on_conflict_do_update` / `on_conflict_do_nothing` and `excluded`."""


class RowsSpec(Protocol):
    """What a dialect needs of a many-rows statement (`bot/storage/many_rows.py`): the table,
    the columns given for each row, and what comes after the values (ON CONFLICT, RETURNING)."""

    @property
    def table(self) -> Table: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    @property
    def finish(self) -> Callable[[Any], Any]: ...


class RowsWriter(Protocol):
    """Writes a `ManyRows`'s rows the way one database does it fastest."""

    async def execute(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> Any:
        """Write `rows` in the session's transaction; what the statement returns, as rows."""
        ...


class Dialect(ABC):
    """One database's way of doing what the storage layer needs; one instance per database."""

    name: ClassVar[str]
    """SQLAlchemy's name of the database (`URL.get_backend_name()`, `Dialect.name`)."""

    keeps_log_file: ClassVar[bool] = False
    """Whether the database keeps a write-ahead log file of ours that text deleted stays
    readable in until a checkpoint empties it (`bot/storage/checkpoint.py`)."""

    @abstractmethod
    def open_engine(self, url: URL) -> AsyncEngine:
        """An async engine for `url`, pooled and tuned for this service's load."""

    @abstractmethod
    def insert(self, table: Table) -> Upsert:
        """`INSERT INTO table` that can say what to do on a conflict."""

    @abstractmethod
    def among(self, column: InstrumentedAttribute[Any], values: Sequence[T]) -> ColumnElement[bool]:
        """`column IN values` as this database plans and prepares best."""

    @abstractmethod
    def rows_writer(self, rows: RowsSpec, dialect: SQLAlchemyDialect) -> RowsWriter:
        """How `rows`'s statement writes many rows at once here (built once per `ManyRows`)."""

    @abstractmethod
    async def autocommit(self, session: AsyncSession) -> None:
        """Let the session's one statement commit by itself, where that saves round trips."""

    @abstractmethod
    async def lock_for_migrations(self, connection: AsyncConnection) -> None:
        """Make processes that start together migrate one at a time, where they could race."""

    @abstractmethod
    def asyncpg_dsn(self, url: URL) -> str | None:
        """The plain asyncpg DSN of `url`, for connections outside the pool; None when the
        database has none."""
