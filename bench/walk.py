"""Simulated users' conversations, mirrored on the same engine the server runs.

Each user walks a realistic path: start, pick a language, pick a topic drawn from the hotline's
statistics, go one or two levels deeper, maybe type a question, maybe ask for an operator. Every
step is first run on a local copy of the engine with the user's own State, which tells both what
to send next (the option ids and numbers the user sees) and how many platform messages the
server's answer must be:

- Telegram: one sendMessage per piece of `bot.channels.telegram.render.render` (a text over 4096
  UTF-16 units is split), summed over the turn's messages;
- SMS: one Twilio message per message left after the real `SmsShaper`, which pages a turn into
  one SMS (the rest waits for MORE): so 1 when the turn says anything, else 0.

What the server adds around the engine is mirrored where it changes a count: the statistics sink's
"survey due" mark. Queue-position notices join the last message and change no count.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import LANGUAGES
from bot.channels.sms.shaping import SmsShaper
from bot.channels.telegram.render import render
from bot.content import build_engine
from bot.conversation import finished
from bot.delivery.inbound import Body
from bot.engine.engine import Engine, Result
from bot.engine.environment import Environment
from bot.engine.loader import load_or_raise
from bot.engine.messages import Incoming, OptionOut
from bot.engine.state import State
from bot.settings import Settings

TELEGRAM = "telegram"
SMS = "sms"

TOPIC_SHARES = {
    "work_permit": 22.0,
    "registration": 15.0,
    "employment_abroad": 14.0,
    "citizenship": 9.0,
    "residence_permit": 7.0,
    "labour_rights": 4.0,
}
"""The hotline's statistics; the rest (29%) is spread evenly over the menu's other topics."""
LANGUAGE_SHARES = {"ru": 40.0, "uz": 35.0, "tg": 25.0}
GREETINGS = {"ru": "Здравствуйте", "uz": "Salom", "tg": "Салом"}
"""A first SMS: not a command, so the bot asks for the language."""
FREE_TEXT_SHARE = 0.20
OPERATOR_SHARE = 0.05
OWN_APP_LANGUAGE = 0.5
"""Telegram users whose app is in their language (the bot preselects it); the others have an
English app and choose on the language question."""
NOT_DEEPER = ("nav:", "lang:", "topic:")
"""Option ids that are not a node's own options (navigation, languages, suggestions)."""
TYPES_NUMBERS = 0.15
"""Telegram users who type the option's number instead of pressing the button."""


@dataclass(frozen=True)
class Send:
    """One thing a user sends: /start, a typed text, or a pressed button (callback data)."""

    text: str | None = None
    choice: str | None = None
    start: bool = False


@dataclass(frozen=True)
class Profile:
    channel: str
    lang: str
    app_lang: str
    topic: str
    depth: int
    free_text: str | None
    operator: bool
    types_numbers: bool


class Model:
    """The server's engine and what the users draw from: topics, languages, questions."""

    def __init__(self, settings: Settings) -> None:
        bundle = load_or_raise(settings.content_root)
        self.engine: Engine = build_engine(bundle, settings.hotline)
        self.shaper = SmsShaper(lambda: self.engine, settings.twilio.max_segments)
        self.zone = ZoneInfo(settings.hotline.timezone)
        menu = bundle.node(bundle.menu_ref)
        assert menu is not None
        self.menu_topics: dict[str, str] = {}
        """Menu option id -> topic (the flow its target node belongs to)."""
        for index, option in enumerate(menu.options):
            target = bundle.node(option.next)
            if target is not None:
                self.menu_topics[f"{menu.ref}:{index}"] = target.flow
        topics = list(dict.fromkeys(self.menu_topics.values()))
        rest = [t for t in topics if t not in TOPIC_SHARES]
        left = 100.0 - sum(TOPIC_SHARES[t] for t in topics if t in TOPIC_SHARES)
        self.topic_shares = {t: TOPIC_SHARES[t] for t in topics if t in TOPIC_SHARES}
        self.topic_shares |= {t: left / len(rest) for t in rest}
        self.questions = questions(settings.content_root / "tests" / "eval" / "messages.tsv")

    def profile(self, rng: random.Random, channel: str) -> Profile:
        lang = _draw(rng, LANGUAGE_SHARES)
        free = None
        if rng.random() < FREE_TEXT_SHARE and self.questions.get(lang):
            free = rng.choice(self.questions[lang])
        return Profile(
            channel=channel,
            lang=lang,
            app_lang=lang if rng.random() < OWN_APP_LANGUAGE else "en",
            topic=_draw(rng, self.topic_shares),
            depth=rng.choice((1, 2)),
            free_text=free,
            operator=rng.random() < OPERATOR_SHARE,
            types_numbers=channel == TELEGRAM and rng.random() < TYPES_NUMBERS,
        )


def questions(path: Path) -> dict[str, list[str]]:
    """Questions on a topic (not greetings, not operator requests) by language."""
    found: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        lang, expected, text = line.split("\t", 2)
        if lang in found and expected not in ("none", "operator"):
            found[lang].append(text)
    return found


def _draw(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


@dataclass
class Walk:
    """One user's conversation: `next_send` decides the step, `expect` runs it locally."""

    model: Model
    profile: Profile
    rng: random.Random
    state: State = field(default_factory=State)
    options: tuple[OptionOut, ...] = ()
    _plan: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        p = self.profile
        self._plan = ["start", "lang", "topic", *["deeper"] * p.depth]
        if p.free_text:
            self._plan.append("free")
        if p.operator:
            self._plan.append("operator")

    @property
    def steps_planned(self) -> int:
        return len(self._plan)

    def next_send(self) -> Send | None:
        """The next step of the plan (skipping those that do not apply), None when done."""
        while self._plan:
            send = self._decide(self._plan.pop(0))
            if send is not None:
                return send
        return None

    def _decide(self, stage: str) -> Send | None:
        p = self.profile
        if stage == "start":
            return Send(start=True) if p.channel == TELEGRAM else Send(text=GREETINGS[p.lang])
        if stage == "lang":
            if self.state.lang == p.lang:
                return None
            return self._pick([o for o in self.options if o.id == f"lang:{p.lang}"])
        if stage == "topic":
            wanted = [o for o in self.options if self.model.menu_topics.get(o.id) == p.topic]
            return self._pick(wanted)
        if stage == "deeper":
            deeper = [o for o in self.options if o.number > 0 and not o.id.startswith(NOT_DEEPER)]
            return self._pick(deeper)
        if stage == "free":
            return Send(text=p.free_text)
        if stage == "operator":
            if p.channel == SMS:
                return Send(text="0")
            return self._pick([o for o in self.options if o.id == "nav:operator"])
        raise ValueError(stage)

    def _pick(self, options: Sequence[OptionOut]) -> Send | None:
        if not options:
            return None
        option = self.rng.choice(list(options))
        if self.profile.channel == SMS:
            return Send(text=str(option.number)) if option.number >= 0 else None
        if self.profile.types_numbers and option.number > 0:
            return Send(text=str(option.number))
        return Send(choice=option.id)

    def expect(self, send: Send) -> int:
        """Run `send` on the local engine; the number of platform messages the server owes."""
        result, engine_result = self._run(send)
        self.state = result.state
        if engine_result is not None and engine_result.messages:
            self.options = engine_result.messages[-1].options  # what the numbers in an SMS mean
        if self.profile.channel == SMS:
            return len(result.messages)
        return sum(len(render(message)) for message in result.messages)

    def _run(self, send: Send) -> tuple[Result, Result | None]:
        """The turn's result as the channel sends it, and the engine's own (before SMS shaping,
        which turns options into text)."""
        engine = self.model.engine
        env = Environment.at(dt.datetime.now(dt.UTC), self.model.zone)  # the server's month
        hint = self.profile.app_lang if self.profile.app_lang in LANGUAGES else None
        if self.profile.channel == TELEGRAM:
            if send.start:
                result = engine.start(self.state, lang=None, lang_hint=hint, env=env)
            else:
                result = engine.handle(self.state, Incoming(send.text, send.choice, hint), env)
            return result, result
        seen: list[Result] = []

        def inner(state: State, env: Environment) -> Result:
            seen.append(engine.handle(state, Incoming(send.text, None, None), env))
            return seen[-1]

        result = finished(self.model.shaper(inner, Body(text=send.text))(self.state, env))
        return result, seen[0] if seen else None
