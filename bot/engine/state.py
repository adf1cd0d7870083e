"""Conversation state: small, JSON-serialisable, and all the engine needs to continue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGUAGE_NODE = "@language"
SUGGEST_NODE = "@suggest"
HISTORY_LIMIT = 20
ANSWERS_LIMIT = 20
VAR_LIMIT = 500
OPTED_OUT = "sms:stopped"
"""The mark of a person who said STOP: nothing is sent to them, by the bot or an operator,
until they say START (kept under its first name, so stored states keep their meaning)."""


@dataclass
class State:
    lang: str | None = None
    node: str | None = None
    """Current node `flow.node`, or a pseudo-node: @language, @suggest."""
    vars: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    misses: int = 0
    topics: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    """Answer nodes shown, latest last (what an operator sees as the bot's context)."""
    suggestions: list[str] = field(default_factory=list)
    handover: bool = False
    """The conversation is waiting for, or talking to, a human operator."""
    live: bool = False
    """An operator has taken the conversation: the bot stays silent, messages go to them."""
    urgent: bool = False
    noted: bool = False
    """The waiting user was told that what they write reaches the operator (said once)."""
    source: str | None = None
    marks: dict[str, str] = field(default_factory=dict)
    """Bookkeeping of services around the engine (e.g. what statistics counted today)."""
    pages: list[str] = field(default_factory=list)
    question: str | None = None
    """A new user's first message, kept while they are asked their language (it could not be
    told from it), to be answered once they choose."""
    """The rest of the bot's last reply, a page to send each time the person asks for more:
    a channel that cuts long replies (SMS, on MORE) keeps them here. The bot's own text,
    never the person's."""

    def to_json(self) -> dict[str, Any]:
        """A copy as plain JSON values (the fields hold only strings, numbers and flat lists
        and dicts of strings, so copying each container is copying everything)."""
        return {
            name: value.copy() if type(value) in _CONTAINERS else value
            for name, value in vars(self).items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def copy(self) -> State:
        """An independent copy (every turn starts from one): the fields as they are, each
        container copied, without going through JSON values and back."""
        copied = object.__new__(State)
        vars(copied).update(self.to_json())
        return copied


_CONTAINERS = (list, dict)
