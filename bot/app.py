"""Kept for `bot/cli/chat.py` until it opens `bot.service.core` itself."""

from bot.service.core import Core as App
from bot.service.core import open_core as open_app

__all__ = ["App", "open_app"]
