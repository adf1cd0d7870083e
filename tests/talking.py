"""A user's turns run straight through the turn pipeline, without a channel or the inbox: what
tests of the engine's effects on storage, statistics and the queue need."""

from __future__ import annotations

from bot.conversation import Step
from bot.delivery.pipeline import Turn, greeting, replying
from bot.engine.engine import Result
from bot.engine.messages import Incoming
from bot.service.core import Core as App


async def turn(
    app: App, channel: str, user: str, step: Step, *, source: str | None = None
) -> Result:
    """One turn of `user`'s conversation on `channel`: the result as sent."""
    cid = app.service.conversation_id(channel, user)
    result = await app.service.one(Turn(cid, channel, step, source))
    assert result is not None
    return result


async def say(app: App, channel: str, user: str, incoming: Incoming) -> Result:
    """A message from the user."""
    return await turn(app, channel, user, replying(app.service.engine, incoming))


async def greet(
    app: App, channel: str, user: str, *, lang: str | None = None, source: str | None = None
) -> Result:
    """The conversation opened (or resumed) without a message, as the terminal chat does."""
    return await turn(app, channel, user, greeting(app.service.engine, lang), source=source)
