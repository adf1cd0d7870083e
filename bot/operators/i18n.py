"""The console's own words: English message ids in the templates and in `words.py`, translated
through a gettext catalog (Russian in `locale/ru/LC_MESSAGES/console.po`).

These are words for operators, not content for migrants, so they live in a catalog rather than
in `content/`. The .po file is compiled in memory at start (no .mo file to forget to rebuild),
and one Jinja2 environment per language renders the pages with autoescaping on.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path
from typing import Any, cast

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from bot.web.languages import preferred

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
LOCALE = HERE / "locale"
DOMAIN = "console"
LANGUAGES = ("ru", "en")
DEFAULT = "ru"
"""When the browser asks for neither: the hotline works in Russian."""


def N_(message: str) -> str:
    """Marks a message id for extraction; it is translated where it is shown."""
    return message


def load_translations(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang` compiled from its .po file; English needs none."""
    path = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def choose(accept_language: str | None) -> str:
    """ru or en, whichever the browser prefers (by q, then order); else the default."""

    def pick(tag: str) -> str | None:
        primary = tag.split("-", 1)[0].lower()
        return primary if primary in LANGUAGES else None

    return preferred(accept_language, pick) or DEFAULT


class Catalogs:
    """Translations and page templates for each console language."""

    def __init__(self) -> None:
        self.translations = {lang: load_translations(lang) for lang in LANGUAGES}
        self._envs = {lang: self._environment(lang) for lang in LANGUAGES}

    def _environment(self, lang: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
        )
        # The i18n extension adds this method at runtime; typing does not know it.
        cast(Any, env).install_gettext_translations(self.translations[lang], newstyle=True)
        return env

    def template(self, lang: str, name: str) -> Template:
        return self._envs[lang].get_template(name)

    def gettext(self, lang: str, message: str, **values: object) -> str:
        """`message` in `lang`, with %(name)s placeholders filled."""
        text = self.translations[lang].gettext(message)
        return text % values if values else text
