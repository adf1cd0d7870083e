"""Reading a browser's Accept-Language header, for the pages that speak several languages."""

from __future__ import annotations

from collections.abc import Callable


def preferred(header: str | None, pick: Callable[[str], str | None]) -> str | None:
    """The language the browser prefers most (highest q, then first listed) among those `pick`
    recognises; `pick` turns a tag like 'uz-Latn-UZ' into one of ours, or None."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "").split(",")[:32]):
        tag, *params = part.split(";")
        lang = pick(tag.strip())
        if lang is None:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and (best is None or quality > best[0]):
            best = (quality, position, lang)
    return best[2] if best else None
