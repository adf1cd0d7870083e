"""What the console shows, as plain data for the templates and the live streams alike.

Every view here identifies a user only by the handover's tag: the conversation id, its address
and anything platform-specific stay out of it. Texts are returned as they are; escaping is the
job of the template (autoescape) and of the page script (textContent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import LANGUAGES as CONTENT_LANGUAGES
from bot.engine.engine import Engine
from bot.operators import queue
from bot.operators.tables import (
    EVENT,
    OPERATOR,
    QUEUED,
    TAKEN,
    USER,
    Handover,
    HandoverLine,
    Operator,
)
from bot.operators.words import CHANNELS, EVENTS, LANGS, REASONS, STATUSES, WHO
from bot.stats import labels
from bot.storage.conversations import as_utc
from bot.storage.sealed import Sealer

Translate = Callable[[str], str]
ANSWER_PREVIEW = 280
"""Characters of each answer the bot already gave that the context shows."""
OTHER = "other"


@dataclass(frozen=True)
class Labeller:
    """Codes to the operator's words."""

    t: Translate

    def of(self, table: dict[str, str], code: str) -> str:
        return self.t(table[code]) if code in table else code


def epoch(moment: dt.datetime | None) -> float | None:
    return as_utc(moment).timestamp() if moment is not None else None


def row_view(row: Handover, words: Labeller) -> dict[str, Any]:
    """One request in a queue list. `since` is when the user started waiting: for the queue
    its request, for a taken one their oldest unanswered message (None when answered)."""
    since = row.requested_at if row.status == QUEUED else row.waiting_since
    return {
        "id": row.id,
        "tag": row.tag,
        "lang": row.lang,
        "lang_label": words.of(LANGS, row.lang),
        "channel_label": words.of(CHANNELS, row.channel),
        "urgent": row.urgent,
        "reason_label": words.of(REASONS, row.reason),
        "since": epoch(since),
    }


async def queue_view(session: AsyncSession, operator: Operator, words: Labeller) -> dict[str, Any]:
    """The waiting requests in the operator's languages, in take order, and their own."""
    waiting = await queue.waiting(session, operator.languages)
    mine = await queue.taken_by(session, operator.id)
    return {
        "waiting": [row_view(row, words) for row in waiting],
        "mine": [row_view(row, words) for row in mine],
    }


def visible(row: Handover | None, operator: Operator) -> bool:
    """Whether the operator may open this conversation: only in their languages."""
    return row is not None and row.lang in operator.languages


def actions(row: Handover, operator: Operator) -> dict[str, bool]:
    """Which buttons make sense now (the desk checks again when pressed)."""
    mine = row.status == TAKEN and row.operator_id == operator.id
    waiting = row.status == QUEUED
    return {
        "take": waiting,
        "reply": mine,
        "close": mine or waiting,
        "handback": mine or waiting,
        "requeue": mine,
    }


def status_view(row: Handover, operator: Operator, words: Labeller) -> dict[str, Any]:
    return {
        "status": row.status,
        "status_label": words.of(STATUSES, row.status),
        "urgent": row.urgent,
        "actions": actions(row, operator),
    }


async def operator_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Operator.id, Operator.name).where(Operator.id.in_(wanted)))
    return {row.id: row.name for row in rows}


async def lines_view(
    session: AsyncSession,
    handover_id: int,
    after: int,
    sealer: Sealer,
    words: Labeller,
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    """The transcript after line `after`: what the user and operators wrote (opened from its
    sealed form) and what happened, in the operator's words."""
    found = await queue.lines(session, handover_id, after)
    names = await operator_names(session, (line.operator_id for line in found))
    return [_line(line, sealer, words, zone, names) for line in found]


def _line(
    line: HandoverLine, sealer: Sealer, words: Labeller, zone: ZoneInfo, names: dict[int, str]
) -> dict[str, Any]:
    if line.kind == EVENT:
        who, text = "", words.of(EVENTS, line.body)
    else:
        try:
            text = sealer.open(line.body)
        except ValueError:
            text = words.t(WHO["unreadable"])
        if line.kind == USER:
            who = words.t(WHO["user"])
        elif line.kind == OPERATOR and line.operator_id in names:
            who = names[line.operator_id]
        else:
            who = words.t(WHO["operator"])
    return {
        "id": line.id,
        "kind": line.kind,
        "who": who,
        "text": text,
        "time": as_utc(line.at).astimezone(zone).strftime("%H:%M"),
    }


def topic_label(engine: Engine, topic: str, lang: str) -> str:
    """A topic's (or outcome's) name in the console's language `lang`: for a language of the
    content, the content's `common.topic.<topic>` (the words of the bot's menu, and for
    `general` and `other` the same file); for English, the staff's names the monthly report
    uses (bot.stats.labels). Never one language beside another on the same page."""
    key = f"common.topic.{topic}"
    if lang in CONTENT_LANGUAGES and engine.texts.has(lang, key):
        return engine.texts.render(lang, key)
    return labels.name(labels.OUTCOMES, topic)


def shorten(text: str, limit: int = ANSWER_PREVIEW) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def context_view(row: Handover, engine: Engine, lang: str) -> dict[str, Any]:
    """What the bot knew: topics visited (named in the console's language `lang`) and the
    answers it already gave, in the user's language (the operator reads what the user read)."""
    context = row.context or {}
    topics = [topic_label(engine, str(t), lang) for t in context.get("topics", [])]
    answers = []
    for ref in context.get("answers", []):
        node = engine.bundle.node(str(ref))
        key = node.say_key({}) if node is not None else None
        text = engine.texts.render(row.lang, key) if key else str(ref)
        topic = engine.bundle.topic_of(str(ref))
        answers.append({"topic": topic_label(engine, topic, lang), "text": shorten(text)})
    return {"topics": topics, "answers": answers}


def canned(engine: Engine, lang: str) -> list[dict[str, str]]:
    """Ready replies in the conversation's language (`canned.<name>` content keys)."""
    # In the order of the content file: editors put the most used first.
    keys = [k for k in engine.bundle.texts.get(lang, {}) if k.startswith("canned.")]
    return [
        {"name": key.removeprefix("canned."), "text": engine.texts.render(lang, key)}
        for key in keys
    ]


def outcome_codes(engine: Engine) -> list[str]:
    topics = sorted({flow.topic for flow in engine.bundle.flows.values()})
    return [*topics, OTHER] if OTHER not in topics else topics


def outcomes(engine: Engine, lang: str) -> list[dict[str, str]]:
    """What a conversation can be closed with: the flows' topics, and 'other', named in the
    console's language `lang`."""
    return [
        {"code": code, "label": topic_label(engine, code, lang)} for code in outcome_codes(engine)
    ]
