"""Durable delivery, channel-neutral: accepted updates wait in the inbox until processed in order
per conversation; replies wait in the outbox until a channel's sender has delivered them."""
