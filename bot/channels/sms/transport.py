"""Sending SMS through Twilio's REST API (the twilio library), and what each failure means for
the outbox: 21610 means the recipient opted out at the carrier, 429 and 5xx are retried with
backoff, other 4xx are rejections (logged without the number or text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException  # type: ignore[import-untyped]

from bot.channels.rendering import render_sms
from bot.channels.sms import CHANNEL
from bot.channels.sms.webhook import STATUS_PATH
from bot.delivery.sender import Blocked, Delivered, Outcome, Rejected, Retry
from bot.engine.messages import Outgoing
from bot.settings import TwilioSettings

UNSUBSCRIBED = 21610
"""Twilio: the recipient replied STOP to the carrier; nothing can be sent until they START."""
TOO_MANY_REQUESTS = 20429


class SmsTransport:
    channel = CHANNEL

    def __init__(self, client: Any, settings: TwilioSettings, public_url: str) -> None:
        self.client = client
        self.settings = settings
        self.status_callback = f"{public_url}{STATUS_PATH}" if public_url else None

    def render(self, message: Outgoing) -> Sequence[str]:
        return [render_sms(message)]

    async def send(self, address: str, piece: str) -> Outcome:
        sender: dict[str, str] = (
            {"messaging_service_sid": self.settings.messaging_service_sid}
            if self.settings.messaging_service_sid
            else {"from_": self.settings.from_number}
        )
        if self.status_callback:
            sender["status_callback"] = self.status_callback
        try:
            await self.client.messages.create_async(to=address, body=piece, **sender)
        except TwilioRestException as error:
            return outcome_of(int(error.status or 0), error.code)
        except (aiohttp.ClientError, TimeoutError) as error:
            return Retry(None, type(error).__name__)
        return Delivered()

    async def close(self) -> None:
        await self.client.http_client.close()


def outcome_of(status: int, code: int | None) -> Outcome:
    if code == UNSUBSCRIBED:
        return Blocked()
    if status == 429 or code == TOO_MANY_REQUESTS or status >= 500 or status == 0:
        return Retry(None, f"twilio {status} {code}")
    return Rejected(f"twilio {status} {code}")
