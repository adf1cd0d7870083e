"""What a conversation turn gives the sinks that record it, and what they give back: the
contract between the turn pipeline (`bot/delivery/pipeline.py`) and the statistics and the operator
queue. A sink learns what happened in a conversation, never who it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.engine import Result
from bot.engine.environment import Environment
from bot.engine.messages import Event, ForgetRequested, Outgoing
from bot.engine.state import State

Step = Callable[[State, Environment], Result]
"""What happens to a conversation's state in a turn, told the turn's time: usually one engine
call."""


class Batch:
    """What the turns of one run share (one turn alone is a run of one): each sink keeps under
    its own key what it read once for all of them (`Preparing.prepare`) or owes, and `finish`
    writes what is owed once, before the transaction commits."""

    def __init__(self) -> None:
        self.parts: dict[object, Any] = {}
        self._finishers: list[Callable[[AsyncSession], Awaitable[None]]] = []

    def on_finish(self, write: Callable[[AsyncSession], Awaitable[None]]) -> None:
        self._finishers.append(write)

    async def finish(self, session: AsyncSession) -> None:
        for write in self._finishers:
            await write(session)


@dataclass(frozen=True)
class Context:
    """What event consumers may know about a conversation: never who it is."""

    conversation_id: str
    channel: str
    state: State
    now: dt.datetime
    notices: list[Outgoing] = field(default_factory=list)
    """What sinks add to the user's reply (a queue position): joined to the last message."""
    history: list[Outgoing] = field(default_factory=list)
    """What sinks show again before the reply (a handover's transcript, to a page that lost
    it): sent first, as messages of their own."""
    batch: Batch | None = None
    """The run's Batch; None when a sink is called outside the pipeline (it then reads and
    writes for this turn alone)."""


class EventSink(Protocol):
    async def record(self, session: AsyncSession, ctx: Context, events: Sequence[Event]) -> None:
        """Store what the events mean, inside the conversation's transaction."""
        ...


@runtime_checkable
class Preparing(Protocol):
    async def prepare(
        self, session: AsyncSession, batch: Batch, conversation_ids: Collection[str]
    ) -> None:
        """Before a batch of turns: read once what `record` needs for these conversations."""
        ...


@runtime_checkable
class Forgetting(Protocol):
    async def forget(self, session: AsyncSession, conversation_id: str) -> None:
        """Delete what this sink keeps about the conversation ('forget me')."""
        ...


def joined(messages: list[Outgoing], notices: Sequence[Outgoing]) -> list[Outgoing]:
    """Notices appended to the last message (one SMS, one bubble), or sent alone."""
    out = list(messages)
    for notice in notices:
        if not out:
            out.append(notice)
            continue
        last = out[-1]
        sms = f"{last.sms_text or last.text}\n{notice.sms_text or notice.text}"
        out[-1] = replace(last, text=f"{last.text}\n\n{notice.text}", sms_text=sms)
    return out


def finished(result: Result) -> Result:
    """`result` as its channel sends it: its `finish` (SMS paging) applied to its messages, once
    (the notices must already be joined)."""
    if result.finish is not None:
        finish, result.finish = result.finish, None
        result.messages = finish(result)
    return result


def forgets(result: Result) -> bool:
    """The user asked for everything about them to be deleted."""
    return any(isinstance(e, ForgetRequested) for e in result.events)
