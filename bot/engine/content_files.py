"""Reading content files: texts with their provenance, word lists, and the figures in values.yaml.

Keys are the file name plus the path inside the file (`registration.deadline_7_days`); a mapping
with `text` is one entry, any other mapping is a namespace.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.engine.model import Entry, Value
from bot.engine.problems import Pos, Problem
from bot.engine.yamlfile import YamlDoc

ENTRY_KEYS = frozenset({"text", "sms", "source", "reviewed", "review", "note"})


class Collector:
    """Problems found while loading, and the files that could not be read at all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.unreadable: set[str] = set()

    def error(self, pos: Pos, message: str) -> None:
        self.problems.append(Problem(pos, "error", message))


def parse_texts(stem: str, doc: YamlDoc, texts: dict[str, Entry], out: Collector) -> None:
    if not isinstance(doc.data, dict):
        out.error(doc.pos(), "a content file must be a mapping of keys to texts")
        return
    meta = doc.data.get("_meta") or {}
    file_draft = isinstance(meta, dict) and meta.get("review") == "draft"
    _collect_entries(stem, doc.data, (), doc, file_draft, texts, out)


def _collect_entries(
    prefix: str,
    data: dict[Any, Any],
    at: tuple[str, ...],
    doc: YamlDoc,
    file_draft: bool,
    texts: dict[str, Entry],
    out: Collector,
) -> None:
    for raw_key, value in data.items():
        key = str(raw_key)
        if not at and key == "_meta":
            continue
        path = (*at, key)
        full = f"{prefix}.{key}"
        pos = doc.pos(*path)
        if isinstance(value, str):
            texts[full] = Entry(full, value.strip(), None, None, None, file_draft, pos)
        elif isinstance(value, dict) and "text" in value:
            texts[full] = _parse_entry(full, value, path, doc, file_draft, out)
        elif isinstance(value, dict):
            _collect_entries(full, value, path, doc, file_draft, texts, out)
        else:
            out.error(pos, f"'{full}' must be a text, a mapping with 'text', or nested keys")


def _parse_entry(
    key: str,
    value: dict[str, Any],
    path: tuple[str, ...],
    doc: YamlDoc,
    file_draft: bool,
    out: Collector,
) -> Entry:
    for field_name in sorted(set(value) - ENTRY_KEYS):
        out.error(doc.pos(*path, field_name), f"unknown field '{field_name}' in '{key}'")
    text = value.get("text")
    if not isinstance(text, str) or not text.strip():
        out.error(doc.pos(*path, "text"), f"'{key}' has an empty text")
        text = ""
    sms = value.get("sms")
    if sms is not None and not isinstance(sms, str):
        out.error(doc.pos(*path, "sms"), "sms must be a text")
        sms = None
    reviewed = value.get("reviewed")
    if reviewed is not None and not isinstance(reviewed, dt.date):
        out.error(doc.pos(*path, "reviewed"), "reviewed must be a date like 2026-11-23")
        reviewed = None
    review = value.get("review")
    if review not in (None, "draft", "checked"):
        out.error(doc.pos(*path, "review"), "review must be 'draft' or 'checked'")
    draft = review == "draft" or (file_draft and review != "checked")
    source = value.get("source")
    return Entry(
        key=key,
        text=text.strip(),
        sms=sms.strip() if isinstance(sms, str) else None,
        source=str(source) if source else None,
        reviewed=reviewed,
        draft=draft,
        pos=doc.pos(*path),
        sms_pos=doc.pos(*path, "sms") if sms else None,
    )


def parse_lexicon(doc: YamlDoc, out: Collector) -> dict[str, list[str]]:
    if not isinstance(doc.data, dict):
        out.error(doc.pos(), "a word list file must map keys to lists of words")
        return {}
    lexicon: dict[str, list[str]] = {}
    for key, words in doc.data.items():
        if not isinstance(words, list) or not all(isinstance(w, str | int) for w in words):
            out.error(doc.pos(str(key)), f"'{key}' must be a list of words or phrases")
            continue
        lexicon[str(key)] = [str(w) for w in words]
    return lexicon


def parse_values(doc: YamlDoc, out: Collector) -> dict[str, Value]:
    values: dict[str, Value] = {}
    if not isinstance(doc.data, dict):
        out.error(doc.pos(), "values.yaml must map names to {money|number|date: ...}")
        return values
    for name, spec in doc.data.items():
        pos = doc.pos(str(name))
        if isinstance(spec, dict) and isinstance(spec.get("money"), int | float):
            values[str(name)] = Value(str(name), "money", amount=float(spec["money"]))
        elif isinstance(spec, dict) and isinstance(spec.get("number"), int | float):
            values[str(name)] = Value(str(name), "number", amount=float(spec["number"]))
        elif isinstance(spec, dict) and isinstance(spec.get("date"), dt.date):
            values[str(name)] = Value(str(name), "date", date=spec["date"])
        else:
            out.error(pos, f"'{name}' must be {{money: N}}, {{number: N}} or {{date: YYYY-MM-DD}}")
    return values
