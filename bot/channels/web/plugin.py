"""The web chat as a plug-in: always on, it needs nothing configured."""

from __future__ import annotations

from bot.channels.base import ChannelPlugin
from bot.channels.web.channel import open_web, routes
from bot.channels.web.transport import CHANNEL

PLUGIN = ChannelPlugin(CHANNEL, lambda settings: True, routes, open_web)
