"""What the multi-process tests share: PostgreSQL (they fail rather than skip in CI without it),
the shipped content's engine to work out expected replies, and a paced fake Telegram."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.content import build_engine
from bot.engine.engine import Engine
from bot.engine.loader import load_or_raise
from tests.conftest import ROOT, _postgres_available, make_settings
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def postgres_url() -> str:
    url = _postgres_available()
    if url is None:
        pytest.skip("PostgreSQL unreachable (this fails instead of skipping when CI is set)")
    return url


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    settings = make_settings(tmp_path_factory.mktemp("engine"), "sqlite+aiosqlite://")
    return build_engine(load_or_raise(ROOT), settings.hotline)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(rate_global=30, rate_per_chat=1) as telegram:
        yield telegram
