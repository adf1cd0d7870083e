"""Tests of the Telegram channel and of the fake Bot API it is tested against."""
