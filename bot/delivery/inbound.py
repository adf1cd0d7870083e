"""What a channel adapter makes of one platform update: neutral, and the only place a raw user id
or address exists, until intake turns the one into a pseudonym and seals the other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MESSAGE = "message"
"""Text, a pressed button, or something that is not text (text and choice both None)."""
START = "start"
"""A (re)start with an optional deep-link language and campaign source."""
BLOCKED = "blocked"
UNBLOCKED = "unblocked"
IGNORE = "ignore"
"""Recorded only so a redelivery is recognised (an edit, a group event, an unknown update)."""

BODY_FIELDS = ("kind", "text", "choice", "lang", "lang_hint", "source", "opt_out", "ack")


@dataclass(frozen=True)
class Body:
    """What the inbox keeps of an update until its turn: what it says, never who sent it or
    where from (those are a pseudonym and a sealed address beside it). Stored as JSON, written
    by `to_json` and read by `from_json` only."""

    kind: str = MESSAGE
    text: str | None = None
    choice: str | None = None
    lang: str | None = None
    lang_hint: str | None = None
    source: str | None = None
    opt_out: str | None = None
    ack: str | None = None

    def to_json(self) -> dict[str, str]:
        """The fields that are set (all of them strings)."""
        # read directly: `asdict` copies recursively, a cost every webhook would pay
        fields = ((name, getattr(self, name)) for name in BODY_FIELDS)
        return {name: value for name, value in fields if value is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Body:
        """A stored body; what is not a string of a known field is left out."""
        if not data:
            return cls()
        found = {name: data.get(name) for name in BODY_FIELDS}
        kept = {name: value for name, value in found.items() if isinstance(value, str)}
        return cls(**kept)


@dataclass(frozen=True)
class Inbound:
    channel: str
    external_id: str
    """The platform's id of this update (Telegram update_id, Twilio MessageSid): deduplication."""
    user_id: str | None = None
    address: str | None = None
    kind: str = MESSAGE
    text: str | None = None
    choice: str | None = None
    lang: str | None = None
    lang_hint: str | None = None
    source: str | None = None
    opt_out: str | None = None
    """The platform's own reading of the message as an opt-out word (`stop`, `start` or `help`:
    Twilio's Advanced Opt-Out matched it, in whatever language it was configured with)."""
    ack: str | None = None
    """A platform token to acknowledge once processed (a Telegram callback query id)."""

    def body(self) -> Body:
        """What the inbox keeps of it (see Body)."""
        return Body(
            self.kind,
            self.text,
            self.choice,
            self.lang,
            self.lang_hint,
            self.source,
            self.opt_out,
            self.ack,
        )
