"""The SMS channel: Twilio webhooks in, numbered-menu text messages out."""
