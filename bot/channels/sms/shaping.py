"""What SMS adds around the engine, as a pure step wrapper: the opt-out words (STOP, START, HELP
and their translations), and paging, so a long answer costs only its first page until the user
asks for MORE. A stopped number gets nothing until it writes START.

The words are the `stop`, `start`, `more` and `help` lists of every language's commands.yaml.
Twilio's Advanced Opt-Out may recognise a stop, start or help word of its own (OptOutType, the
`opt_out` of the update): it counts the same, except that on a stop Twilio has already confirmed
and blocks what follows, so nothing is sent. A stop is counted (`OptedOut`) when it stops.
MORE with nothing left to send says so (`sms.no_more`) and shows the options again.
The pages still to send wait in the conversation's `State.pages` (the bot's own text, never the
user's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from bot import DEFAULT_LANGUAGE
from bot.channels.rendering import render_sms
from bot.channels.sms.paging import paginate
from bot.conversation import Step
from bot.delivery.inbound import Body
from bot.engine.commands import variants
from bot.engine.engine import Engine, Result
from bot.engine.environment import Environment
from bot.engine.messages import Event, OptedOut, Outgoing
from bot.engine.model import Bundle
from bot.engine.state import OPTED_OUT, State
from bot.engine.texts import Texts

STOPPED = OPTED_OUT
STORED_PAGES = "sms:more"
"""The mark that held the pages still to send as JSON text, in states stored before
`State.pages`: read once (`take_stored_pages`), then gone."""
WORDS = ("stop", "start", "more", "help")


def take_stored_pages(state: State) -> None:
    """Move pages kept in the older form, a JSON list in `STORED_PAGES`, into `state.pages`."""
    stored = state.marks.pop(STORED_PAGES, None)
    if stored is not None and not state.pages:
        pages = json.loads(stored)
        state.pages = [page for page in pages if isinstance(page, str)]


class SmsWords:
    def __init__(self, bundle: Bundle) -> None:
        self._words: dict[str, str] = {}
        for lang in bundle.lexicons:
            commands = bundle.lexicon(lang, "commands")
            for name in WORDS:
                for word in commands.get(name, []):
                    for form in variants(word):
                        self._words.setdefault(form, name)

    def find(self, text: str | None) -> str | None:
        if not text:
            return None
        for form in variants(text.strip().rstrip(".!")):
            if form in self._words:
                return self._words[form]
        return None


class SmsShaper:
    def __init__(self, engine: Callable[[], Engine], max_segments: int) -> None:
        self.engine = engine
        self.max_segments = max_segments
        self._words: tuple[Bundle, SmsWords] | None = None

    def words(self, bundle: Bundle) -> SmsWords:
        if self._words is None or self._words[0] is not bundle:  # content was reloaded
            self._words = (bundle, SmsWords(bundle))
        return self._words[1]

    def __call__(self, inner: Step, body: Body) -> Step:
        engine = self.engine()
        told = body.opt_out
        word = told if told in WORDS else self.words(engine.bundle).find(body.text)

        def step(state: State, env: Environment) -> Result:
            st = state.copy()
            take_stored_pages(st)
            lang = st.lang or DEFAULT_LANGUAGE
            say = engine.texts.render
            if word == "stop":
                counted: list[Event] = [] if st.marks.get(STOPPED) else [OptedOut()]
                st.marks[STOPPED] = "yes"
                st.pages = []
                confirm = [] if told == "stop" else [Outgoing(say(lang, "sms.stopped"))]
                return Result(st, confirm, counted)
            if word == "start":
                was_stopped = st.marks.pop(STOPPED, None) is not None
                result = engine.start(st, env=env)
                if was_stopped:
                    result.messages.insert(0, Outgoing(say(lang, "sms.started")))
                return self.paged(result, engine)
            if st.marks.get(STOPPED):
                return Result(st, [])  # opted out: silence until START
            if word == "help":
                return Result(st, [Outgoing(say(lang, "sms.help"))])
            if word == "more" and st.pages:
                pages, st.pages = st.pages, []
                return self.paged(Result(st, []), engine, pending=pages)
            if word == "more" and st.lang and not st.handover:
                # nothing left: say so with the options again, rather than "not understood"
                # (twice of which would hand the user to a human for asking to read on)
                options = engine.options(st).options
                text, sms = say(lang, "sms.no_more"), say(lang, "sms.no_more", sms=True)
                return self.paged(Result(st, [Outgoing(text, options, sms_text=sms)]), engine)
            return self.paged(inner(state, env), engine)

        return step

    def paged(self, result: Result, engine: Engine, pending: list[str] | None = None) -> Result:
        """`result` to be sent as one SMS for the whole turn, cut into pages within the budget:
        the first is sent, the rest wait for MORE. The cutting is left to the service
        (`Result.finish`), so that a notice it joins (a queue position, the hours) is paged with
        the text and the options stay last."""

        def finish(done: Result) -> list[Outgoing]:
            st = done.state
            st.marks.pop(STORED_PAGES, None)  # the engine stepped the state as it was stored
            pages = pending or sms_pages(done.messages, engine.texts, st.lang, self.max_segments)
            st.pages = pages[1:]
            if not pages:
                return []
            return [Outgoing(pages[0], sms_text=pages[0])]

        result.finish = finish
        return result


def sms_pages(
    messages: Sequence[Outgoing], texts: Texts, lang: str | None, max_segments: int
) -> list[str]:
    """The pages of one turn's messages as one SMS (`[]` when there is nothing to say): every
    page within `max_segments`, each but the last ending with the MORE hint, the numbered
    options last. What the SMS channel sends, and what lint costs."""
    if not messages:
        return []
    body = "\n".join(render_sms(m) for m in messages)
    hint = texts.render(lang or DEFAULT_LANGUAGE, "sms.more_hint", sms=True)
    return paginate(body, max_segments, hint)
