"""The measured phases, each against processes already started (see `load.py`):

- intake: an open loop of N Telegram updates from many chats posted as fast as the server takes
  them; how long until all are accepted, and until all are processed (ours: the inbox is empty;
  the echo floor: all handed to its sender). The backlog it leaves measures the outbound pace.
- conversations: a closed loop of simulated users (see `users.py`), a TV spot's wave;
- soak: users arriving steadily for a long time while the servers' RSS is sampled.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import random
import resource
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench import cpu
from bench.burst import BurstPoster
from bench.procs import Proc
from bench.report import backlog_share, percentile
from bench.stack import RATE_GLOBAL, Probe
from bench.tracker import Tracker
from bench.users import Crowd, UserRecord, telegram_update
from bench.walk import LANGUAGE_SHARES, Model, Send

SAMPLE = 0.5
"""Seconds between looks at the outbox backlog."""
DONE_POLL = 0.02
"""Seconds between looks at whether a burst is processed: its figure is read off the first look
that finds it done, so at 0.1 s a floor finishing 12,000 updates in 1.5 s could be off by 7%."""


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Sampler:
    """Samples the Telegram conversations waiting in the outbox, and the inbox's unprocessed
    updates, while a phase runs."""

    probe: Probe | None
    samples: list[tuple[float, int]] = field(default_factory=list)
    """(time, Telegram conversations with messages waiting)."""
    inbox: list[tuple[float, int]] = field(default_factory=list)
    """(time, updates not processed yet)."""
    errors: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self.probe is not None:
                try:
                    _, conversations = await self.probe.outbox_telegram()
                    pending = await self.probe.inbox_pending()
                    now = time.monotonic()
                    self.samples.append((now, conversations))
                    self.inbox.append((now, pending))
                except Exception:  # a locked or missing table: skip this sample
                    self.errors += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE)


async def _until(check: Callable[[], Awaitable[bool]], timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if await check():
                return True
        await asyncio.sleep(every)
    return False


def intake_updates(model: Model, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Updates from count/3 chats: all /start, then a digit from each, then free text."""
    chats = list(range(5_000_000, 5_000_000 + max(1, -(-count // 3))))
    shares = list(LANGUAGE_SHARES.values())
    langs = {chat: rng.choices(list(LANGUAGE_SHARES), shares)[0] for chat in chats}
    rounds: list[tuple[int, Send]] = [(chat, Send(start=True)) for chat in chats]
    rounds += [(chat, Send(text=str(rng.randint(1, 9)))) for chat in chats]
    for chat in chats:
        question = rng.choice(model.questions[langs[chat]] or ["?"])
        rounds.append((chat, Send(text=question)))
    return [
        telegram_update(update_id, chat, send, langs[chat])
        for update_id, (chat, send) in enumerate(rounds[:count], start=1)
    ]


@dataclass
class IntakeResult:
    updates: int
    accepted: int = 0
    accept_seconds: float | None = None
    done_seconds: float | None = None
    latencies: list[float] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)
    errors: int = 0
    turns_per_s: float | None = None
    outbound_share: float | None = None
    outbound_window: float = 0.0
    outbound_share_processing: float | None = None
    """Over the part of the backlog while the server was still processing the burst."""
    outbound_share_after: float | None = None
    """Over the part after the inbox was empty (sending only)."""
    sends_per_second: list[int] = field(default_factory=list)
    telegram_sent: int = 0
    throttled: int = 0
    loadgen_cpu_share: float = 0.0
    wall: float = 0.0
    burst_cpu_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds per role (serve, work, postgresql, load generator) from the first post
    until all were processed (see `bench/cpu.py`)."""


async def intake(
    servers: Sequence[Proc],
    updates: Sequence[dict[str, Any]],
    tracker: Tracker,
    done: Callable[[], Awaitable[bool]],
    *,
    probe: Probe | None,
    concurrency: int,
    timeout: float,
    backlog_seconds: float,
) -> IntakeResult:
    """Post `updates` open loop over `concurrency` connections (spread over the servers);
    then wait for `done` (the server processed them all), then watch the outbound backlog
    `backlog_seconds` longer."""
    result = IntakeResult(len(updates))
    urls = [s.url for s in servers if s.url]
    posters = [BurstPoster(urls[n % len(urls)]) for n in range(concurrency)]
    stop = asyncio.Event()
    sampler = Sampler(probe)
    background = [
        asyncio.create_task(tracker.run(stop)),
        asyncio.create_task(sampler.run(stop)),
    ]
    queue = iter([json.dumps(update).encode() for update in updates])  # not the server's cost
    local_postgres = probe is not None and probe.url.startswith("postgresql")
    before = cpu.snapshot(servers, postgres=local_postgres)
    cpu0, began = cpu_self(), time.monotonic()

    async def worker(poster: BurstPoster) -> None:
        for update in queue:
            latency, errors = await poster.post(update)
            result.errors += errors
            if latency is not None:
                result.latencies.append(latency)
                result.accepted_at.append(time.monotonic())
                result.accepted += 1

    try:
        await asyncio.wait_for(
            asyncio.gather(*(worker(poster) for poster in posters)), timeout=timeout
        )
        result.accept_seconds = time.monotonic() - began
        left = max(1.0, timeout - result.accept_seconds)
        if await _until(done, left, every=DONE_POLL):
            result.done_seconds = time.monotonic() - began
            result.burst_cpu_s = cpu.used(before, cpu.snapshot(servers, local_postgres))
        await asyncio.sleep(backlog_seconds)
    except TimeoutError:
        pass
    finally:
        result.wall = time.monotonic() - began
        result.loadgen_cpu_share = (cpu_self() - cpu0) / result.wall
        for poster in posters:
            poster.close()
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
    sends = tracker.telegram_sent
    share, window = backlog_share(sampler.samples, sends, RATE_GLOBAL, RATE_GLOBAL)
    result.outbound_share, result.outbound_window = share, window
    result.sends_per_second = per_second(sends, began)
    if result.done_seconds:
        done_at = began + result.done_seconds
        result.turns_per_s = turns_rate(result.accepted_at, sampler.inbox, done_at)
        busy = [s for s in sampler.samples if s[0] < done_at]
        idle = [s for s in sampler.samples if s[0] >= done_at]
        result.outbound_share_processing = backlog_share(busy, sends, RATE_GLOBAL, RATE_GLOBAL)[0]
        result.outbound_share_after = backlog_share(idle, sends, RATE_GLOBAL, RATE_GLOBAL)[0]
    result.telegram_sent = len(tracker.telegram_sent)
    result.throttled = tracker.telegram_throttled + tracker.sms_throttled
    return result


def per_second(times: Sequence[float], began: float) -> list[int]:
    """How many of `times` fell in each whole second since `began`."""
    counts: list[int] = []
    for at in sorted(times):
        second = int(at - began)
        if second >= 0:
            counts += [0] * (second + 1 - len(counts))
            counts[second] += 1
    return counts


def turns_rate(
    accepted_at: Sequence[float], inbox: Sequence[tuple[float, int]], done_at: float
) -> float | None:
    """Updates processed per second from the first sample that saw one processed until the
    inbox was empty (processed = accepted so far - still pending)."""
    ordered = sorted(accepted_at)
    for at, pending in inbox:
        processed = bisect.bisect_right(ordered, at) - pending
        if processed > 0 and done_at > at:
            return (len(ordered) - processed) / (done_at - at)
    return None


@dataclass
class ConversationResult:
    users: int = 0
    expected: int = 0
    arrived: int = 0
    lost: int = 0
    duplicated: int = 0
    repeats: int = 0
    """Messages identical to the one before them in the same chat (a diagnostic)."""
    timed_out: int = 0
    reply_times: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    outbound_share: float | None = None
    outbound_window: float = 0.0
    throttled: int = 0
    drained: bool = False
    loadgen_cpu_share: float = 0.0
    wall: float = 0.0


async def conversations(
    crowd: Crowd,
    probe: Probe,
    *,
    telegram: int,
    sms: int,
    spread: float,
    limit: float,
    drain: float,
) -> ConversationResult:
    """A wave of users arriving within `spread` seconds, each walking its conversation; at most
    `limit` seconds, then at most `drain` seconds for the server to send what it owes."""
    stop = asyncio.Event()
    sampler = Sampler(probe)
    tracker = crowd.tracker
    background = [
        asyncio.create_task(tracker.run(stop)),
        asyncio.create_task(sampler.run(stop)),
    ]
    cpu0, began = cpu_self(), time.monotonic()
    result = ConversationResult()
    try:
        deadline = began + limit
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(crowd.wave(telegram, sms, spread, deadline), limit + 5)

        async def empty() -> bool:
            return await probe.inbox_pending() == 0 and await probe.outbox_pending() == 0

        result.drained = await _until(empty, drain, every=0.25)
        await asyncio.sleep(1.0)  # the last answers on their way to the fakes
    finally:
        result.wall = time.monotonic() - began
        result.loadgen_cpu_share = (cpu_self() - cpu0) / result.wall
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
    account(crowd.records, crowd.tracker, result)
    share, window = backlog_share(sampler.samples, tracker.telegram_sent, RATE_GLOBAL, RATE_GLOBAL)
    result.outbound_share, result.outbound_window = share, window
    result.throttled = tracker.telegram_throttled + tracker.sms_throttled
    return result


def account(records: Sequence[UserRecord], tracker: Tracker, result: ConversationResult) -> None:
    """Lost, duplicated and reply times, per user, from what the fakes received."""
    for record in records:
        accepted = [step for step in record.steps if step.latency is not None]
        result.users += 1
        result.timed_out += record.timed_out
        result.errors += sum(step.errors for step in record.steps)
        result.latencies += [step.latency for step in accepted if step.latency is not None]
        expected = accepted[-1].expected_total if accepted else 0
        arrivals = tracker.arrivals.get(record.key, [])
        result.expected += expected
        result.arrived += len(arrivals)
        result.lost += max(0, expected - len(arrivals))
        result.duplicated += max(0, len(arrivals) - expected)
        result.repeats += sum(a.crc == b.crc for a, b in itertools.pairwise(arrivals))
        for step in accepted:
            if step.expected and len(arrivals) >= step.expected_total:
                result.reply_times.append(arrivals[step.expected_total - 1].at - step.sent_at)


def summary(values: Sequence[float], scale: float = 1.0) -> tuple[float | None, float | None]:
    p50, p99 = percentile(values, 50), percentile(values, 99)
    return (
        None if p50 is None else p50 * scale,
        None if p99 is None else p99 * scale,
    )


async def soak(
    crowd: Crowd,
    servers: Sequence[Proc],
    *,
    seconds: float,
    users_per_second: float,
    sms_share: float,
    every: float = 10.0,
) -> list[tuple[float, int]]:
    """Users arriving steadily for `seconds`; (seconds since start, summed server RSS in KiB)
    every `every` seconds."""
    stop = asyncio.Event()
    samples: list[tuple[float, int]] = []
    began = time.monotonic()

    async def sample() -> None:
        while not stop.is_set():
            rss = sum(server.status_kb("VmRSS") for server in servers)
            samples.append((time.monotonic() - began, rss))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    background = [asyncio.create_task(crowd.tracker.run(stop)), asyncio.create_task(sample())]
    try:
        await crowd.stream(users_per_second, sms_share, began + seconds)
    finally:
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
    return samples
