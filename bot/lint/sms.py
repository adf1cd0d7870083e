"""Every SMS a user can get, as the SMS channel sends it: each node's `sms` text with its numbered
options in every language, a handover node with each notice the operator queue joins to it, and
what the engine says by itself (the language question, the welcome with the menu, "not
understood", the operator's goodbye with the menu, ...). Each is cut into pages by the very
function the SMS channel uses (`sms_pages`), so lint costs exactly what is sent.

The options are the ones a user who came from the main menu sees, so "Back" is counted wherever
the engine may show it: an editor's budget holds for the longest form of the message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bot import DEFAULT_LANGUAGE, LANGUAGES, TOPICS
from bot.channels.rendering import numbered_options, render_sms
from bot.channels.sms.shaping import sms_pages
from bot.channels.sms_segments import SmsCost, sms_cost
from bot.conversation import joined
from bot.engine.engine import Engine, Result
from bot.engine.messages import Incoming, Outgoing
from bot.engine.model import MENU_FLOW, Bundle, Node
from bot.engine.options import node_options
from bot.engine.problems import Pos
from bot.engine.state import SUGGEST_NODE, State
from bot.engine.texts import Texts
from bot.operators.hours import Hours
from bot.settings import HotlineSettings

QUEUE_POSITION = "100"
"""The queue position lint puts in `operator.queued`: a long one."""
LANGUAGE_QUESTION = "(language question)"
BACK_SEARCH_DAYS = 366
"""`operator.after_hours` is costed with the longest "back at" date of a year."""


@dataclass(frozen=True)
class NodeSms:
    """One message in one language, as sent by SMS."""

    lang: str
    ref: str
    """The node, or the engine's situation in parentheses ("(language question)")."""
    key: str
    """The text it says; with a notice joined: "text + notice"."""
    body: str
    """The whole SMS before paging."""
    pages: tuple[str, ...]
    """What is sent: the first page, then one per MORE."""
    options: int
    """How many numbered options it lists."""
    pos: Pos
    """Where an editor shortens it: the entry's `sms:` if it has one, else its text."""

    @property
    def cost(self) -> SmsCost:
        return sms_cost(self.body)

    @property
    def options_fall_off(self) -> bool:
        """Paging moves the options away from the text that asks for them (and the user pays
        for MORE before they can answer)."""
        return self.options > 0 and len(self.pages) > 1


def node_sms(
    bundle: Bundle,
    texts: Texts,
    max_segments: int = 3,
    hours: Hours | None = None,
    back_at: Mapping[str, str] | None = None,
) -> Iterator[NodeSms]:
    """Every SMS a user can get, cut into pages of `max_segments`. `back_at`: the "back at"
    date per language in the after-hours notice (default: the longest of a year by `hours`)."""
    shaper = _Shaper(bundle, texts, max_segments)
    backs = dict(back_at or {})
    if any(lang not in backs for lang in LANGUAGES):
        backs = {**_longest_back(hours or Hours(HotlineSettings())), **backs}
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            for key in sorted(set(node.say.values())):
                for lang in LANGUAGES:
                    if key not in bundle.texts.get(lang, {}):
                        continue  # reported as an unknown content key
                    message = _message(bundle, texts, node, lang, key)
                    yield shaper.sms(lang, node.ref, key, [message])
                    if node.handover:
                        for notice in _notices(texts, lang, backs[lang]):
                            assert notice.key is not None
                            both = joined([message], [notice])
                            yield shaper.sms(lang, node.ref, f"{key} + {notice.key}", both)
    yield from shaper.situations()


def _message(bundle: Bundle, texts: Texts, node: Node, lang: str, key: str) -> Outgoing:
    came_from_menu = node.flow != MENU_FLOW and MENU_FLOW in bundle.flows
    state = State(lang=lang, node=node.ref, history=[bundle.menu_ref] if came_from_menu else [])
    return Outgoing(
        text=texts.render(lang, key),
        options=node_options(bundle, texts, state).options,
        sms_text=texts.render(lang, key, sms=True),
    )


def _notices(texts: Texts, lang: str, back_at: str) -> list[Outgoing]:
    """What the operator queue joins to a request for a human (as `HandoverSink` words it)."""
    out = []
    for key, extra in (
        ("operator.queued", {"position": QUEUE_POSITION}),
        ("operator.after_hours", {"back_at": back_at}),
    ):
        text = texts.render(lang, key, extra=extra)
        sms = texts.render(lang, key, sms=True, extra=extra)
        out.append(Outgoing(text, sms_text=sms, key=key))
    return out


def _longest_back(hours: Hours) -> dict[str, str]:
    start = dt.datetime.now(dt.UTC)
    openings = {hours.next_opening(start + dt.timedelta(days=d)) for d in range(BACK_SEARCH_DAYS)}
    found = sorted(o for o in openings if o is not None)
    return {
        lang: max((hours.format_back(o, lang) for o in found), key=len, default="-")
        for lang in LANGUAGES
    }


class _Shaper:
    """Messages as the SMS channel sends them, and what the engine says by itself."""

    def __init__(self, bundle: Bundle, texts: Texts, max_segments: int) -> None:
        self.bundle = bundle
        self.texts = texts
        self.max_segments = max_segments
        self.engine = Engine(bundle, texts)  # understands nothing: "not understood" is reached

    def sms(self, lang: str, ref: str, key: str, messages: list[Outgoing]) -> NodeSms:
        body = "\n".join(render_sms(m) for m in messages)
        pages = sms_pages(messages, self.texts, lang, self.max_segments)
        entry = self.bundle.texts[lang].get(key.split(" + ", 1)[0])
        pos = (entry.sms_pos or entry.pos) if entry is not None else Pos(f"content/{lang}/")
        options = sum(len(numbered_options(m, separator=" ")) for m in messages)
        return NodeSms(lang, ref, key, body, tuple(pages), options, pos)

    def situations(self) -> Iterator[NodeSms]:
        if MENU_FLOW not in self.bundle.flows:
            return
        engine, menu = self.engine, self.bundle.menu_ref
        question = engine.greeting(State()).messages
        yield self.sms(DEFAULT_LANGUAGE, LANGUAGE_QUESTION, "common.language.prompt", question)
        for lang in LANGUAGES:
            if lang not in self.bundle.texts:
                continue
            at_menu = State(lang=lang, node=menu)
            said = {
                "common.welcome": engine.start(State(), lang=lang),
                "common.not_understood": engine.handle(at_menu, Incoming("qwzx vbnm")),
                "common.unsupported": engine.handle(at_menu, Incoming()),
                "common.suggest": self._suggest(lang),
                "operator.closed": engine.release(at_menu, "operator.closed"),
                "operator.handed_back": engine.release(at_menu, "operator.handed_back"),
                "sms.started": self._restarted(lang),
                "sms.no_more": self._no_more(lang),
            }
            for key, result in said.items():
                if key in self.bundle.texts[lang] and result.messages:
                    situation = f"({key.split('.')[-1].replace('_', ' ')})"
                    yield self.sms(lang, situation, key, result.messages)

    def _restarted(self, lang: str) -> Result:
        """START after STOP: the SMS channel's welcome back before the menu (`SmsShaper`)."""
        result = self.engine.start(State(lang=lang, node=self.bundle.menu_ref))
        key = "sms.started"
        started = Outgoing(self.texts.render(lang, key), key=key)
        return Result(result.state, [started, *result.messages])

    def _no_more(self, lang: str) -> Result:
        """MORE with nothing left: `sms.no_more` with the options of the place the user is at
        (`SmsShaper`); costed where those options are longest."""
        key = "sms.no_more"
        text, sms = self.texts.render(lang, key), self.texts.render(lang, key, sms=True)
        said = []
        for flow in self.bundle.flows.values():
            for node in flow.nodes.values():
                history = [self.bundle.menu_ref] if node.flow != MENU_FLOW else []
                state = State(lang=lang, node=node.ref, history=history)
                options = node_options(self.bundle, self.texts, state).options
                said.append(Outgoing(text, options, sms_text=sms, key=key))
        longest = max(said, key=lambda m: sms_cost(render_sms(m)).units)
        return Result(State(lang=lang), [longest])

    def _suggest(self, lang: str) -> Result:
        """Topics suggested for a question: the three with the longest labels."""
        topics = [t for t in TOPICS if t in self.bundle.flows]
        labels = {t: self.texts.render(lang, f"common.topic.{t}", sms=True) for t in topics}
        longest = sorted(topics, key=lambda t: -len(labels[t]))[:3]
        state = State(lang=lang, node=SUGGEST_NODE, suggestions=longest)
        key = "common.suggest"
        options = node_options(self.bundle, self.texts, state).options
        text, sms = self.texts.render(lang, key), self.texts.render(lang, key, sms=True)
        return Result(state, [Outgoing(text, options, sms_text=sms, key=key)])


def sms_report(bundle: Bundle, texts: Texts, max_segments: int = 3) -> list[str]:
    """A table of every SMS's cost in every language, the most expensive first."""
    rows = sorted(
        node_sms(bundle, texts, max_segments),
        key=lambda r: (-r.cost.segments, -r.cost.units, r.ref, r.lang),
    )
    lines = [f"{'segments':>8}  {'encoding':<8}  {'units':>5}  {'pages':>5}  lang  node (text)"]
    for r in rows:
        cost = f"{r.cost.segments:>8}  {r.cost.encoding:<8}  {r.cost.units:>5}  {len(r.pages):>5}"
        lines.append(f"{cost}  {r.lang:<4}  {r.ref} ({r.key})")
    return lines
