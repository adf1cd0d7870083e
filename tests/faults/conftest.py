"""Fixtures for fault tests: the platform fakes (the server is started by each test, on the
database or fake endpoints it breaks)."""

from __future__ import annotations
