"""The Telegram channel: Bot API updates in, rendered messages out, deep links for posters."""

CHANNEL = "telegram"
"""The channel's name in inbound updates, the outbox and the statistics."""
