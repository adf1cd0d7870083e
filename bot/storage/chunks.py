"""Many values in a query's IN list, a part at a time: databases limit a statement's bound
parameters (SQLite to 32,766, PostgreSQL to 65,535), and long lists plan badly anyway."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

T = TypeVar("T", str, int)

CHUNK = 500


def chunks(values: Collection[T], size: int = CHUNK) -> Iterator[list[T]]:
    """The values, sorted (so concurrent transactions lock rows in the same order), in lists of
    at most `size`."""
    ordered = sorted(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def among(
    session: AsyncSession, column: InstrumentedAttribute[Any], values: Sequence[T]
) -> ColumnElement[bool]:
    """`column IN values`, on PostgreSQL as `column = ANY(array)`: one parameter, so one
    statement text for any number of values. An IN list is a new text for each length, which
    SQLAlchemy renders again and asyncpg prepares again on every batch: a tenth of a `work`
    process's time under a burst."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    # one expanding parameter: `in_(values)` coerces every value into a bound parameter of its
    # own while the statement is built, a cost per value and per batch
    return column.in_(bindparam(None, list(values), type_=column.type, expanding=True))
