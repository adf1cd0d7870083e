"""Many values in a query's IN list, a part at a time: databases limit a statement's bound
parameters (SQLite to 32,766, PostgreSQL to 65,535), and long lists plan badly anyway."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.dialects import dialect_of

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
    """`column IN values`, written as the session's database plans and prepares it best (on
    PostgreSQL one array parameter: one statement text for any number of values)."""
    return dialect_of(session).among(column, values)
