"""The JSON text of states and bodies: orjson where it can, the standard library where it
cannot, so what a hostile client sends is stored and read back, and so is what was stored
before."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from bot.engine.state import State
from bot.service.core import Core as App
from bot.storage import jsontext
from bot.storage.conversations import Saved, load, save
from bot.storage.tables import Conversation

ODD = "x\ud800y"
"""A lone surrogate: valid in JSON as an escape, impossible in UTF-8."""


def test_values_round_trip_compact_and_in_utf8() -> None:
    value = {"text": "Патент ёки рухсатнома 🙂", "n": 3, "ok": True, "list": ["a", None]}
    text = jsontext.dumps(value)
    assert text == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert jsontext.loads(text) == value
    assert jsontext.dumps({1: "a"}) == '{"1":"a"}'  # as json.dumps names an int key


def test_what_orjson_refuses_is_written_and_read_by_the_standard_library() -> None:
    text = jsontext.dumps({"text": ODD})
    assert text == json.dumps({"text": ODD})
    assert jsontext.loads(text) == {"text": ODD}
    assert jsontext.loads(json.dumps({"old": "ё", "x": [1, 2]})) == {"old": "ё", "x": [1, 2]}


async def test_a_state_holding_a_lone_surrogate_is_saved_and_loaded(app: App) -> None:
    now = dt.datetime.now(dt.UTC)
    states = {"c1": State(lang="ru", vars={"typed": ODD}), "c2": State(lang="tg")}
    async with app.service.sessions() as session, session.begin():
        await save(session, [Saved(cid, "telegram", s, 1) for cid, s in states.items()], now)
    async with app.service.sessions() as session, session.begin():
        loaded = await load(session, list(states), now=now, ttl=dt.timedelta(days=1))
        raw = (await session.scalars(select(Conversation.state).order_by(Conversation.id))).all()
    assert {cid: one.state for cid, one in loaded.items()} == states
    assert [State.from_json(dict(one)) for one in raw] == list(states.values())
