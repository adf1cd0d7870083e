"""The SMS channel: Twilio webhooks in, numbered-menu text messages out."""

CHANNEL = "sms"
"""The channel's name in inbound updates, the outbox and the statistics."""
