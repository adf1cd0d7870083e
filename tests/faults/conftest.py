"""Fixtures for fault tests: the platform fakes (the server is started by each test, on the
database or fake endpoints it breaks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake
