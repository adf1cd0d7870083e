"""The pages of a long SMS still to send are kept in `State.pages`, and states stored with them as
JSON text in the `sms:more` mark are read once and written back in the new form."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from bot.channels.sms.shaping import STORED_PAGES, SmsShaper
from bot.content import build_engine
from bot.conversation import finished
from bot.delivery.inbound import Body
from bot.engine.engine import Engine, Result
from bot.engine.environment import Environment
from bot.engine.messages import Outgoing
from bot.engine.model import Bundle
from bot.engine.state import State
from bot.settings import Settings

LONG = " ".join(f"Предложение номер {n} о том, как оформить патент." for n in range(40))


ENV = Environment.at(dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC), ZoneInfo("Europe/Moscow"))


@pytest.fixture
def engine(shipped_bundle: Bundle) -> Engine:
    return build_engine(shipped_bundle, Settings.from_env({}).hotline)


def turn(engine: Engine, state: State, text: str, reply: list[Outgoing]) -> Result:
    """One SMS turn whose engine step would say `reply`."""
    shaper = SmsShaper(lambda: engine, 2)
    step = shaper(lambda st, env: Result(st.copy(), list(reply)), Body(text=text))
    return finished(step(state, ENV))


def stored(pages: list[str]) -> State:
    """A state as a row written before `State.pages` reads back: the pages as a JSON text."""
    row = State(lang="ru", node="patent.start").to_json()
    del row["pages"]
    row["marks"] = {"stats:day": "2026-12-03", STORED_PAGES: json.dumps(pages, ensure_ascii=False)}
    return State.from_json(row)


def test_a_long_reply_keeps_its_later_pages_as_a_list(engine: Engine) -> None:
    result = turn(engine, State(lang="ru"), "1", [Outgoing(LONG)])
    assert len(result.messages) == 1 and result.state.pages
    row = result.state.to_json()
    assert isinstance(row["pages"], list) and all(isinstance(p, str) for p in row["pages"])
    assert STORED_PAGES not in row["marks"]
    more = turn(engine, State.from_json(json.loads(json.dumps(row))), "ещё", [])
    assert more.messages[0].text == row["pages"][0]
    assert more.state.pages == row["pages"][1:]


def test_pages_stored_in_the_older_form_are_sent_on_more_and_kept_in_the_new_one(
    engine: Engine,
) -> None:
    result = turn(engine, stored(["вторая «страница»", "третья"]), "ещё", [])
    assert [m.text for m in result.messages] == ["вторая «страница»"]
    assert result.state.pages == ["третья"]
    assert result.state.marks == {"stats:day": "2026-12-03"}


def test_pages_stored_in_the_older_form_give_way_to_a_new_reply(engine: Engine) -> None:
    result = turn(engine, stored(["старая страница"]), "1", [Outgoing("Коротко.")])
    assert [m.text for m in result.messages] == ["Коротко."]
    assert result.state.pages == []
    assert STORED_PAGES not in result.state.marks


def test_stop_drops_pages_in_either_form(engine: Engine) -> None:
    result = turn(engine, stored(["старая страница"]), "STOP", [])
    assert result.state.pages == [] and STORED_PAGES not in result.state.marks
