"""Words that work anywhere in a conversation (menu, back, language, operator, help, forget), in
every language at once: a Tajik speaker who types the Russian 'меню' still gets the menu."""

from __future__ import annotations

from collections.abc import Iterable

from bot.engine.acts import Act
from bot.engine.memo import ShortTextMemo
from bot.engine.model import Bundle
from bot.engine.normalize import normalize, uz_to_latin

COMMANDS: tuple[Act, ...] = (Act.MENU, Act.BACK, Act.LANGUAGE, Act.OPERATOR, Act.HELP, Act.FORGET)
"""The commands, named as in commands.yaml."""


@ShortTextMemo
def variants(text: str) -> frozenset[str]:
    """The forms a typed text is compared in: normalised, and with Uzbek Cyrillic folded."""
    folded = normalize(text)
    return frozenset((folded, uz_to_latin(folded)))


class CommandWords:
    """Lookup of whole-message commands built from every language's commands.yaml."""

    def __init__(self, bundle: Bundle) -> None:
        self._words: dict[str, Act] = {}
        for lang in bundle.lexicons:
            for command, words in bundle.lexicon(lang, "commands").items():
                if command in COMMANDS:
                    self._add(Act(command), words)

    def _add(self, command: Act, words: Iterable[str]) -> None:
        for word in words:
            for form in variants(word):
                self._words.setdefault(form, command)

    def find(self, text: str) -> Act | None:
        for form in variants(text):
            if form in self._words:
                return self._words[form]
        return None
