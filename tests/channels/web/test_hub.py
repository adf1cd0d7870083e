"""The hub on its own: a push counts only once a stream has written the piece."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.channels.web.hub import Hub, Stream


async def write_all(stream: Stream, written: list[object]) -> None:
    """What the event route does: write each piece, then say so."""
    while (delivery := await stream.next()) is not None:
        written.append(delivery.piece)
        delivery.settle(True)


@contextlib.asynccontextmanager
async def page(hub: Hub, address: str, written: list[object]) -> AsyncIterator[Stream]:
    async with hub.connect(address) as stream:
        writer = asyncio.create_task(write_all(stream, written))
        try:
            yield stream
        finally:
            stream.end()
            await writer


async def test_no_open_stream_is_no_delivery() -> None:
    assert await Hub().push("a", {"text": "x"}) is False


async def test_every_open_stream_of_the_visitor_gets_the_piece() -> None:
    hub = Hub()
    one: list[object] = []
    two: list[object] = []
    other: list[object] = []
    async with page(hub, "a", one), page(hub, "a", two), page(hub, "b", other):
        assert await hub.push("a", "hello")
        await asyncio.sleep(0)
    assert one == two == ["hello"] and other == []


async def test_a_stream_that_does_not_write_in_time_gives_the_piece_back() -> None:
    hub = Hub(take_timeout=0.05)
    async with hub.connect("a") as stream:
        assert await hub.push("a", "late") is False
        assert await hub.push("a", "next") is False
        stream.end()
        assert await stream.next() is None  # withdrawn: a retry will not show it twice


async def test_a_stream_that_ends_mid_push_fails_it_at_once() -> None:
    hub = Hub(take_timeout=30)
    async with hub.connect("a") as stream:
        push = asyncio.create_task(hub.push("a", "x"))
        await asyncio.sleep(0.01)
        delivery = await stream.next()
        assert delivery is not None
        stream.end()  # the connection dropped while writing
        assert await asyncio.wait_for(push, 1) is False


async def test_closing_ends_streams_and_refuses_new_ones() -> None:
    hub = Hub()
    async with hub.connect("a") as stream:
        hub.close()
        assert stream.ended and await stream.next() is None
    async with hub.connect("a") as late:
        assert late.ended
    assert hub.closed and hub.count("a") == 0


async def test_a_visitor_holds_a_limited_number_of_streams() -> None:
    hub = Hub(per_visitor=2)
    async with hub.connect("a"), hub.connect("a"):
        assert hub.full("a") and not hub.full("b")
    assert not hub.full("a")


async def test_recently_seen_lasts_a_minute_after_the_last_stream() -> None:
    now = [100.0]
    hub = Hub(clock=lambda: now[0])
    assert not hub.recently_seen("a")
    async with hub.connect("a"):
        assert hub.recently_seen("a")
    now[0] += 59
    assert hub.recently_seen("a")
    now[0] += 2
    assert not hub.recently_seen("a")


async def test_opening_runs_the_hook_now_and_once_more_shortly_after() -> None:
    calls: list[str] = []

    async def on_open(address: str) -> None:
        calls.append(address)

    hub = Hub(on_open=on_open, recheck=0.05)
    async with hub.connect("a"):
        await asyncio.sleep(0.2)
    assert calls == ["a", "a"]
    calls.clear()
    async with hub.connect("b"):
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    assert calls == ["b"]  # closed before the second look: nothing to bring


async def test_a_failing_hook_does_not_break_the_stream() -> None:
    async def on_open(address: str) -> None:
        raise OSError("database away")

    hub = Hub(on_open=on_open, recheck=0.01)
    written: list[object] = []
    async with page(hub, "a", written):
        await asyncio.sleep(0.05)
        assert await hub.push("a", "still")
        await asyncio.sleep(0)
    assert written == ["still"]


async def test_a_reconnecting_stream_starts_with_what_it_missed() -> None:
    hub = Hub()
    written: list[object] = []
    async with hub.connect("a") as stream:
        ids = []
        for piece in ("one", "two"):
            push = asyncio.create_task(hub.push("a", piece))
            delivery = await stream.next()
            assert delivery is not None
            ids.append(delivery.event_id)
            delivery.settle(True)
            assert await push
    async with hub.connect("a", last_event_id=ids[0]) as again:
        delivery = await again.next()
        assert delivery is not None and (delivery.piece, delivery.event_id) == ("two", ids[1])
    async with page(hub, "a", written):
        pass
    assert written == []  # a page without an id read nothing yet: nothing to send again
