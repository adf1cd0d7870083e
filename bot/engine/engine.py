"""The conversation engine: (state, incoming) -> (new state, outgoing messages, events).

Pure: no I/O, no clock, no channel. Everything it says comes from the bundle's flows and texts;
the time of a turn, when it matters, comes as an input (`Environment`).
The order in which a typed message is read: commands, an option by number or exact label, danger
signs, a free-text answer the current node asked for, an option despite typos, then free-text
understanding of a topic; what is left is 'not understood'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from bot import DEFAULT_LANGUAGE, LANGUAGES
from bot.engine.acts import Act
from bot.engine.commands import CommandWords, variants
from bot.engine.environment import Environment
from bot.engine.language_guess import LanguageGuess
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
from bot.engine.model import OPERATOR_FLOW, SURVEY_FLOW, Bundle, Node, Option
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
from bot.engine.translit import words
from bot.engine.understanding import NoUnderstanding, Understanding

TEXT_LIMIT = 2000
FACT_PREFIX = 5
"""Letters a typed word and an option's label word must start with alike to name it (spelling
skeletons: "Таджикистана", "таджик" and "Tojikiston" all start "tajik"/"tojik"...)."""
"""Longer messages are read only this far: enough for any question, cheap to match."""
BRANCH_HOPS = 20
MENU_CHOICE = "nav:menu"
LIVE_COMMANDS = frozenset({Act.MENU, Act.FORGET})
"""What a user can still ask of the bot while talking to a human: everything else is theirs."""
SURVEY_MONTH = "survey_month"
"""The mark of the month (YYYY-MM) the questionnaire was last offered in: once a month."""
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
        self,
        bundle: Bundle,
        texts: Texts,
        understanding: Understanding | None = None,
        answers: Understanding | None = None,
    ) -> None:
        """`answers` maps free text to answer nodes (`content/<lang>/answers.yaml`): a question
        whose topic is understood opens that topic's answer it names, not the topic's start."""
        self.bundle = bundle
        self.texts = texts
        self.understanding: Understanding = understanding or NoUnderstanding()
        self.answers: Understanding = answers or NoUnderstanding()
        self.commands = CommandWords(bundle)
        self._options: dict[tuple[object, ...], OptionSet] = {}
        self._named: dict[tuple[str, str], str | None] = {}
        """The answer node each (text, language) names, remembered: people repeat themselves."""
        """The buttons of each place, once built (content is fixed for an engine's life)."""

    @cached_property
    def language_guess(self) -> LanguageGuess:
        """Tells a message's language from the words of this content (built on first use)."""
        return LanguageGuess.from_bundle(self.bundle)

    def answer_named(self, text: str, lang: str) -> str | None:
        """The answer node `text` names by the words of answers.yaml (remembered per text)."""
        key = (text, lang)
        if key not in self._named:
            if len(self._named) >= OPTION_SETS:
                self._named.clear()
            best = self.answers.understand(text, lang).best
            self._named[key] = best.topic if best is not None else None
        return self._named[key]

    def options(self, state: State) -> OptionSet:
        """The buttons at `state`'s place: `node_options`, remembered by what it depends on."""
        key = (state.node, state.lang, bool(state.history), tuple(state.suggestions))
        found = self._options.get(key)
        if found is None:
            if len(self._options) >= OPTION_SETS:  # odd suggestion lists: start over
                self._options.clear()
            found = self._options[key] = node_options(self.bundle, self.texts, state)
        return found

    def new_state(self, lang: str | None = None, source: str | None = None) -> State:
        """A first contact; with `lang` the language question is skipped."""
        return State(lang=lang if lang in LANGUAGES else None, source=source)

    def handle(self, state: State, incoming: Incoming, env: Environment | None = None) -> Result:
        """A message from the user. Without `env` nothing that depends on time happens (the
        questionnaire is not offered)."""
        turn = _Turn(self, state.copy(), env)
        turn.handle(incoming)
        turn.say_withdrawn()
        return Result(turn.state, turn.out, turn.events)

    def greeting(self, state: State, env: Environment | None = None) -> Result:
        """What a conversation opens with: the language question, or the menu."""
        turn = _Turn(self, state.copy(), env)
        turn.show_current()
        return Result(turn.state, turn.out, turn.events)

    def start(
        self,
        state: State,
        *,
        lang: str | None = None,
        lang_hint: str | None = None,
        env: Environment | None = None,
    ) -> Result:
        """A (re)start, as Telegram's /start: `lang` (from a deep link) switches to that language;
        a new user's `lang_hint` (the app's language) preselects it while the other languages stay
        one tap away; anyone else gets the main menu. Coming back never withdraws a request for
        a human: a user who is waiting (or talking to one) is told so, and keeps their place."""
        turn = _Turn(self, state.copy(), env)
        if turn.state.handover and turn.state.lang is not None:
            turn.resume(lang if lang in LANGUAGES else None)
        elif lang in LANGUAGES:
            turn.choose_language(lang)
        elif turn.state.lang is None and lang_hint in LANGUAGES:
            turn.choose_language(lang_hint, offer_others=True)
        elif turn.state.lang is None:
            turn.ask_language()
        else:
            turn.menu()
        return Result(turn.state, turn.out, turn.events)

    def release(self, state: State, notice_key: str) -> Result:
        """The operator ended the handover (closed it or handed it back): the bot says so and
        shows the menu; from now on it answers again."""
        turn = _Turn(self, state.copy())
        lang = turn.state.lang or DEFAULT_LANGUAGE
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
        return Result(turn.state, turn.out, turn.events)

    def from_operator(self, state: State, text: str, *, name: str | None = None) -> Outgoing:
        """An operator's words as a message to the user, signed ("Operator", or "Operator
        `name`" with the display name the operator chose), with a button back to the menu (a
        button only: a number typed in SMS is an answer to the operator). The SMS text carries
        the signature; other channels show `signature` their own way."""
        lang = state.lang or DEFAULT_LANGUAGE
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
        label = self.texts.render(state.lang or DEFAULT_LANGUAGE, "common.nav.menu")
        return (OptionOut(MENU_CHOICE, label, -1),)


class _Turn:
    """One incoming message being handled: collects the new state, messages and events."""

    def __init__(self, engine: Engine, state: State, env: Environment | None = None) -> None:
        self.env = env
        self.engine = engine
        self.bundle = engine.bundle
        self.state = state
        self.out: list[Outgoing] = []
        self.events: list[Event] = []
        self.withdrawn: str | None = None
        """The language to say it in, when the user's choice ended their request for a human
        during this turn."""
        gone = (
            state.node and not state.node.startswith("@") and self.bundle.node(state.node) is None
        )
        if gone:  # content changed under a conversation: start over
            state.node, state.history = None, []
        if state.lang is not None and state.node is None:
            state.node = self.bundle.menu_ref

    # --- reading the input -------------------------------------------------------------------
    def handle(self, incoming: Incoming) -> None:
        if self.state.lang is None:
            self._choose_language(incoming)
        elif self.state.handover and self.state.live:
            self._live(incoming)
        elif incoming.choice is not None:
            self._choice(incoming.choice)
        elif incoming.text is None or not incoming.text.strip():
            self.say("common.unsupported", self.current_options())
        else:
            self._text(incoming.text[:TEXT_LIMIT])

    def _live(self, incoming: Incoming) -> None:
        """A human has the conversation: the bot keeps quiet and passes everything on, except
        the way back to the menu, a language switch and 'forget me'."""
        if incoming.choice is not None:
            if incoming.choice == MENU_CHOICE:
                self.act(Action(Act.MENU))
            elif incoming.choice.startswith("lang:") and incoming.choice[5:] in LANGUAGES:
                self.choose_language(incoming.choice[5:])
            return  # an old button: pressing it is not a message for the operator
        text = incoming.text[:TEXT_LIMIT] if incoming.text and incoming.text.strip() else None
        if text is not None:
            command = self.engine.commands.find(text)
            if command in LIVE_COMMANDS:
                self.act(Action(command))
                return
            if self.engine.understanding.understand(
                text, self.state.lang or DEFAULT_LANGUAGE
            ).danger:
                self.state.urgent = True
                self.events.append(OperatorRequested(urgent=True, reason="danger"))
        self.events.append(ToOperator(text))

    def _choose_language(self, incoming: Incoming) -> None:
        """A conversation without a language. A new user's first message is often their
        question: when its language can be told from it (`language_guess.py`), it is answered
        in that language at once, the other languages one tap away; when not, the language is
        asked and the question kept, to be answered once they choose."""
        picked = None
        if incoming.choice and incoming.choice.startswith("lang:"):
            picked = incoming.choice[5:]
        elif incoming.text and incoming.text.strip():
            text = incoming.text[:TEXT_LIMIT]
            picked = self._language_by_text(text)
            if picked is None:
                told = self.engine.language_guess(text)
                if told is not None and self._answerable(text, told):
                    self._answer_first(told, text, offer_others=True)
                    return
                if told is not None:
                    self.choose_language(told, offer_others=True)
                    return
                self.state.question = text[:VAR_LIMIT]  # the latest is the one to answer
        question, self.state.question = self.state.question, None
        if picked not in LANGUAGES:
            self.state.question = question
            self.ask_language()
        elif question is not None and self._answerable(question, picked):
            self._answer_first(picked, question, offer_others=False)
        else:
            self.choose_language(picked)

    def _answerable(self, text: str, lang: str) -> bool:
        """Whether a first message asks something the bot can act on in `lang` (a greeting
        alone is not: it gets the welcome and the menu)."""
        command = self.engine.commands.find(text)
        if command is not None:
            return command in (Act.OPERATOR, Act.HELP)  # not 'forget me' before anything
        understood = self.engine.understanding.understand(text, lang)
        return understood.danger or understood.best is not None or bool(understood.candidates)

    def _answer_first(self, lang: str, text: str, *, offer_others: bool) -> None:
        """Answer a first message in `lang`: the welcome joined to the answer."""
        self.state.lang = lang
        self.events.append(LanguageChosen(lang))
        if self.state.node == LANGUAGE_NODE:  # answered from the menu, not the language list
            self.state.node = self.bundle.menu_ref
        before = len(self.out)
        self._text(text)
        if len(self.out) == before:
            self.menu()
        first = self.out[before]
        welcome = self.engine.texts.render(lang, "common.welcome")
        sms_welcome = self.engine.texts.render(lang, "common.welcome", sms=True)
        self.out[before] = replace(
            first,
            text=f"{welcome}\n\n{first.text}",
            sms_text=f"{sms_welcome}\n{first.sms_text or first.text}",
        )
        if offer_others:
            last = self.out[-1]
            shown = {option.id for option in last.options}
            others = tuple(o for o in self._other_languages(lang) if o.id not in shown)
            self.out[-1] = replace(last, options=last.options + others)

    def _other_languages(self, lang: str) -> tuple[OptionOut, ...]:
        """Buttons to switch to the languages other than `lang` (unnumbered: typed numbers
        keep meaning what the message lists)."""
        name = "common.language.name"
        return tuple(
            OptionOut(f"lang:{code}", self.engine.texts.render(code, name), -1)
            for code in LANGUAGES
            if code != lang
        )

    def _language_by_text(self, text: str) -> str | None:
        forms = variants(text)
        for number, lang in enumerate(LANGUAGES, start=1):
            name = self.engine.texts.render(lang, "common.language.name")
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
            self.act(Action(Act.MENU))  # (the language question shows only languages)
            return
        ref, _, index = choice.rpartition(":")
        node = self.bundle.node(ref)
        if node is not None and index.isdecimal() and int(index) < len(node.options):
            older = node.options[int(index)]  # a button from an older message: still honoured
            self.act(Action(Act.GOTO, older.next, dict(older.set), dict(older.record)))
        else:
            self.show_current()

    def _text(self, text: str) -> None:
        command = self.engine.commands.find(text)
        if command is not None:
            self.act(Action(command))
            return
        if self.state.node == LANGUAGE_NODE:
            lang = self._language_by_text(text)
            if lang:
                self.choose_language(lang)
                return
        options = self.current_options()
        action = options.by_number_or_label(text)
        if action is not None:
            self.act(action)
            return
        understood = self.engine.understanding.understand(text, self.state.lang or DEFAULT_LANGUAGE)
        if understood.danger:
            self.escalate(urgent=True, reason="danger")
            self.events.append(ToOperator(text))
            return
        node = self._node()
        if node is not None and node.ask_var and node.ask_next:
            self.state.vars[node.ask_var] = text[:VAR_LIMIT]
            self.enter(node.ask_next)
            return
        if node is not None and node.handover and self.state.handover:
            self.events.append(ToOperator(text))  # for the human who will take it
            if not self.state.noted:  # once: they know it arrives, and how to leave
                self.state.noted = True
                self.say(NOTED, self.current_options())
            return
        labels = [o.label for o in options.options if o.number != 0]
        fuzzy = self.engine.understanding.match_option(
            text, labels, self.state.lang or DEFAULT_LANGUAGE
        )
        if fuzzy is not None:
            self.act(options.pairs[fuzzy[0]][1])
        elif understood.best is not None and understood.best.topic == "operator":
            self.escalate(urgent=False, reason="asked")
        elif understood.best is not None and understood.best.topic in self.bundle.flows:
            self._note_facts(text, understood.best.topic)
            answer = self._answer_named(text, understood.best.topic)
            if answer is not None:
                self.act(Action(Act.GOTO, answer))
            else:
                self.act(Action(Act.TOPIC, understood.best.topic))
        elif understood.candidates:
            self.events.append(MatchUnsure(text, self.state.lang))
            self.suggest([g.topic for g in understood.candidates if g.topic in self.bundle.flows])
        else:
            self.not_understood(text)

    # --- doing --------------------------------------------------------------------------------
    def act(self, action: Action) -> None:
        self.state.misses = 0
        ACTS[action.kind](self, action)

    def _goto(self, action: Action) -> None:
        if action.target:
            self.state.vars.update(action.sets)
            self.events += [SurveyAnswered(q, a) for q, a in action.record.items()]
            self.enter(action.target)

    def _topic(self, action: Action) -> None:
        if action.target:
            self.enter(self.bundle.flow_start(action.target))

    def _lang(self, action: Action) -> None:
        if action.target:
            self.choose_language(action.target)

    def _menu(self, action: Action) -> None:
        if self.env is not None and self._survey_due(self.env):
            self.state.marks[SURVEY_MONTH] = self.env.month
            self.events.append(SurveyOffered())
            self.enter(self.bundle.flow_start(SURVEY_FLOW), remember=False)
        else:
            self.menu()

    def _back(self, action: Action) -> None:
        if self.state.history:
            self.enter(self.state.history.pop(), remember=False)
        else:
            self.enter(self.bundle.menu_ref, remember=False)

    def _language(self, action: Action) -> None:
        self.ask_language()

    def _operator(self, action: Action) -> None:
        self.escalate(urgent=False, reason="asked")

    def _help(self, action: Action) -> None:
        self.say("common.help", self.current_options())

    def _forget(self, action: Action) -> None:
        lang = self.state.lang
        if self.state.handover:
            self.withdrawn = lang or DEFAULT_LANGUAGE
        self.state = State(lang=None)
        self.events.append(ForgetRequested())
        self.out.append(
            Outgoing(self.engine.texts.render(lang or DEFAULT_LANGUAGE, "common.forgotten"))
        )

    def enter(self, ref: str, *, remember: bool = True) -> None:
        node = self.bundle.node(ref)
        hops = 0
        while node is not None and hops < BRANCH_HOPS:
            if node.branch:
                ref = node.branch_target(self.state.vars)
            else:
                known = self.known_answer(node)
                if known is None:
                    break
                self.state.vars.update(known.set)
                ref = known.next
            node, hops = self.bundle.node(ref), hops + 1
        if node is None:
            ref, node = self.bundle.menu_ref, self.bundle.node(self.bundle.menu_ref)
            assert node is not None
        if not node.handover:
            self.leave_handover()
        if ref == self.bundle.menu_ref:
            self.state.history = []  # the menu is the root: "back" never leads out of it
        elif (
            remember
            and self.state.node
            and self.state.node != ref
            and not self.state.node.startswith("@")
        ):
            self.state.history = [*self.state.history, self.state.node][-HISTORY_LIMIT:]
        self.state.node = ref
        topic = None
        if node.answer:
            topic = self.bundle.topic_of(ref)
            self.events.append(TopicReached(topic))
            if topic not in self.state.topics:
                self.state.topics.append(topic)
            shown = [a for a in self.state.answers if a != ref]
            self.state.answers = [*shown, ref][-ANSWERS_LIMIT:]
        if node.handover:
            self.state.handover = True
            self.state.urgent = self.state.urgent or node.urgent
            self.events.append(OperatorRequested(urgent=node.urgent, reason="flow"))
        key = node.say_key(self.state.vars)
        if key is not None:
            self.say(key, self.current_options(), topic=topic, escalate=node.handover)

    def _answer_named(self, text: str, topic: str) -> str | None:
        """The answer node of `topic` that `text` asks for by its own words, if any."""
        ref = self.engine.answer_named(text, self.state.lang or DEFAULT_LANGUAGE)
        if ref is None or not ref.startswith(f"{topic}."):
            return None
        node = self.bundle.node(ref)
        return ref if node is not None and node.answer else None

    def known_answer(self, node: Node) -> Option | None:
        """The option of a question already answered: a node whose every option sets the same
        one variable (citizenship, region...) is not asked again, in any topic, once the
        conversation holds that variable (chosen, or stated: `_note_facts`)."""
        name = self._asked_variable(node)
        value = self.state.vars.get(name) if name else None
        if name is None or value is None:
            return None
        return next((o for o in node.options if o.set[name] == value), None)

    def _asked_variable(self, node: Node) -> str | None:
        """The one variable every option of a question node sets, if it is such a node."""
        if node.answer or node.handover or not node.options:
            return None
        names = {name for option in node.options for name in option.set}
        if len(names) != 1 or not all(option.set for option in node.options):
            return None
        return next(iter(names))

    def _note_facts(self, text: str, topic: str) -> None:
        """What a question opening `topic` states answers that topic's questions: a question
        node's variable is set when the text names exactly one of its options ("я из
        Таджикистана", "o'zbekman", "аз Тоҷикистон"). A label is named when one typed word
        starts like its one long word (`FACT_PREFIX` letters); labels of several words
        ("Другая страна") are never taken from text."""
        typed = [word for word in words(text) if len(word) >= FACT_PREFIX]
        if not typed:
            return
        lang = self.state.lang or DEFAULT_LANGUAGE
        for node in self.bundle.flows[topic].nodes.values():
            name = self._asked_variable(node)
            if name is None or name in self.state.vars:
                continue
            named = []
            for option in node.options:
                label = [
                    w for w in words(self.engine.texts.render(lang, option.label)) if len(w) > 2
                ]
                if len(label) == 1 and any(
                    w[:FACT_PREFIX] == label[0][:FACT_PREFIX] for w in typed
                ):
                    named.append(option)
            if len(named) == 1:
                self.state.vars.update(named[0].set)

    def leave_handover(self) -> None:
        """Leaving the handover node, by any way, withdraws the request for a human (the user
        is told, see `say_withdrawn`)."""
        if self.state.handover and self.withdrawn is None:
            self.withdrawn = self.state.lang or DEFAULT_LANGUAGE
        self.state.handover = self.state.live = self.state.urgent = self.state.noted = False

    def say_withdrawn(self) -> None:
        """When the turn withdrew a request, its first message begins by saying so."""
        lang = self.withdrawn
        if lang is None or not self.out:
            return
        first = self.out[0]
        notice = self.engine.texts.render(lang, WITHDRAWN)
        sms_notice = self.engine.texts.render(lang, WITHDRAWN, sms=True)
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
        if lang is not None and lang != self.state.lang:
            self.state.lang = lang
            self.events.append(LanguageChosen(lang))
        self.events.append(HandoverResumed())
        if self.state.live:
            text = self.engine.texts.render(self.state.lang or DEFAULT_LANGUAGE, TAKEN)
            sms = self.engine.texts.render(self.state.lang or DEFAULT_LANGUAGE, TAKEN, sms=True)
            self.out.append(
                Outgoing(text, self.engine.menu_button(self.state), sms_text=sms, key=TAKEN)
            )
        else:
            self.say(STILL_WAITING, self.current_options(), escalate=True)

    def menu(self) -> None:
        self.enter(self.bundle.menu_ref, remember=False)

    def escalate(self, *, urgent: bool, reason: str) -> None:
        target = f"{OPERATOR_FLOW}.urgent" if urgent else self.bundle.flow_start(OPERATOR_FLOW)
        before = len(self.events)
        self.enter(target)
        for i, event in enumerate(self.events[before:], start=before):
            if isinstance(event, OperatorRequested):
                self.events[i] = OperatorRequested(urgent=urgent, reason=reason)

    def choose_language(self, lang: str, *, offer_others: bool = False) -> None:
        self.state.lang = lang
        self.events.append(LanguageChosen(lang))
        welcome = self.engine.texts.render(lang, "common.welcome")
        sms_welcome = self.engine.texts.render(lang, "common.welcome", sms=True)
        self.enter(self.bundle.menu_ref, remember=False)
        first = self.out[-1]
        options = first.options
        if offer_others:
            options += self._other_languages(lang)
        self.out[-1] = Outgoing(
            f"{welcome}\n\n{first.text}",
            options,
            sms_text=f"{sms_welcome}\n{first.sms_text or first.text}",
        )

    def ask_language(self) -> None:
        self.leave_handover()
        self.state.node = LANGUAGE_NODE
        options = self.current_options()
        render, key = self.engine.texts.render, "common.language.prompt"
        prompt = "\n".join(render(lang, key) for lang in LANGUAGES)
        sms = "\n".join(render(lang, key, sms=True) for lang in LANGUAGES)
        self.out.append(Outgoing(prompt, options.options, sms_text=sms))

    def suggest(self, topics: Sequence[str]) -> None:
        self.leave_handover()
        self.state.node = SUGGEST_NODE
        self.state.suggestions = list(topics)[:3]
        self.say("common.suggest", self.current_options())

    def not_understood(self, text: str) -> None:
        """Once: ask again, with the menu. Twice in a row: offer a human beside the menu's
        topics; the request is made only if the user chooses it (danger signs never get here:
        they reach a human at once)."""
        self.state.misses += 1
        self.events.append(NotUnderstood(self.state.misses, text, self.state.lang))
        key = "common.not_understood"
        if self.state.misses >= 2:
            self.state.misses = 0
            key = "common.not_understood_again"
        self.state.node, self.state.history = self.bundle.menu_ref, []
        self.say(key, self.current_options())

    def show_current(self) -> None:
        if self.state.lang is None or self.state.node == LANGUAGE_NODE:
            self.ask_language()
        elif self.state.node is None or self.state.node == SUGGEST_NODE:
            self.enter(self.bundle.menu_ref, remember=False)
        else:
            self.enter(self.state.node, remember=False)

    def _survey_due(self, env: Environment) -> bool:
        """The questionnaire is offered on the way back to the menu after an answer, once a
        month (the month of the turn's environment)."""
        return (
            SURVEY_FLOW in self.bundle.flows
            and bool(self.state.topics)
            and not self.state.handover
            and self.state.marks.get(SURVEY_MONTH) != env.month
        )

    # --- saying -------------------------------------------------------------------------------
    def _node(self) -> Node | None:
        return self.bundle.node(self.state.node) if self.state.node else None

    def current_options(self) -> OptionSet:
        return self.engine.options(self.state)

    def say(
        self, key: str, options: OptionSet, *, topic: str | None = None, escalate: bool = False
    ) -> None:
        lang = self.state.lang or DEFAULT_LANGUAGE
        self.out.append(
            Outgoing(
                text=self.engine.texts.render(lang, key),
                options=options.options,
                topic=topic,
                escalate=escalate,
                sms_text=self.engine.texts.render(lang, key, sms=True),
                key=key,
            )
        )


ACTS: dict[Act, Callable[[_Turn, Action], None]] = {
    Act.GOTO: _Turn._goto,
    Act.TOPIC: _Turn._topic,
    Act.LANG: _Turn._lang,
    Act.MENU: _Turn._menu,
    Act.BACK: _Turn._back,
    Act.LANGUAGE: _Turn._language,
    Act.OPERATOR: _Turn._operator,
    Act.HELP: _Turn._help,
    Act.FORGET: _Turn._forget,
}
"""What each act does to a turn."""

__all__ = ["Engine", "Incoming", "OptionOut", "Outgoing", "Result"]
