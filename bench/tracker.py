"""Following what the fakes received: every sendMessage and every Twilio message create, with the
fake's own arrival time (time.monotonic of the fake's process: CLOCK_MONOTONIC, the same clock as
ours on one machine), read incrementally from `/_fake/sent` and `/_fake/messages`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

POLL = 0.05


@dataclass(frozen=True)
class Arrival:
    at: float
    crc: int


def telegram_key(chat_id: int) -> str:
    return f"tg:{chat_id}"


def sms_key(number: str) -> str:
    return f"sms:{number}"


@dataclass
class Tracker:
    session: aiohttp.ClientSession
    telegram_url: str
    twilio_url: str
    arrivals: dict[str, list[Arrival]] = field(default_factory=lambda: defaultdict(list))
    """Accepted messages per recipient, in arrival order."""
    telegram_sent: list[float] = field(default_factory=list)
    sms_sent: list[float] = field(default_factory=list)
    telegram_throttled: int = 0
    sms_throttled: int = 0
    other_errors: int = 0
    _cursors: dict[str, int] = field(default_factory=lambda: {"tg": 0, "sms": 0})
    _events: dict[str, asyncio.Event] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return len(self.arrivals.get(key, ()))

    async def wait_for(self, key: str, count: int, timeout: float) -> bool:
        """Until `key` has received `count` messages in all; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.count(key) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._events.setdefault(key, asyncio.Event())
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Poll both fakes until `stop` is set (then once more, to catch the last arrivals)."""
        while not stop.is_set():
            await self.poll()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL)
        await self.poll()

    async def poll(self) -> None:
        await asyncio.gather(self._poll_telegram(), self._poll_sms())

    async def _poll_telegram(self) -> None:
        data = await self._get(f"{self.telegram_url}/_fake/sent", "tg")
        for at, chat_id, status, crc in data.get("sent", []):
            if status == 200:
                self.telegram_sent.append(float(at))
                self._arrived(telegram_key(int(chat_id)), Arrival(float(at), int(crc)))
            elif status == 429:
                self.telegram_throttled += 1
            else:
                self.other_errors += 1

    async def _poll_sms(self) -> None:
        data = await self._get(f"{self.twilio_url}/_fake/messages", "sms")
        for at, to, status, crc in data.get("messages", []):
            if status == 201:
                self.sms_sent.append(float(at))
                self._arrived(sms_key(str(to)), Arrival(float(at), int(crc)))
            elif status == 429:
                self.sms_throttled += 1
            else:
                self.other_errors += 1

    async def _get(self, url: str, cursor: str) -> dict[str, list[list[Any]]]:
        try:
            params = {"since": str(self._cursors[cursor])}
            async with self.session.get(url, params=params) as response:
                data = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return {}
        self._cursors[cursor] = int(data["next"])
        return dict(data)

    def _arrived(self, key: str, arrival: Arrival) -> None:
        self.arrivals[key].append(arrival)
        event = self._events.get(key)
        if event is not None:
            event.set()
