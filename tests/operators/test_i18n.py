"""The console's words: every message id in the templates and in the code has a Russian
translation, the catalog holds nothing unused, the language follows the browser; and the page
script never turns text into markup."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from bot.operators import i18n

PACKAGE = Path(i18n.__file__).resolve().parent
PO = PACKAGE / "locale" / "ru" / "LC_MESSAGES" / "console.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used_messages() -> dict[str, str]:
    """Every message id the console uses, with where it is."""
    found: dict[str, str] = {}
    for path in sorted((PACKAGE / "templates").glob("*.html")):
        with path.open("rb") as handle:
            for line, message, _, _ in extract(cast(Any, babel_extract), handle):
                found.setdefault(str(message), f"{path.name}:{line}")
    for path in sorted(PACKAGE.glob("*.py")):
        with path.open("rb") as handle:
            for line, message, _, _ in extract("python", handle):
                found.setdefault(str(message), f"{path.name}:{line}")
    return found


def russian() -> dict[str, str]:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="ru")
    return {str(m.id): str(m.string) for m in catalog if m.id and not m.fuzzy and m.string}


def test_every_message_has_a_russian_translation() -> None:
    used, translated = used_messages(), russian()
    assert len(used) > 50
    missing = {message: where for message, where in used.items() if message not in translated}
    assert not missing, f"add to {PO.name}: {missing}"


def test_translations_keep_their_placeholders_and_nothing_is_left_over() -> None:
    used, translated = used_messages(), russian()
    for message, text in translated.items():
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(text)), message
    assert set(translated) - set(used) == set(), "unused entries in console.po"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "ru"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("uz-Latn-UZ,en;q=0.5,ru;q=0.7", "ru"),
        ("de,fr", "ru"),
        ("en;q=0, ru;q=0.1", "ru"),
    ],
)
def test_the_language_follows_the_browser(header: str | None, lang: str) -> None:
    assert i18n.choose(header) == lang


def test_the_catalog_translates_with_placeholders() -> None:
    catalogs = i18n.Catalogs()
    assert catalogs.gettext("ru", "Logged in as %(name)s", name="olga") == "Вы вошли как olga"
    assert catalogs.gettext("en", "Logged in as %(name)s", name="olga") == "Logged in as olga"


def test_the_page_script_never_writes_markup() -> None:
    script = (PACKAGE / "static" / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "textContent" in script


def test_templates_have_no_inline_script_or_style() -> None:
    """The Content-Security-Policy forbids them; the page data block is JSON, not a script."""
    for path in (PACKAGE / "templates").glob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (path.name, tag)
        assert " style=" not in text and "<style" not in text, path.name
        assert not re.search(r"\son[a-z]+\s*=", text), path.name  # event handler attributes
