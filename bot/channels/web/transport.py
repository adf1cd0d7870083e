"""Sending to browsers: a neutral message becomes one JSON-able piece, handed to the visitor's
open pages through the hub. A visitor with no page open keeps the message in the outbox.

While a visitor is around (a page open or closed moments ago: a reload, a lost connection) the
message is retried every two seconds. Once they are gone it is retried only every few minutes:
retrying every two seconds for the outbox's whole day would write to the database and log a
line every two seconds for each reply a visitor left behind, and crowd the live ones out of the
sender's pace. A returning visitor does not wait for that: opening a page brings their waiting
replies due at once (see `channel.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.channels.web.hub import Hub
from bot.delivery.sender import Delivered, Outcome, Retry
from bot.engine.messages import Outgoing

CHANNEL = "web"
RETRY_PRESENT = 2.0
RETRY_AWAY = 300.0


def render(message: Outgoing) -> dict[str, Any]:
    """What a page receives: the text and every option as a button (id and label); for words
    a person wrote, who (`from`: operator, or user: their own words shown again) and the
    `label` the page shows before an operator's words, and the transcript line they are
    (`ref`), so a page shows them once however often they arrive."""
    piece: dict[str, Any] = {
        "text": message.text,
        "options": [{"id": option.id, "label": option.label} for option in message.options],
    }
    if message.author is not None:
        piece["from"] = message.author
    if message.signature is not None:
        piece["label"] = message.signature
    if message.ref is not None:
        piece["ref"] = message.ref
    return piece


class WebTransport:
    channel = CHANNEL

    def __init__(
        self, hub: Hub, *, retry_present: float = RETRY_PRESENT, retry_away: float = RETRY_AWAY
    ) -> None:
        self.hub = hub
        self.retry_present = retry_present
        self.retry_away = retry_away

    def render(self, message: Outgoing) -> Sequence[dict[str, Any]]:
        return [render(message)]

    async def send(self, address: str, piece: dict[str, Any]) -> Outcome:
        if await self.hub.push(address, piece):
            return Delivered()
        if self.hub.closed:  # shutting down: the page reconnects to the next start
            return Retry(self.retry_away, "shutting down")
        if self.hub.recently_seen(address):
            return Retry(self.retry_present, "no page took it")
        return Retry(self.retry_away, "no page open")
