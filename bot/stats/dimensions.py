"""The values a statistics row is counted under (language, channel, topic, reason, answer...):
identifiers from a fixed vocabulary, never free text."""

from __future__ import annotations

import re

from bot.delivery.campaigns import NONE, OTHER

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def clean_id(raw: str | None, default: str = NONE) -> str:
    """A dimension value from a fixed vocabulary (topic, channel, reason...), or `default`: a
    defence against free text ever reaching a statistics table by mistake."""
    if raw is None:
        return default
    value = raw.strip().lower()
    return value if _ID.match(value) else OTHER
