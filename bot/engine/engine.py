"""The conversation engine: (state, incoming) -> (new state, outgoing messages, events).

Pure: no I/O, no clock, no channel. Everything it says comes from the bundle's flows and texts.
The order in which a typed message is read: commands, an option by number or exact label, danger
signs, a free-text answer the current node asked for, an option despite typos, then free-text
understanding of a topic; what is left is 'not understood'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot import LANGUAGES
from bot.engine.commands import CommandWords, variants
from bot.engine.messages import (
    AUTHOR_OPERATOR,
    Event,
    ForgetRequested,
    HandoverResumed,
    Incoming,
    LanguageChosen,
    MatchUnsure,
    NotUnderstood,
    OperatorRequested,
    OptionOut,
    Outgoing,
    SurveyAnswered,
    SurveyOffered,
    ToOperator,
    TopicReached,
)
from bot.engine.model import OPERATOR_FLOW, SURVEY_FLOW, Bundle, Node
from bot.engine.options import Action, OptionSet, node_options
from bot.engine.state import (
    ANSWERS_LIMIT,
    HISTORY_LIMIT,
    LANGUAGE_NODE,
    SUGGEST_NODE,
    VAR_LIMIT,
    State,
)
from bot.engine.texts import Texts
from bot.engine.understanding import NoUnderstanding, Understanding

TEXT_LIMIT = 2000
"""Longer messages are read only this far: enough for any question, cheap to match."""
BRANCH_HOPS = 20
MENU_CHOICE = "nav:menu"
LIVE_COMMANDS = frozenset({"menu", "forget"})
"""What a user can still ask of the bot while talking to a human: everything else is theirs."""
SURVEY_DUE = "survey_due"
"""A mark the service sets to "yes" when this conversation has not been offered the survey this
month; the engine sets it to "no" when it offers."""
WITHDRAWN = "operator.withdrawn"
"""Said before anything else when the user's own choice ended their request for a human."""
NOTED = "operator.noted"
"""Said once per request, to the first message a waiting user writes."""
STILL_WAITING = "operator.still_waiting"
TAKEN = "operator.taken"
SIGNATURE, SIGNED = "operator.signature", "operator.signed"
OPTION_SETS = 5000
"""Button sets remembered at most (places × languages, plus lists of suggested topics)."""


@dataclass
class Result:
    state: State
    messages: list[Outgoing] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    finish: Callable[[Result], list[Outgoing]] | None = field(default=None, repr=False)
    """What a channel still does to the messages once the turn is complete, after the service
    has joined its notices to them (SMS: paging, so a notice is paged with the text it joins);
    it may update `state`. Applied once by `bot.conversation.finished`."""


class Engine:
    def __init__(
        self, bundle: Bundle, texts: Texts, understanding: Understanding | None = None
    ) -> None:
        self.bundle = bundle
        self.texts = texts
        self.understanding: Understanding = understanding or NoUnderstanding()
        self.commands = CommandWords(bundle)
        self._options: dict[tuple[object, ...], OptionSet] = {}
        """The buttons of each place, once built (content is fixed for an engine's life)."""

    def options(self, st: State) -> OptionSet:
        """The buttons at `st`'s place: `node_options`, remembered by what it depends on."""
        key = (st.node, st.lang, bool(st.history), tuple(st.suggestions))
        found = self._options.get(key)
        if found is None:
            if len(self._options) >= OPTION_SETS:  # odd suggestion lists: start over
                self._options.clear()
            found = self._options[key] = node_options(self.bundle, self.texts, st)
        return found

    def new_state(self, lang: str | None = None, source: str | None = None) -> State:
        """A first contact; with `lang` the language question is skipped."""
        return State(lang=lang if lang in LANGUAGES else None, source=source)

    def handle(self, state: State, incoming: Incoming) -> Result:
        turn = _Turn(self, state.copy())
        turn.handle(incoming)
        turn.say_withdrawn()
        return Result(turn.st, turn.out, turn.events)

    def greeting(self, state: State) -> Result:
        """What a conversation opens with: the language question, or the menu."""
        turn = _Turn(self, state.copy())
        turn.show_current()
        return Result(turn.st, turn.out, turn.events)

    def start(
        self, state: State, *, lang: str | None = None, lang_hint: str | None = None
    ) -> Result:
        """A (re)start, as Telegram's /start: `lang` (from a deep link) switches to that language;
        a new user's `lang_hint` (the app's language) preselects it while the other languages stay
        one tap away; anyone else gets the main menu. Coming back never withdraws a request for
        a human: a user who is waiting (or talking to one) is told so, and keeps their place."""
        turn = _Turn(self, state.copy())
        if turn.st.handover and turn.st.lang is not None:
            turn.resume(lang if lang in LANGUAGES else None)
        elif lang in LANGUAGES:
            turn.choose_language(lang)
        elif turn.st.lang is None and lang_hint in LANGUAGES:
            turn.choose_language(lang_hint, offer_others=True)
        elif turn.st.lang is None:
            turn.ask_language()
        else:
            turn.menu()
        return Result(turn.st, turn.out, turn.events)

    def release(self, state: State, notice_key: str) -> Result:
        """The operator ended the handover (closed it or handed it back): the bot says so and
        shows the menu; from now on it answers again."""
        turn = _Turn(self, state.copy())
        lang = turn.st.lang or "ru"
        turn.menu()
        menu = turn.out[-1]
        notice = self.texts.render(lang, notice_key)
        sms_notice = self.texts.render(lang, notice_key, sms=True)
        turn.out[-1] = Outgoing(
            f"{notice}\n\n{menu.text}",
            menu.options,
            sms_text=f"{sms_notice}\n{menu.sms_text or menu.text}",
            key=notice_key,
        )
        return Result(turn.st, turn.out, turn.events)

    def from_operator(self, state: State, text: str, *, name: str | None = None) -> Outgoing:
        """An operator's words as a message to the user, signed ("Operator", or "Operator
        `name`" with the display name the operator chose), with a button back to the menu (a
        button only: a number typed in SMS is an answer to the operator). The SMS text carries
        the signature; other channels show `signature` their own way."""
        lang = state.lang or "ru"
        if name:
            signature = self.texts.render(lang, SIGNED, extra={"name": name})
        else:
            signature = self.texts.render(lang, SIGNATURE)
        return Outgoing(
            text,
            self.menu_button(state),
            sms_text=f"{signature}: {text}",
            author=AUTHOR_OPERATOR,
            signature=signature,
        )

    def menu_button(self, state: State) -> tuple[OptionOut, ...]:
        """The one button of a conversation a human has: back to the menu."""
        label = self.texts.render(state.lang or "ru", "common.nav.menu")
        return (OptionOut(MENU_CHOICE, label, -1),)


class _Turn:
    """One incoming message being handled: collects the new state, messages and events."""

    def __init__(self, engine: Engine, st: State) -> None:
        self.e = engine
        self.b = engine.bundle
        self.st = st
        self.out: list[Outgoing] = []
        self.events: list[Event] = []
        self.withdrawn: str | None = None
        """The language to say it in, when the user's choice ended their request for a human
        during this turn."""
        if st.node and not st.node.startswith("@") and self.b.node(st.node) is None:
            st.node, st.history = None, []  # content changed under a conversation: start over
        if st.lang is not None and st.node is None:
            st.node = self.b.menu_ref

    # --- reading the input -------------------------------------------------------------------
    def handle(self, inc: Incoming) -> None:
        if self.st.lang is None:
            self._choose_language(inc)
        elif self.st.handover and self.st.live:
            self._live(inc)
        elif inc.choice is not None:
            self._choice(inc.choice)
        elif inc.text is None or not inc.text.strip():
            self.say("common.unsupported", self.current_options())
        else:
            self._text(inc.text[:TEXT_LIMIT])

    def _live(self, inc: Incoming) -> None:
        """A human has the conversation: the bot keeps quiet and passes everything on, except
        the way back to the menu, a language switch and 'forget me'."""
        if inc.choice is not None:
            if inc.choice == MENU_CHOICE:
                self.act(Action("menu"))
            elif inc.choice.startswith("lang:") and inc.choice[5:] in LANGUAGES:
                self.choose_language(inc.choice[5:])
            return  # an old button: pressing it is not a message for the operator
        text = inc.text[:TEXT_LIMIT] if inc.text and inc.text.strip() else None
        if text is not None:
            command = self.e.commands.find(text)
            if command in LIVE_COMMANDS:
                self.act(Action(command))
                return
            if self.e.understanding.understand(text, self.st.lang or "ru").danger:
                self.st.urgent = True
                self.events.append(OperatorRequested(urgent=True, reason="danger"))
        self.events.append(ToOperator(text))

    def _choose_language(self, inc: Incoming) -> None:
        picked = None
        if inc.choice and inc.choice.startswith("lang:"):
            picked = inc.choice[5:]
        elif inc.text:
            picked = self._language_by_text(inc.text)
        if picked in LANGUAGES:
            self.choose_language(picked)
        else:
            self.ask_language()

    def _language_by_text(self, text: str) -> str | None:
        forms = variants(text)
        for number, lang in enumerate(LANGUAGES, start=1):
            name = self.e.texts.render(lang, "common.language.name")
            if forms & (variants(name) | {str(number), lang}):
                return lang
        return None

    def _choice(self, choice: str) -> None:
        for option, action in self.current_options().pairs:
            if option.id == choice:
                self.act(action)
                return
        if choice.startswith("lang:") and choice[5:] in LANGUAGES:
            self.choose_language(choice[5:])  # a language button offered with an earlier greeting
            return
        if choice == MENU_CHOICE:  # an earlier message's way back, pressed where none is shown
            self.act(Action("menu"))  # (the language question shows only languages)
            return
        ref, _, index = choice.rpartition(":")
        node = self.b.node(ref)
        if node is not None and index.isdecimal() and int(index) < len(node.options):
            opt = node.options[int(index)]  # a button from an older message: still honoured
            self.act(Action("goto", opt.next, dict(opt.set), dict(opt.record)))
        else:
            self.show_current()

    def _text(self, text: str) -> None:
        command = self.e.commands.find(text)
        if command is not None:
            self.act(Action(command))
            return
        if self.st.node == LANGUAGE_NODE:
            lang = self._language_by_text(text)
            if lang:
                self.choose_language(lang)
                return
        options = self.current_options()
        action = options.by_number_or_label(text)
        if action is not None:
            self.act(action)
            return
        understood = self.e.understanding.understand(text, self.st.lang or "ru")
        if understood.danger:
            self.escalate(urgent=True, reason="danger")
            self.events.append(ToOperator(text))
            return
        node = self._node()
        if node is not None and node.ask_var and node.ask_next:
            self.st.vars[node.ask_var] = text[:VAR_LIMIT]
            self.enter(node.ask_next)
            return
        if node is not None and node.handover and self.st.handover:
            self.events.append(ToOperator(text))  # for the human who will take it
            if not self.st.noted:  # once: they know it arrives, and how to leave
                self.st.noted = True
                self.say(NOTED, self.current_options())
            return
        labels = [o.label for o in options.options if o.number != 0]
        fuzzy = self.e.understanding.match_option(text, labels, self.st.lang or "ru")
        if fuzzy is not None:
            self.act(options.pairs[fuzzy[0]][1])
        elif understood.best is not None and understood.best.topic == "operator":
            self.escalate(urgent=False, reason="asked")
        elif understood.best is not None and understood.best.topic in self.b.flows:
            self.act(Action("topic", understood.best.topic))
        elif understood.candidates:
            self.events.append(MatchUnsure(text, self.st.lang))
            self.suggest([g.topic for g in understood.candidates if g.topic in self.b.flows])
        else:
            self.not_understood(text)

    # --- doing --------------------------------------------------------------------------------
    def act(self, action: Action) -> None:
        self.st.misses = 0
        kind = action.kind
        if kind == "goto" and action.target:
            self.st.vars.update(action.sets)
            self.events += [SurveyAnswered(q, a) for q, a in action.record.items()]
            self.enter(action.target)
        elif kind == "topic" and action.target:
            self.enter(self.b.flow_start(action.target))
        elif kind == "lang" and action.target:
            self.choose_language(action.target)
        elif kind == "menu" and self._survey_due():
            self.st.marks[SURVEY_DUE] = "no"
            self.events.append(SurveyOffered())
            self.enter(self.b.flow_start(SURVEY_FLOW), remember=False)
        elif kind == "menu":
            self.menu()
        elif kind == "back":
            if self.st.history:
                self.enter(self.st.history.pop(), remember=False)
            else:
                self.enter(self.b.menu_ref, remember=False)
        elif kind == "language":
            self.ask_language()
        elif kind == "operator":
            self.escalate(urgent=False, reason="asked")
        elif kind == "help":
            self.say("common.help", self.current_options())
        elif kind == "forget":
            lang = self.st.lang
            if self.st.handover:
                self.withdrawn = lang or "ru"
            self.st = State(lang=None)
            self.events.append(ForgetRequested())
            self.out.append(Outgoing(self.e.texts.render(lang or "ru", "common.forgotten")))

    def enter(self, ref: str, *, remember: bool = True) -> None:
        node = self.b.node(ref)
        hops = 0
        while node is not None and node.branch and hops < BRANCH_HOPS:
            ref, hops = node.branch_target(self.st.vars), hops + 1
            node = self.b.node(ref)
        if node is None:
            ref, node = self.b.menu_ref, self.b.node(self.b.menu_ref)
            assert node is not None
        if not node.handover:
            self.leave_handover()
        if ref == self.b.menu_ref:
            self.st.history = []  # the menu is the root: "back" never leads out of it
        elif remember and self.st.node and self.st.node != ref and not self.st.node.startswith("@"):
            self.st.history = [*self.st.history, self.st.node][-HISTORY_LIMIT:]
        self.st.node = ref
        topic = None
        if node.answer:
            topic = self.b.topic_of(ref)
            self.events.append(TopicReached(topic))
            if topic not in self.st.topics:
                self.st.topics.append(topic)
            shown = [a for a in self.st.answers if a != ref]
            self.st.answers = [*shown, ref][-ANSWERS_LIMIT:]
        if node.handover:
            self.st.handover = True
            self.st.urgent = self.st.urgent or node.urgent
            self.events.append(OperatorRequested(urgent=node.urgent, reason="flow"))
        key = node.say_key(self.st.vars)
        if key is not None:
            self.say(key, self.current_options(), topic=topic, escalate=node.handover)

    def leave_handover(self) -> None:
        """Leaving the handover node, by any way, withdraws the request for a human (the user
        is told, see `say_withdrawn`)."""
        if self.st.handover and self.withdrawn is None:
            self.withdrawn = self.st.lang or "ru"
        self.st.handover = self.st.live = self.st.urgent = self.st.noted = False

    def say_withdrawn(self) -> None:
        """When the turn withdrew a request, its first message begins by saying so."""
        lang = self.withdrawn
        if lang is None or not self.out:
            return
        first = self.out[0]
        notice = self.e.texts.render(lang, WITHDRAWN)
        sms_notice = self.e.texts.render(lang, WITHDRAWN, sms=True)
        self.out[0] = Outgoing(
            f"{notice}\n\n{first.text}",
            first.options,
            topic=first.topic,
            sms_text=f"{sms_notice}\n{first.sms_text or first.text}",
            key=first.key,
        )

    def resume(self, lang: str | None) -> None:
        """The user came back while their request is open: it stays. A link in another
        language switches the conversation's language (the request follows it)."""
        if lang is not None and lang != self.st.lang:
            self.st.lang = lang
            self.events.append(LanguageChosen(lang))
        self.events.append(HandoverResumed())
        if self.st.live:
            text = self.e.texts.render(self.st.lang or "ru", TAKEN)
            sms = self.e.texts.render(self.st.lang or "ru", TAKEN, sms=True)
            self.out.append(Outgoing(text, self.e.menu_button(self.st), sms_text=sms, key=TAKEN))
        else:
            self.say(STILL_WAITING, self.current_options(), escalate=True)

    def menu(self) -> None:
        self.enter(self.b.menu_ref, remember=False)

    def escalate(self, *, urgent: bool, reason: str) -> None:
        target = f"{OPERATOR_FLOW}.urgent" if urgent else self.b.flow_start(OPERATOR_FLOW)
        before = len(self.events)
        self.enter(target)
        for i, event in enumerate(self.events[before:], start=before):
            if isinstance(event, OperatorRequested):
                self.events[i] = OperatorRequested(urgent=urgent, reason=reason)

    def choose_language(self, lang: str, *, offer_others: bool = False) -> None:
        self.st.lang = lang
        self.events.append(LanguageChosen(lang))
        welcome = self.e.texts.render(lang, "common.welcome")
        sms_welcome = self.e.texts.render(lang, "common.welcome", sms=True)
        self.enter(self.b.menu_ref, remember=False)
        first = self.out[-1]
        options = first.options
        if offer_others:  # buttons only: typed numbers keep meaning what the menu lists
            options += tuple(
                OptionOut(f"lang:{code}", self.e.texts.render(code, "common.language.name"), -1)
                for code in LANGUAGES
                if code != lang
            )
        self.out[-1] = Outgoing(
            f"{welcome}\n\n{first.text}",
            options,
            sms_text=f"{sms_welcome}\n{first.sms_text or first.text}",
        )

    def ask_language(self) -> None:
        self.leave_handover()
        self.st.node = LANGUAGE_NODE
        options = self.current_options()
        render, key = self.e.texts.render, "common.language.prompt"
        prompt = "\n".join(render(lang, key) for lang in LANGUAGES)
        sms = "\n".join(render(lang, key, sms=True) for lang in LANGUAGES)
        self.out.append(Outgoing(prompt, options.options, sms_text=sms))

    def suggest(self, topics: Sequence[str]) -> None:
        self.leave_handover()
        self.st.node = SUGGEST_NODE
        self.st.suggestions = list(topics)[:3]
        self.say("common.suggest", self.current_options())

    def not_understood(self, text: str) -> None:
        """Once: ask again, with the menu. Twice in a row: offer a human beside the menu's
        topics; the request is made only if the user chooses it (danger signs never get here:
        they reach a human at once)."""
        self.st.misses += 1
        self.events.append(NotUnderstood(self.st.misses, text, self.st.lang))
        key = "common.not_understood"
        if self.st.misses >= 2:
            self.st.misses = 0
            key = "common.not_understood_again"
        self.st.node, self.st.history = self.b.menu_ref, []
        self.say(key, self.current_options())

    def show_current(self) -> None:
        if self.st.lang is None or self.st.node == LANGUAGE_NODE:
            self.ask_language()
        elif self.st.node is None or self.st.node == SUGGEST_NODE:
            self.enter(self.b.menu_ref, remember=False)
        else:
            self.enter(self.st.node, remember=False)

    def _survey_due(self) -> bool:
        """The questionnaire is offered on the way back to the menu after an answer, when the
        service around the engine has marked it due (it knows the month; the engine has none)."""
        return (
            SURVEY_FLOW in self.b.flows
            and bool(self.st.topics)
            and not self.st.handover
            and self.st.marks.get(SURVEY_DUE) == "yes"
        )

    # --- saying -------------------------------------------------------------------------------
    def _node(self) -> Node | None:
        return self.b.node(self.st.node) if self.st.node else None

    def current_options(self) -> OptionSet:
        return self.e.options(self.st)

    def say(
        self, key: str, options: OptionSet, *, topic: str | None = None, escalate: bool = False
    ) -> None:
        lang = self.st.lang or "ru"
        self.out.append(
            Outgoing(
                text=self.e.texts.render(lang, key),
                options=options.options,
                topic=topic,
                escalate=escalate,
                sms_text=self.e.texts.render(lang, key, sms=True),
                key=key,
            )
        )


__all__ = ["Engine", "Incoming", "OptionOut", "Outgoing", "Result"]
