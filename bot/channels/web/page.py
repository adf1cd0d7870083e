"""The chat page: its language (the `lang` parameter, else the browser's Accept-Language, else
Russian), its words (content keys `webchat.*`, rendered by the engine's texts, so an edit to the
content files shows on the next page load), and the HTML from a Jinja2 template that escapes
everything it is given. The script and style sheet are served from the package."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot import DEFAULT_LANGUAGE, LANGUAGES
from bot.engine.texts import Texts
from bot.web.languages import preferred

HERE = Path(__file__).resolve().parent
PAGE_KEYS = (
    "title",
    "privacy",
    "messages",
    "options",
    "input",
    "placeholder",
    "send",
    "reconnecting",
    "not_sent",
    "noscript",
)
"""The page's words, each `webchat.<name>` in every language's content."""
MAX_TEXT = 4000
"""Characters one message may have (the page's text box stops there too)."""


def language_tag(tag: str | None) -> str | None:
    """One of our languages for an IETF tag ('uz-Latn-UZ' -> 'uz'), else None."""
    if not tag:
        return None
    primary = tag.strip().split("-", 1)[0].split("_", 1)[0].lower()
    return primary if primary in LANGUAGES else None


def accepted_language(header: str | None) -> str | None:
    """The language of ours the browser prefers most (highest q, then first listed), if any."""
    return preferred(header, language_tag)


def page_language(query: str | None, accept_language: str | None) -> str:
    return language_tag(query) or accepted_language(accept_language) or DEFAULT_LANGUAGE


def page_texts(texts: Texts) -> dict[str, dict[str, str]]:
    """Every language's page words, so the page can switch when the visitor picks another."""
    return {
        lang: {name: texts.render(lang, f"webchat.{name}") for name in PAGE_KEYS}
        for lang in LANGUAGES
    }


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


class Page:
    """The template and static files, read once when the routes are made."""

    def __init__(self, root: Path = HERE) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(root / "templates"),
            autoescape=True,
            undefined=StrictUndefined,
        )
        self.template = self.environment.get_template("chat.html")
        self.assets: dict[str, Asset] = {
            "chat.js": Asset(
                (root / "static" / "chat.js").read_bytes(), "text/javascript; charset=utf-8"
            ),
            "chat.css": Asset(
                (root / "static" / "chat.css").read_bytes(), "text/css; charset=utf-8"
            ),
        }
        digest = hashlib.sha256()
        for name in sorted(self.assets):
            digest.update(self.assets[name].body)
        self.version = digest.hexdigest()[:12]
        """Part of the assets' URLs, so a browser never keeps an old script for a new page."""

    def render(self, lang: str, texts: Mapping[str, Mapping[str, str]], token: str) -> str:
        return self.template.render(
            lang=lang,
            t=texts[lang],
            all_texts=texts,
            token=token,
            version=self.version,
            max_text=MAX_TEXT,
        )
