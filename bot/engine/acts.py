"""What an option or a command word does: the engine dispatches on these, never on free strings."""

from __future__ import annotations

from enum import StrEnum


class Act(StrEnum):
    GOTO = "goto"
    """To the option's next node, setting its variables and recording its survey answer."""
    TOPIC = "topic"
    """To the start of a topic's flow (a suggested topic, a question understood)."""
    LANG = "lang"
    """Choose this language."""
    MENU = "menu"
    BACK = "back"
    LANGUAGE = "language"
    """Ask for the language again."""
    OPERATOR = "operator"
    HELP = "help"
    FORGET = "forget"
    """Delete everything stored about the user."""
