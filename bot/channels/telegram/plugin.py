"""Telegram as a channel: on when a bot token is set; a webhook route when PUBLIC_URL is set,
long polling otherwise; replies sent at the Bot API's pace by one elected process."""

from __future__ import annotations

from starlette.routing import Route

from bot.channels.base import ChannelNeeds, ChannelPlugin
from bot.channels.telegram import CHANNEL
from bot.channels.telegram.channel import WEBHOOK_PATH, TelegramChannel
from bot.channels.telegram.transport import TelegramTransport, make_bot
from bot.channels.telegram.webhook import make_endpoint
from bot.delivery.pacing import Pacer
from bot.delivery.sender import OutboxSender
from bot.settings import Settings


def configured(settings: Settings) -> bool:
    return settings.telegram.enabled


def routes(settings: Settings) -> list[Route]:
    if not settings.public_url:
        return []
    endpoint = make_endpoint(settings.resolved_webhook_secret())
    return [Route(WEBHOOK_PATH, endpoint, methods=["POST"])]


def open_telegram(needs: ChannelNeeds) -> TelegramChannel:
    settings = needs.settings
    bot = make_bot(settings.telegram)
    transport = TelegramTransport(bot)
    sender = OutboxSender(
        transport,
        needs.sessions,
        needs.sealer,
        Pacer(settings.telegram.rate_global, settings.telegram.rate_per_chat),
        leading=needs.elected("telegram-sender"),
    )
    return TelegramChannel(
        bot,
        needs.intake,
        needs.content.texts,
        sender=sender,
        acknowledge=transport.acknowledge,
        public_url=settings.public_url,
        webhook_secret=settings.resolved_webhook_secret(),
        polling=needs.elected("telegram-poll") if not settings.public_url else None,
    )


PLUGIN = ChannelPlugin(CHANNEL, configured, routes, open_telegram)
