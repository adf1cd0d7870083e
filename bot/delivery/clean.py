"""Making what a platform sent valid text, once, at intake: whatever a user or a forged request
puts in a message, what is stored, processed, sealed and shown afterwards is text every part of
the service can encode.

- A lone surrogate (JSON can spell `"\\ud800"`, and Python decodes it) cannot be encoded as
  UTF-8: sealing it for an operator's transcript raised, and so did PostgreSQL's driver. It
  becomes U+FFFD, the replacement character, so the reader sees that something was there. A
  valid pair spelled as two escapes becomes the one character it stands for.
- NUL cannot be stored in a PostgreSQL text column at all, and the other control characters
  (C0 but tab, line feed and carriage return; DEL; C1) mean nothing in a message and could only
  disturb a terminal or a log: they are dropped.

Everything else (letters of any script, emoji, joiners, direction marks) stays as it came.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from bot.delivery.inbound import Inbound

_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SURROGATE = "\ud800-\udfff"
_SUSPECT = re.compile(f"[{_CONTROL}{_SURROGATE}]")
_CONTROLS = re.compile(f"[{_CONTROL}]+")

TEXT_FIELDS = tuple(
    field.name for field in dataclasses.fields(Inbound) if field.name not in ("channel", "kind")
)
"""Every string field of `Inbound` but `channel` and `kind`, which the service sets itself."""


def clean(value: str) -> str:
    """`value` with lone surrogates replaced by U+FFFD and control characters other than tab
    and line breaks removed; the very same object when it needs nothing (the usual case, found
    by one regular-expression search)."""
    if _SUSPECT.search(value) is None:
        return value
    # UTF-16 can carry surrogates through ("surrogatepass"): decoding joins valid pairs and
    # replaces each one left alone
    whole = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROLS.sub("", whole)


def cleaned(inbound: Inbound) -> Inbound:
    """The inbound with every text field and id cleaned; a text that had nothing but what was
    removed becomes None, a message without text (as a sticker is)."""
    changes: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = getattr(inbound, name)
        if value is None:
            continue
        fixed = clean(value)
        if name == "text" and fixed is not value and not fixed.strip():
            changes[name] = None
        elif fixed is not value:
            changes[name] = fixed
    return dataclasses.replace(inbound, **changes) if changes else inbound
