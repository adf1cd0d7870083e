"""The engine hands the misses log the text it could not place, with the conversation's language."""

from __future__ import annotations

from collections.abc import Sequence

from bot.engine.engine import Engine
from bot.engine.messages import Incoming, MatchUnsure, NotUnderstood
from bot.engine.understanding import Guess, Understood


class _Unsure:
    """An understanding that is never sure: two weak candidates for anything."""

    def understand(self, text: str, lang: str) -> Understood:
        return Understood(candidates=(Guess("registration", 0.4), Guess("citizenship", 0.3)))

    def match_option(self, text: str, labels: Sequence[str], lang: str) -> None:
        return None


def test_not_understood_carries_the_text_and_language(mini_engine: Engine) -> None:
    result = mini_engine.handle(mini_engine.new_state(lang="uz"), Incoming(text="qwerty 123"))
    (event,) = result.events
    assert isinstance(event, NotUnderstood)
    assert (event.count, event.text, event.lang) == (1, "qwerty 123", "uz")


def test_an_unsure_match_carries_the_text_and_language(mini_engine: Engine) -> None:
    mini_engine.understanding = _Unsure()
    result = mini_engine.handle(mini_engine.new_state(lang="tg"), Incoming(text="чизе дигар"))
    assert result.events == [MatchUnsure("чизе дигар", "tg")]
