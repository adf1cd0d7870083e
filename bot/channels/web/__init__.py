"""The web chat channel: a page at /chat where anyone talks to the bot in a browser, with the
bot's replies delivered over server-sent events from the same durable outbox as Telegram and SMS."""
