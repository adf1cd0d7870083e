"""Turning a content key into the words a user reads: placeholders filled, numbers and dates
formatted with Babel for the user's language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from babel.dates import format_date, format_time, get_day_names, get_timezone_location
from babel.numbers import format_currency, format_decimal

from bot import DEFAULT_LANGUAGE
from bot.engine.model import Bundle, Value
from bot.settings import HotlineSettings

LOCALES: Mapping[str, str] = {"ru": "ru", "uz": "uz_Latn", "tg": "tg"}
# CLDR's long Uzbek and Tajik dates ("1-yanvar, 2026", "01 Январ 2026") read oddly in a sentence.
DATE_PATTERNS: Mapping[str, str] = {"ru": "long", "uz": "y-'yil' d-MMMM", "tg": "d MMMM y"}
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z_][a-z0-9_]*)\}")
SETTING_PLACEHOLDERS = frozenset(
    {"emergency_phone", "trafficking_phone", "tj_labour_phone", "uz_agency_phone", "hotline_hours"}
)

# Placeholders filled when a text is sent, only in the keys that use them.
RUNTIME_PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "operator.queued": frozenset({"position"}),
    "operator.after_hours": frozenset({"back_at"}),
    "operator.signed": frozenset({"name"}),
}

# Keys the engine itself shows; lint requires them in every language.
SYSTEM_KEYS: tuple[str, ...] = (
    "common.language.name",
    "common.language.prompt",
    "common.welcome",
    "common.menu.title",
    "common.nav.back",
    "common.nav.menu",
    "common.nav.operator",
    "common.not_understood",
    "common.not_understood_again",
    "common.suggest",
    "common.unsupported",
    "common.too_fast",
    "common.help",
    "common.forgotten",
)


def placeholders(text: str) -> set[str]:
    """The placeholder names a text uses."""
    return {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1)}


def format_value(value: Value, lang: str) -> str:
    locale = LOCALES[lang]
    if value.kind == "money" and value.amount is not None:
        return format_currency(
            value.amount, "RUB", format="#,##0\xa0¤", currency_digits=False, locale=locale
        )
    if value.kind == "number" and value.amount is not None:
        return format_decimal(value.amount, locale=locale)
    if value.date is not None:
        return format_date(value.date, DATE_PATTERNS[lang], locale=locale)
    return value.name


def format_hours(hotline: HotlineSettings, lang: str) -> str:
    """Working hours like 'пн–пт 08:30–18:30 (Москва)' in the user's language."""
    locale = LOCALES[lang]
    names = get_day_names("abbreviated", locale=locale)
    days = sorted(hotline.days)
    contiguous = days == list(range(days[0], days[-1] + 1)) if days else False
    if contiguous and len(days) > 2:
        day_text = f"{names[days[0]]}–{names[days[-1]]}"
    else:
        day_text = ", ".join(names[d] for d in days)
    opens = format_time(dt.time.fromisoformat(hotline.opens), "HH:mm", locale=locale)
    closes = (  # "24:00" (a day that ends at midnight) has no time-of-day object
        "24:00"
        if hotline.closes == "24:00"
        else format_time(dt.time.fromisoformat(hotline.closes), "HH:mm", locale=locale)
    )
    city = get_timezone_location(hotline.timezone, locale=locale, return_city=True)
    return f"{day_text} {opens}–{closes} ({city})"


TEXTS_REMEMBERED = 20_000
"""Rendered texts kept at most (content has a few thousand across languages and SMS)."""


class Texts:
    """Renders content keys for a language; missing keys fall back to Russian, then the key."""

    def __init__(self, bundle: Bundle, hotline: HotlineSettings) -> None:
        self.bundle = bundle
        self._rendered: dict[tuple[str, str, bool], str] = {}
        """Texts without runtime placeholders, once rendered: content and settings are fixed for
        the life of this object (new content makes a new one)."""
        self._fills: dict[str, dict[str, str]] = {}
        for lang in LOCALES:
            fills = {name: format_value(v, lang) for name, v in bundle.values.items()}
            fills.update(
                emergency_phone=hotline.emergency_phone,
                trafficking_phone=hotline.trafficking_phone,
                tj_labour_phone=hotline.tj_labour_phone,
                uz_agency_phone=hotline.uz_agency_phone,
                hotline_hours=format_hours(hotline, lang),
            )
            self._fills[lang] = fills

    def known_placeholders(self, key: str | None = None) -> set[str]:
        """Placeholders a text may use: settings and values, and for `key` its runtime ones."""
        return set(self._fills[DEFAULT_LANGUAGE]) | set(RUNTIME_PLACEHOLDERS.get(key or "", ()))

    def has(self, lang: str, key: str) -> bool:
        return key in self.bundle.texts.get(lang, {})

    def render(
        self, lang: str, key: str, *, sms: bool = False, extra: Mapping[str, str] | None = None
    ) -> str:
        """The text of `key` in `lang` (its SMS variant when asked); `extra` fills runtime
        placeholders such as a queue position."""
        if extra:
            return self._render(lang, key, sms, extra)
        cached = self._rendered.get((lang, key, sms))
        if cached is None:
            if len(self._rendered) >= TEXTS_REMEMBERED:  # keys content does not have
                self._rendered.clear()
            cached = self._rendered[(lang, key, sms)] = self._render(lang, key, sms, None)
        return cached

    def _render(self, lang: str, key: str, sms: bool, extra: Mapping[str, str] | None) -> str:
        entry = self.bundle.texts.get(lang, {}).get(key) or self.bundle.texts[DEFAULT_LANGUAGE].get(
            key
        )
        if entry is None:
            return key
        raw = entry.sms if sms and entry.sms else entry.text
        fills = {**self._fills[lang], **extra} if extra else self._fills[lang]

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name is None:
                return match.group(0)[0]
            return fills.get(name, match.group(0))

        return PLACEHOLDER.sub(fill, raw)
