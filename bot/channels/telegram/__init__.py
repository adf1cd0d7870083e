"""The Telegram channel: Bot API updates in, rendered messages out, deep links for posters."""
