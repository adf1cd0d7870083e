"""The content the bot runs on: the engine built from the flow and text files, and the one
reference to it that a content reload swaps.

Everything that needs the engine or its texts keeps the `Content` holder and asks it each time
(`content.current`, `content.texts`), so a turn, a page or a console view that starts after a
reload sees the new content, and nothing keeps a stale engine of its own.
"""

from __future__ import annotations

from bot.engine.engine import Engine
from bot.engine.matching import (
    CONDITION_WORDS,
    CONTRAST_WORDS,
    PURPOSE_WORDS,
    QUESTION_WORDS,
    Matcher,
)
from bot.engine.model import Bundle
from bot.engine.texts import Texts
from bot.settings import HotlineSettings


def build_matcher(bundle: Bundle) -> Matcher:
    """The free-text matcher from the word lists editors keep in content/<lang>/."""
    langs = list(bundle.lexicons)
    return Matcher(
        keywords={lang: bundle.lexicon(lang, "keywords") for lang in langs},
        danger={lang: bundle.lexicon(lang, "danger").get("phrases", []) for lang in langs},
        operator_words={
            lang: bundle.lexicon(lang, "commands").get("operator", []) for lang in langs
        },
        danger_endings={lang: bundle.lexicon(lang, "danger").get("endings", []) for lang in langs},
    )


def build_answer_matcher(bundle: Bundle) -> Matcher:
    """Free text to answer nodes, from content/<lang>/answers.yaml (keys are node refs), the
    asking clause found by the same word lists as topics (keywords.yaml)."""
    langs = list(bundle.lexicons)
    clause_lists = (QUESTION_WORDS, CONTRAST_WORDS, PURPOSE_WORDS, CONDITION_WORDS)
    keywords = {
        lang: {
            **bundle.lexicon(lang, "answers"),
            **{key: bundle.lexicon(lang, "keywords").get(key, []) for key in clause_lists},
        }
        for lang in langs
    }
    return Matcher(keywords=keywords, danger={})


def build_engine(bundle: Bundle, hotline: HotlineSettings) -> Engine:
    """The engine for a checked bundle; `hotline` fills the texts' phone and hours placeholders."""
    texts = Texts(bundle, hotline)
    return Engine(bundle, texts, build_matcher(bundle), build_answer_matcher(bundle))


class Content:
    """The current engine. `swap` replaces it for everyone who reads it from here."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def current(self) -> Engine:
        """The engine in use now (a callable to hand to components that ask at each use)."""
        return self.engine

    def texts(self) -> Texts:
        """The texts of the engine in use now."""
        return self.engine.texts

    def swap(self, engine: Engine) -> None:
        self.engine = engine
