"""The misses log: messages the bot did not understand, scrubbed and kept for editors for 30 days,
linked to nobody (see PRIVACY.md), listed grouped by similarity and taught as keywords."""
