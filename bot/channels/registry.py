"""Every channel the bot has, found by looking: each package under `bot/channels/` with a
`plugin.py` that declares `PLUGIN`, a `ChannelPlugin` (see `base.py`). A new channel is its
package and its settings section in `bot/settings.py`; nothing here names one."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import bot.channels
from bot.channels.base import ChannelPlugin
from bot.settings import Settings

PLUGIN_MODULE = "plugin"


def discover() -> tuple[ChannelPlugin, ...]:
    """The `PLUGIN` of every channel package, in the packages' alphabetical order."""
    found = []
    for package in sorted(pkgutil.iter_modules(bot.channels.__path__), key=lambda m: m.name):
        if not package.ispkg:
            continue
        name = f"{bot.channels.__name__}.{package.name}.{PLUGIN_MODULE}"
        if importlib.util.find_spec(name) is None:
            continue
        plugin = importlib.import_module(name).PLUGIN
        if not isinstance(plugin, ChannelPlugin):
            raise TypeError(f"{name}.PLUGIN is not a ChannelPlugin")
        found.append(plugin)
    return tuple(found)


PLUGINS: tuple[ChannelPlugin, ...] = discover()


def configured(settings: Settings) -> tuple[ChannelPlugin, ...]:
    """The channels these settings turn on, in the order they start."""
    return tuple(plugin for plugin in PLUGINS if plugin.configured(settings))
