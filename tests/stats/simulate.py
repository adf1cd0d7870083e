"""A realistic month of counters for N conversations, inserted as the aggregate rows the sink
would have produced (the report reads counters, so this is what its speed depends on)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot import TOPICS
from bot.stats.counters import RESPONSE_BUCKETS
from bot.stats.labels import ANSWERS
from bot.stats.tables import (
    ContactCount,
    EscalationCount,
    OutcomeCount,
    ResponseTimeCount,
    SurveyCount,
    TopicCount,
)

SOURCES = ["none", "metro", "leaflet2026", "poster_a", "poster_b", "radio1", "consulate", "other"]


@dataclass
class Simulated:
    conversations: int
    topics: Counter[str] = field(default_factory=Counter)
    rows: int = 0


def _pick(rng: random.Random, values: list[Any], weights: list[float], k: int) -> list[Any]:
    return rng.choices(values, weights=weights, k=k)


async def simulate_month(
    session: AsyncSession, month: str, conversations: int, seed: int = 7
) -> Simulated:
    rng = random.Random(seed)
    year, mon = (int(p) for p in month.split("-"))
    first = dt.date(year, mon, 1)
    days = [first + dt.timedelta(days=n) for n in range(28)]
    n = conversations
    day = _pick(rng, days, [1.3 if d.weekday() < 5 else 0.6 for d in days], n)
    lang = _pick(rng, ["ru", "uz", "tg"], [45, 35, 20], n)
    channel = _pick(rng, ["telegram", "sms", "web"], [60, 25, 15], n)
    source = _pick(rng, SOURCES, [40, 15, 12, 8, 6, 5, 1, 3], n)
    topic_weights = [22, 18, 5, 6, 8, 10, 16, 4, 11]
    contacts: Counter[tuple[Any, ...]] = Counter()
    topics: Counter[tuple[Any, ...]] = Counter()
    escalations: Counter[tuple[Any, ...]] = Counter()
    responses: Counter[tuple[Any, ...]] = Counter()
    outcomes: Counter[tuple[Any, ...]] = Counter()
    survey: Counter[tuple[Any, ...]] = Counter()
    result = Simulated(conversations)
    for i in range(n):
        dims = (day[i], lang[i], channel[i])
        contacts[(*dims, source[i])] += 1
        for topic in set(rng.choices(TOPICS, weights=topic_weights, k=rng.randint(1, 3))):
            topics[(day[i], topic, lang[i], channel[i], source[i])] += 1
            result.topics[topic] += 1
        if rng.random() < 0.08:
            reason = rng.choice(["asked", "asked", "flow", "danger", "not_understood"])
            urgent = reason == "danger"
            escalations[(*dims, urgent, reason)] += 1
            bucket = rng.choice(RESPONSE_BUCKETS)[1]
            responses[(day[i], channel[i], urgent, bucket)] += 1
            outcomes[(*dims, rng.choice(["answered", "referred", "no_reply"]))] += 1
        if rng.random() < 0.4:
            survey[("offer", "offered")] += 1
            if rng.random() < 0.3:
                survey[("offer", "accepted")] += 1
                for question, answers in ANSWERS.items():
                    if question != "offer" and rng.random() < 0.9:
                        survey[(question, rng.choice(list(answers)))] += 1
            else:
                survey[("offer", "declined")] += 1

    def rows(counter: Counter[tuple[Any, ...]], names: list[str]) -> list[dict[str, Any]]:
        return [{**dict(zip(names, key, strict=True)), "count": v} for key, v in counter.items()]

    batches: list[tuple[Any, list[dict[str, Any]]]] = [
        (TopicCount, rows(topics, ["day", "topic", "lang", "channel", "source"])),
        (EscalationCount, rows(escalations, ["day", "lang", "channel", "urgent", "reason"])),
        (ResponseTimeCount, rows(responses, ["day", "channel", "urgent", "bucket"])),
        (OutcomeCount, rows(outcomes, ["day", "lang", "channel", "outcome"])),
        (SurveyCount, [{"month": month, **r} for r in rows(survey, ["question", "answer"])]),
        (
            ContactCount,
            [
                {
                    **dict(zip(["day", "lang", "channel", "source"], k, strict=True)),
                    "active": v,
                    "started": v,
                }
                for k, v in contacts.items()
            ],
        ),
    ]
    for model, batch in batches:
        await session.execute(insert(model.__table__), batch)
        result.rows += len(batch)
    return result
