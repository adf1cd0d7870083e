"""SMS through Twilio as a channel: on when Twilio is configured and PUBLIC_URL is set (Twilio's
signatures are checked against it); incoming messages and delivery reports arrive on webhooks,
replies are sent at the sending number's pace by one elected process and shaped to fit SMS."""

from __future__ import annotations

import logging

from starlette.routing import Route

from bot.channels.base import ChannelNeeds, ChannelPlugin, Job
from bot.channels.sms import CHANNEL
from bot.channels.sms.shaping import SmsShaper
from bot.channels.sms.transport import SmsTransport
from bot.channels.sms.twilio_client import make_client
from bot.channels.sms.webhook import INBOUND_PATH, STATUS_PATH, inbound_endpoint, status_endpoint
from bot.delivery.pacing import Pacer
from bot.delivery.sender import OutboxSender
from bot.delivery.turns import Acknowledge, Shaper
from bot.settings import Settings

log = logging.getLogger(__name__)


class SmsChannel:
    name = CHANNEL
    acknowledge: Acknowledge | None = None

    def __init__(self, transport: SmsTransport, sender: OutboxSender, shaper: SmsShaper) -> None:
        self.transport = transport
        self.sender: OutboxSender | None = sender
        self.shaper: Shaper | None = shaper

    def jobs(self) -> dict[str, Job]:
        return {}

    async def prepare_turns(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def close(self) -> None:
        await self.transport.close()


def configured(settings: Settings) -> bool:
    if settings.twilio.enabled and not settings.public_url:
        log.warning("sms: Twilio is configured but PUBLIC_URL is not: SMS stays off")
    return settings.twilio.enabled and bool(settings.public_url)


def routes(settings: Settings) -> list[Route]:
    token, public = settings.twilio.auth_token, settings.public_url
    keywords = settings.stats.sms_keywords
    inbound = inbound_endpoint(token, public, keywords)
    status = status_endpoint(settings.resolved_secret_key(), token, public)
    return [
        Route(INBOUND_PATH, inbound, methods=["POST"]),
        Route(STATUS_PATH, status, methods=["POST"]),
    ]


def open_sms(needs: ChannelNeeds) -> SmsChannel:
    twilio, public_url = needs.settings.twilio, needs.settings.public_url
    client = make_client(twilio.account_sid, twilio.auth_token, twilio.api_url)
    transport = SmsTransport(client, twilio, public_url)
    sender = OutboxSender(
        transport,
        needs.sessions,
        needs.sealer,
        Pacer(twilio.rate_per_number, 0),
        leading=needs.elected("sms-sender"),
    )
    return SmsChannel(transport, sender, SmsShaper(needs.content.current, twilio.max_segments))


PLUGIN = ChannelPlugin(CHANNEL, configured, routes, open_sms)
