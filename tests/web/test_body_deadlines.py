"""The body deadline: one sweep cancels reads past their deadline and answers 408, while a
cancellation that is not the deadline's (a server shutting down) still cancels."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from starlette.requests import Request
from starlette.types import Message

from bot.web.bodies import BodyUnread, read_body


def request_for(app: object, receive_forever: bool) -> Request:
    async def receive() -> Message:
        if receive_forever:
            await asyncio.Event().wait()
        return {"type": "http.request", "body": b"hello", "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [], "app": app, "path": "/"}
    return Request(scope, receive)


async def test_a_body_that_never_ends_gets_408_after_the_deadline() -> None:
    app = SimpleNamespace(state=SimpleNamespace(body_timeout=0.2))
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(BodyUnread) as raised:
        await read_body(request_for(app, receive_forever=True))
    waited = loop.time() - began
    assert raised.value.status == 408
    assert 0.2 <= waited < 1.0
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0  # the deadline took its cancel back


async def test_a_body_that_arrives_is_read_and_later_reads_are_not_cancelled() -> None:
    app = SimpleNamespace(state=SimpleNamespace(body_timeout=0.1))
    for _ in range(3):
        assert await read_body(request_for(app, receive_forever=False)) == b"hello"
    await asyncio.sleep(0.3)  # past the deadline of every read above: nothing fires
    assert app.state.body_deadlines.reading == {}


async def test_another_cancellation_still_cancels_the_read() -> None:
    app = SimpleNamespace(state=SimpleNamespace(body_timeout=30))
    reading = asyncio.create_task(read_body(request_for(app, receive_forever=True)))
    await asyncio.sleep(0.05)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert app.state.body_deadlines.reading == {}
