"""JSON text of the database's JSON columns (conversation states, message bodies): orjson.

A batch of turns writes every conversation's state and every reply's body as JSON text and
reads states back. orjson writes the same values (compact, UTF-8 rather than \\u escapes)
several times faster than the standard library, a visible share of a batch's CPU per update
(figures: bench/README.md). What it refuses, the standard library still does, so nothing
stored before or sent by a hostile client becomes unwritable or unreadable: a lone surrogate
(JSON allows "\\ud800", UTF-8 cannot hold it), and on writing an integer beyond 64 bits (read
back, orjson makes it a float; the columns hold texts, flags and small counts)."""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # {1: ...} is written {"1": ...}, as json.dumps does


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError: lone surrogates, integers over 64 bits
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # "\ud800" escapes, which json.dumps writes
        return json.loads(text)
