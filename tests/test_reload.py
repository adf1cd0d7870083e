"""Content reload: valid edits reach the server, broken ones are logged and kept out."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from bot.engine.model import Bundle
from bot.lint.checks import lint
from bot.reload import ContentWatcher
from bot.settings import Settings
from tests.conftest import MINI

COMMON_RU = Path("content") / "ru" / "common.yaml"
LINT = partial(lint, settings=Settings.from_env({}))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(MINI, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def welcome(bundle: Bundle) -> str:
    return bundle.texts["ru"]["common.welcome"].text


def test_reload_now_after_a_valid_edit(root: Path) -> None:
    reloaded: list[Bundle] = []
    watcher = ContentWatcher(root, LINT, reloaded.append)
    edit(root / COMMON_RU, "welcome: WELCOME_ru", "welcome: Здравствуйте")
    bundle = watcher.reload_now()
    assert bundle is not None
    assert welcome(bundle) == "Здравствуйте"
    assert reloaded == [bundle]


def test_broken_content_is_logged_with_its_position_and_kept_out(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reloaded: list[Bundle] = []
    watcher = ContentWatcher(root, LINT, reloaded.append)
    edit(root / COMMON_RU, "welcome: WELCOME_ru", "welcome: [unclosed")
    with caplog.at_level(logging.INFO, logger="bot.reload"):
        assert watcher.reload_now() is None
    assert reloaded == []
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    # at the bracket left open, where an editor has to look (lint says so the same way)
    assert any(m.startswith(f"{COMMON_RU.as_posix()}:4:10:") for m in errors), errors
    assert "keeping the content in service" in caplog.text
    assert "content reloaded" not in caplog.text


def test_a_failing_on_reload_is_logged_not_raised(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(bundle: Bundle) -> None:
        raise RuntimeError("server busy")

    watcher = ContentWatcher(root, LINT, explode)
    with caplog.at_level(logging.INFO, logger="bot.reload"):
        assert watcher.reload_now() is None
    assert "server busy" in caplog.text


def save(path: Path, text: str) -> None:
    """Save as many editors do: write a hidden temporary file, then rename it over the old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


async def eventually(condition: Callable[[], object], timeout: float = 5.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_run_picks_up_changes_on_disk_and_stops_promptly(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    reloaded: list[Bundle] = []

    def on_reload(bundle: Bundle) -> None:
        reloaded.append(bundle)
        raise RuntimeError("a failing server callback must not stop the watcher")

    caplog.set_level(logging.INFO, logger="bot.reload")
    watcher = ContentWatcher(root, LINT, on_reload, debounce_ms=50)
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run(stop))
    path = root / COMMON_RU
    original = path.read_text(encoding="utf-8")
    try:
        # The watcher starts in the background: save again until it has seen a save.
        broken = original.replace("welcome: WELCOME_ru", "welcome: [unclosed")

        def seen() -> bool:
            return "content not reloaded" in caplog.text

        for _ in range(50):
            save(path, broken)
            if await eventually(seen, 0.1):
                break
        assert seen()
        assert reloaded == []
        save(path, original.replace("welcome: WELCOME_ru", "welcome: Салом"))
        assert await eventually(lambda: reloaded)
        assert welcome(reloaded[-1]) == "Салом"
        assert "a failing server callback" in caplog.text
        assert not task.done()
    finally:
        started = asyncio.get_running_loop().time()
        stop.set()
        await asyncio.wait_for(task, 2)
    assert asyncio.get_running_loop().time() - started < 1
