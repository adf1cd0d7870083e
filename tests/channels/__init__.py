"""Tests of the channel adapters, one folder per channel."""
