"""Every channel the bot has. A new channel is a package under `bot/channels/` declaring a
`ChannelPlugin` (see `base.py`), its settings section in `bot/settings.py`, and one line here."""

from __future__ import annotations

from bot.channels.base import ChannelPlugin
from bot.channels.sms.plugin import PLUGIN as SMS
from bot.channels.telegram.plugin import PLUGIN as TELEGRAM
from bot.channels.web.channel import PLUGIN as WEB
from bot.settings import Settings

PLUGINS: tuple[ChannelPlugin, ...] = (TELEGRAM, SMS, WEB)


def configured(settings: Settings) -> tuple[ChannelPlugin, ...]:
    """The channels these settings turn on, in the order they start."""
    return tuple(plugin for plugin in PLUGINS if plugin.configured(settings))
