"""Pseudonyms: the only way a user is known to storage, logs, statistics and operators."""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(secret: bytes, channel: str, user_id: str) -> str:
    """A keyed HMAC of channel + user id: stable for the same user, useless without the key."""
    return hmac.new(secret, f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()


def short_tag(conversation_id: str) -> str:
    """What an operator sees, e.g. '#A3F2'."""
    return "#" + conversation_id[:4].upper()
