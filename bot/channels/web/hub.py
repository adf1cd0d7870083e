"""The browser streams open in this process, by visitor address: where the web transport hands
a reply, and how it learns whether any page of that visitor took it.

A piece counts as delivered once an open stream has written it to its connection (the event
generator resumed after yielding it), not when it was merely queued: a page that went away
between the two must not make a reply vanish from the outbox. Pieces nobody took in time are
withdrawn from the streams' queues so a retry does not show them twice. What was written is
kept for a short while (`replay.py`) for a page whose connection turns out to have been dead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.aio import wait_event
from bot.channels.web.replay import Replay

log = logging.getLogger(__name__)

PER_VISITOR = 5
"""Open streams one visitor may hold (tabs, a phone and a laptop); more are refused."""
BACKLOG = 32
"""Pieces waiting on one stream; a stream this far behind is not counted on to deliver more."""
TAKE_TIMEOUT = 10.0
"""How long a push waits for a stream to write a piece before the outbox retries it."""
RECHECK = 3.0
"""Seconds after a page opened when its visitor's waiting replies are brought due once more."""
RECENT = 60.0
"""Seconds after its last stream closed during which a visitor counts as just reconnecting."""
REMEMBERED = 10_000
"""Past this many remembered visitors, those not seen for `RECENT` seconds are forgotten."""


@dataclass
class Delivery:
    """One piece on its way to one stream; `taken` resolves True once written, False if not."""

    piece: Any
    taken: asyncio.Future[bool]
    event_id: str

    def settle(self, written: bool) -> None:
        if not self.taken.done():
            self.taken.set_result(written)


class Stream:
    """One open event stream of one visitor: the pieces pushed to it, in order."""

    def __init__(self, address: str, backlog: int = BACKLOG) -> None:
        self.address = address
        self.backlog = backlog
        self._queue: deque[Delivery] = deque()
        self._current: Delivery | None = None
        self._wake = asyncio.Event()
        self._ended = False
        self._ended_event = asyncio.Event()

    @property
    def ended(self) -> bool:
        return self._ended

    async def wait_ended(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the stream to end; whether it did."""
        return await wait_event(self._ended_event, timeout)

    def offer(self, delivery: Delivery) -> bool:
        """Queue a piece; False when the stream is ending or too far behind."""
        if self._ended or len(self._queue) >= self.backlog:
            return False
        self._queue.append(delivery)
        self._wake.set()
        return True

    async def next(self) -> Delivery | None:
        """The next piece to write (settle the previous one first), or None once ended."""
        self._current = None
        while True:
            while self._queue:
                delivery = self._queue.popleft()
                if not delivery.taken.done():  # else the sender gave up on it already
                    self._current = delivery
                    return delivery
            if self._ended:
                return None
            self._wake.clear()
            await self._wake.wait()

    def end(self) -> None:
        """Stop: what was not written is reported as not taken, so the outbox keeps it."""
        self._ended = True
        for delivery in (*self._queue, *([self._current] if self._current else [])):
            delivery.settle(False)
        self._queue.clear()
        self._current = None
        self._wake.set()
        self._ended_event.set()


OnOpen = Callable[[str], Awaitable[None]]


class Hub:
    """The open streams by visitor address; `push` is the transport's way to a visitor."""

    def __init__(
        self,
        *,
        per_visitor: int = PER_VISITOR,
        take_timeout: float = TAKE_TIMEOUT,
        recheck: float = RECHECK,
        on_open: OnOpen | None = None,
        replay: Replay | None = None,
        key: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_visitor = per_visitor
        self.take_timeout = take_timeout
        self.recheck = recheck
        self.on_open = on_open
        """Run beside a stream that opened: the channel brings the visitor's waiting replies due."""
        self.replay = replay or Replay()
        self.key = key
        """A visitor address's conversation id, for `conversations`."""
        self.clock = clock
        self._streams: dict[str, set[Stream]] = {}
        self._keys: dict[str, str] = {}
        self._last_seen: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def count(self, address: str) -> int:
        return len(self._streams.get(address, ()))

    def conversations(self) -> list[str]:
        """The conversations of the visitors with a page open here: the only ones this process
        can deliver to (with several processes, each sends to its own pages)."""
        return list(self._keys.values())

    def full(self, address: str) -> bool:
        """Whether the visitor already holds as many streams as allowed."""
        return self.count(address) >= self.per_visitor

    def recently_seen(self, address: str) -> bool:
        """A stream of this visitor is open or closed less than `RECENT` seconds ago."""
        if self.count(address):
            return True
        seen = self._last_seen.get(address)
        return seen is not None and self.clock() - seen < RECENT

    @contextlib.asynccontextmanager
    async def connect(
        self, address: str, last_event_id: str | None = None
    ) -> AsyncIterator[Stream]:
        """An open stream for `address` while the block runs (an ended one once closed),
        starting with what was sent after `last_event_id`, the last event the page read."""
        stream = Stream(address)
        if self._closed:
            stream.end()
            yield stream
            return
        self._streams.setdefault(address, set()).add(stream)
        if self.key is not None and address not in self._keys:
            self._keys[address] = self.key(address)
        loop = asyncio.get_running_loop()
        for event_id, piece in self.replay.since(address, last_event_id):
            stream.offer(Delivery(piece, loop.create_future(), event_id))
        if self.on_open is not None:
            task = asyncio.create_task(self._opened(stream, self.on_open))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        try:
            yield stream
        finally:
            stream.end()
            self._release(stream)

    async def _opened(self, stream: Stream, on_open: OnOpen) -> None:
        """Run `on_open` now, and once more a moment later: a send that failed just before the
        page opened may be recorded (as a late retry) only after the first run looked."""
        for delay in (0.0, self.recheck):
            if delay and await stream.wait_ended(delay):
                return
            try:
                await on_open(stream.address)
            except Exception:  # the visitor's replies still arrive, only later
                log.warning("web: could not bring waiting replies forward", exc_info=True)

    def _release(self, stream: Stream) -> None:
        streams = self._streams.get(stream.address)
        if streams is not None:
            streams.discard(stream)
            if not streams:
                del self._streams[stream.address]
                self._keys.pop(stream.address, None)
        now = self.clock()
        self._last_seen[stream.address] = now
        if len(self._last_seen) > REMEMBERED:
            for address, seen in list(self._last_seen.items()):
                if now - seen >= RECENT:
                    del self._last_seen[address]

    async def push(self, address: str, piece: Any) -> bool:
        """Offer `piece` to every open stream of `address`; True once one of them wrote it."""
        loop = asyncio.get_running_loop()
        number, event_id = self.replay.new_id()
        offered: list[Delivery] = []
        for stream in list(self._streams.get(address, ())):
            delivery = Delivery(piece, loop.create_future(), event_id)
            if stream.offer(delivery):
                offered.append(delivery)
        waiting: set[asyncio.Future[bool]] = {d.taken for d in offered}
        deadline = loop.time() + self.take_timeout
        delivered = False
        try:
            while waiting and not delivered:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                done, waiting = await asyncio.wait(
                    waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
                delivered = any(future.result() for future in done)
        finally:
            if not delivered:  # withdraw it everywhere: the outbox retries it
                for delivery in offered:
                    delivery.settle(False)
        if delivered:  # the visitor's other pages still get it from their queues
            self.replay.remember(address, number, piece)
        return delivered

    def close(self) -> None:
        """Shutting down: end every stream and accept no new ones."""
        self._closed = True
        for streams in list(self._streams.values()):
            for stream in list(streams):
                stream.end()
