"""Fixtures for hostile input: the real server with every channel on, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.hostile.site import Site, open_site, site_settings


@pytest.fixture
async def site(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> AsyncIterator[Site]:
    settings = site_settings(tmp_path, database_url, fake_telegram, fake_twilio)
    async with open_site(settings, fake_telegram, fake_twilio) as served:
        yield served
