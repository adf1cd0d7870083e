"""Neutral inputs and outputs of the engine: no channel knows more than these."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Incoming:
    """What a user sent: text, a pressed button (`choice`, an option id), or neither (a sticker,
    a voice message...). `lang_hint` is a language the platform suggests for a new user."""

    text: str | None = None
    choice: str | None = None
    lang_hint: str | None = None


@dataclass(frozen=True)
class OptionOut:
    """A button as the user sees it. `id` is short ASCII (it travels as Telegram callback data);
    `number` is what a user types to choose it (0 is always the operator; negative: a button
    only, never listed for typing). `sms_label`: the label's shorter `sms:` variant, if any
    (an SMS menu is paid by the segment)."""

    id: str
    label: str
    number: int
    sms_label: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One message to the user."""

    text: str
    options: tuple[OptionOut, ...] = ()
    topic: str | None = None
    escalate: bool = False
    sms_text: str | None = None
    key: str | None = None
    author: str | None = None
    """Who wrote the words when it is not the bot: AUTHOR_OPERATOR (a person at the hotline),
    or AUTHOR_USER (the user's own earlier words, shown again to a page that lost them)."""
    signature: str | None = None
    """How channels introduce a person's words, in the user's language ('Оператор Анна'):
    never the operator's login."""
    ref: str | None = None
    """Which transcript line a person's words are (`line-<id>`): a page shown the transcript
    again and sent the same words from the outbox shows them once."""


AUTHOR_OPERATOR = "operator"
AUTHOR_USER = "user"


@dataclass(frozen=True)
class TopicReached:
    topic: str


@dataclass(frozen=True)
class OperatorRequested:
    urgent: bool
    reason: str
    """'asked' (button, command, word), 'flow' (a handover node), 'danger', 'not_understood'."""


@dataclass(frozen=True)
class ToOperator:
    """A message for the human who has (or will take) the conversation; the bot says nothing.
    `text` is None for something that is not text (a sticker, a photo)."""

    text: str | None


@dataclass(frozen=True)
class HandoverResumed:
    """The user came back (a /start, a reopened page) while their request for a human is open:
    it stays, and they are told where it stands."""


@dataclass(frozen=True)
class LanguageChosen:
    lang: str


@dataclass(frozen=True)
class NotUnderstood:
    """A text matched no topic; `count` is the misses in a row. `text` and `lang` (the
    conversation's, None before one is chosen) are for the editors' misses log, which scrubs
    them; they do not take part in comparing events."""

    count: int
    text: str = field(default="", compare=False)
    lang: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MatchUnsure:
    """A text was matched to no topic for sure: the best few were offered (for the misses log)."""

    text: str
    lang: str | None


@dataclass(frozen=True)
class ForgetRequested:
    """The user asked to delete everything stored about them."""


@dataclass(frozen=True)
class OptedOut:
    """The person asked to be sent nothing more (SMS STOP): counted, never kept with them."""


@dataclass(frozen=True)
class SurveyOffered:
    """The optional anonymous questionnaire was offered (at most once a month)."""


@dataclass(frozen=True)
class SurveyAnswered:
    """One questionnaire answer: counted in aggregate, never kept with the conversation."""

    question: str
    answer: str


Event = (
    TopicReached
    | OperatorRequested
    | ToOperator
    | HandoverResumed
    | LanguageChosen
    | NotUnderstood
    | MatchUnsure
    | ForgetRequested
    | OptedOut
    | SurveyOffered
    | SurveyAnswered
)
