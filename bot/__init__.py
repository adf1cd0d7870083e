"""Self-service helpline for labour migrants: flows, content, channels, operators, statistics."""

TOPICS: tuple[str, ...] = (
    "work_permit",
    "registration",
    "quota",
    "employment_abroad",
    "citizenship",
    "residence_permit",
    "labour_rights",
    "trafficking",
    "health",
)
"""Stable topic ids: statistics, tests and flows refer to these."""

LANGUAGES: tuple[str, ...] = ("ru", "uz", "tg")
"""Languages the bot speaks, in the order the language prompt lists them."""

DEFAULT_LANGUAGE = "ru"
"""The language of a conversation that has not chosen one (the language question itself, the
texts a language lacks, the language lint compares the others with)."""
