"""Turning a neutral outgoing message into plain text for text-only channels (terminal, SMS)."""

from __future__ import annotations

from bot.channels.sms_segments import fold_for_sms
from bot.engine.messages import Outgoing


def numbered_options(message: Outgoing, *, separator: str, sms: bool = False) -> list[str]:
    """Options as lines a user answers with a digit; the operator (0) always comes last. Buttons
    without a number (negative: offered to tap only) have no line. `sms`: the short labels."""
    typed = [o for o in message.options if o.number >= 0]
    ordered = sorted(typed, key=lambda o: (o.number == 0, o.number))
    return [f"{o.number}{separator}{(sms and o.sms_label) or o.label}" for o in ordered]


def render_plain(message: Outgoing) -> str:
    text = f"{message.signature}: {message.text}" if message.signature else message.text
    lines = [text, *numbered_options(message, separator=". ")]
    return "\n".join(lines)


def render_sms(message: Outgoing) -> str:
    """The exact SMS body: the shorter `sms` texts and labels when there are, numbered options,
    folded."""
    lines = [message.sms_text or message.text, *numbered_options(message, separator=" ", sms=True)]
    return fold_for_sms("\n".join(lines))
