"""Turning a phrase from the misses log into a keyword of a topic: one line added to
content/<lang>/keywords.yaml, at the end of the topic's list, every other line (comments and
order included) left as it was.

Refused, with the reason: an unknown language or topic, a phrase with a placeholder of the
scrubbing (`#`, `<name>`...) or characters a keyword never has, a phrase already a keyword."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import LANGUAGES, TOPICS
from bot.engine.matching import NOT_TOPICS
from bot.engine.normalize import fold_for_lang

MAX_WORDS = 6
"""A keyword is a word or a short phrase (see the comments atop keywords.yaml)."""
_PHRASE = re.compile(r"[^\W\d_](?:[\w' \-]*\w)?")
_ITEM = re.compile(r"^(\s+)-\s")


class TeachError(ValueError):
    """The phrase cannot be taught as asked; the message says why, for an editor."""


@dataclass(frozen=True)
class Taught:
    path: Path
    line: int
    """The new keyword's line (1-based)."""
    phrase: str


def keywords_path(root: Path, lang: str) -> Path:
    return root / "content" / lang / "keywords.yaml"


def teach(root: Path, lang: str, topic: str, phrase: str) -> Taught:
    """Add `phrase` (folded as the matcher compares it) as a keyword of `topic` in `lang`."""
    if lang not in LANGUAGES:
        raise TeachError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    if topic not in TOPICS:
        raise TeachError(f"unknown topic {topic!r}: one of {', '.join(TOPICS)}")
    keyword = fold_for_lang(phrase, lang)
    if not _PHRASE.fullmatch(keyword):
        raise TeachError(
            f"{phrase!r} is not a keyword: letters, digits, spaces, apostrophes and hyphens only,"
            " starting with a letter (write the words a scrubbed '#' or '<name>' stood for, or"
            " leave them out)"
        )
    if len(keyword.split()) > MAX_WORDS:
        raise TeachError(f"{phrase!r} is longer than {MAX_WORDS} words: teach its key words")
    path = keywords_path(root, lang)
    text = path.read_text(encoding="utf-8")
    lists = _topic_lists(yaml.safe_load(text), path)
    for other, words in lists.items():
        if keyword in {fold_for_lang(str(w), lang) for w in words}:
            raise TeachError(f"{keyword!r} is already a keyword of {other} in {path}")
    lines = text.splitlines(keepends=True)
    at, indent = _end_of_list(lines, topic, path)
    newline = "\n" if not lines or lines[-1].endswith("\n") else ""
    if at == len(lines) and newline == "":
        lines[-1] += "\n"
    lines.insert(at, f"{indent}- {keyword}\n")
    new_text = "".join(lines)
    words = _topic_lists(yaml.safe_load(new_text), path).get(topic, [])
    if (
        not words or fold_for_lang(str(words[-1]), lang) != keyword
    ):  # never write what YAML misreads
        raise TeachError(f"{keyword!r} would not read back as a keyword of {topic}; add it by hand")
    path.write_text(new_text, encoding="utf-8")
    return Taught(path, at + 1, keyword)


def _topic_lists(doc: Any, path: Path) -> dict[str, list[Any]]:
    if not isinstance(doc, dict):
        raise TeachError(f"{path}: not a mapping of topics to keyword lists")
    return {str(k): v for k, v in doc.items() if k not in NOT_TOPICS and isinstance(v, list)}


def _end_of_list(lines: list[str], topic: str, path: Path) -> tuple[int, str]:
    """Where a new item of `topic`'s block list goes (after its last item) and its indentation."""
    head = re.compile(rf"^{re.escape(topic)}:\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if head.match(line.rstrip("\n"))), None)
    if start is None:
        raise TeachError(f"{path}: no block list '{topic}:' to add to; add the keyword by hand")
    last, indent = start, "  "
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if line.strip() and not line[0].isspace():
            break  # the next top-level key or comment
        item = _ITEM.match(line)
        if item:
            last, indent = i, item.group(1)
    return last + 1, indent
