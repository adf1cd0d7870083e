"""Wake-ups between the parts of the service: an update was accepted (the inbox worker looks),
replies were queued (that channel's sender looks), something changed for the console.

A wake-up carries no data; whoever wakes reads the database. In one process they are plain
callbacks. On PostgreSQL they also reach the other processes sharing the database, through
LISTEN/NOTIFY on one connection of its own: wake-ups published within a few milliseconds are
sent as one notice. If that connection is down, nothing is lost: every loop that waits for a
wake-up also looks by itself every second or two, so a missed wake-up costs only that delay,
and on reconnecting every listener is woken once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import asyncpg

from bot.aio import wait_event

log = logging.getLogger(__name__)

CHANNEL = "bot_wake"
KEEPALIVE = 5.0
"""Seconds between checks that the listening connection is still alive."""


class Signals:
    def __init__(self, dsn: str | None = None, *, coalesce: float = 0.005) -> None:
        """`dsn`: a PostgreSQL DSN to reach other processes; None keeps wake-ups in-process."""
        self.dsn = dsn
        self.coalesce = coalesce
        self.origin = secrets.token_hex(6)
        self.listening = asyncio.Event()
        """Set while wake-ups from other processes can arrive (tests wait for it)."""
        self.sent = 0
        self.received = 0
        self._handlers: dict[str, list[Callable[[], None]]] = defaultdict(list)
        self._outgoing: set[str] = set()
        self._pending = asyncio.Event()

    def on(self, topic: str, handler: Callable[[], None]) -> None:
        self._handlers[topic].append(handler)

    def publish(self, topic: str, *, local: bool = True) -> None:
        """Wake `topic`'s handlers here (unless `local` is False) and in the other processes."""
        if local:
            self._dispatch(topic)
        if self.dsn is not None:
            self._outgoing.add(topic)
            self._pending.set()

    def _dispatch(self, topic: str) -> None:
        for handler in self._handlers.get(topic, ()):
            try:
                handler()
            except Exception:  # a wake-up must never break the caller's work
                log.exception("signals: a handler of %r failed", topic)

    def _received(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, _, topics = payload.partition("|")
        if origin == self.origin:
            return
        self.received += 1
        for topic in topics.split(","):
            self._dispatch(topic)

    async def run(self) -> None:
        """Listen and send until cancelled (returns at once without PostgreSQL)."""
        if self.dsn is None:
            return
        failures = 0
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self.dsn, timeout=5)
                await connection.add_listener(CHANNEL, self._received)
                self.listening.set()
                if failures:
                    log.info("signals: listening again")
                failures = 0
                for topic in list(self._handlers):  # what was missed while away
                    self._dispatch(topic)
                await self._send_loop(connection)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                failures += 1
                log.warning("signals: connection lost; other processes wake by polling meanwhile")
            finally:
                self.listening.clear()
                if connection is not None:
                    connection.terminate()
            await asyncio.sleep(min(10.0, 0.5 * failures))

    async def _send_loop(self, connection: asyncpg.Connection) -> None:
        while True:
            if not await wait_event(self._pending, KEEPALIVE):
                async with asyncio.timeout(KEEPALIVE):
                    await connection.fetchval("SELECT 1")
                continue
            await asyncio.sleep(self.coalesce)  # gather what is published meanwhile
            self._pending.clear()
            topics, self._outgoing = self._outgoing, set()
            payload = f"{self.origin}|{','.join(sorted(topics))}"
            async with asyncio.timeout(KEEPALIVE):
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
            self.sent += 1
