"""The seam between the engine and free-text understanding.

The engine asks one question of a message it cannot place as a command or an option: what does it
look like? The answer says whether it carries danger signs, which topic it confidently means, and
which topics are plausible. Implementations live elsewhere (see `matching.py`); the engine only
depends on this Protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Guess:
    """A topic a message may mean, with a score from 0 to 1."""

    topic: str
    score: float


@dataclass(frozen=True)
class Understood:
    """What a message looks like to an understanding component."""

    danger: bool = False
    best: Guess | None = None
    candidates: tuple[Guess, ...] = field(default_factory=tuple)


class Understanding(Protocol):
    """Maps free text in a conversation's language (or any of the three) to topics."""

    def understand(self, text: str, lang: str) -> Understood:
        """Classify one message; `lang` is the conversation's language, preferred on ties."""
        ...

    def match_option(self, text: str, labels: Sequence[str], lang: str) -> tuple[int, float] | None:
        """The index of the option label `text` means despite typos, with a score; or None."""
        ...


class NoUnderstanding:
    """Understands nothing: every free text is 'not understood'. Useful in engine tests."""

    def understand(self, text: str, lang: str) -> Understood:
        return Understood()

    def match_option(self, text: str, labels: Sequence[str], lang: str) -> tuple[int, float] | None:
        return None
