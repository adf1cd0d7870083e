"""Content reload for the running server: editors save a YAML file and the bot speaks the new words.

Every batch of changes under flows/ and content/ is checked by the `lint` it is given (the server
gives `python -m bot lint`'s checks); when there is any error the server keeps the content it has
and logs every error with its position, so a half-finished edit never reaches users. Otherwise the
new bundle is handed to `on_reload`. The checks are given rather than imported: they know the
channels and the operators, which stand above the service's parts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from watchfiles import Change, awatch

from bot.engine.loader import load_bundle
from bot.engine.model import Bundle
from bot.engine.problems import Problem

log = logging.getLogger("bot.reload")

WATCHED = ("flows", "content")
RETRY_SECONDS = 5.0
"""How long to wait before watching again when the watcher itself fails (a folder was removed)."""


def _is_content_file(change: Change, path: str) -> bool:
    # Editors' lock and swap files (".#common.yaml", ".common.yaml.swp") are not content.
    name = os.path.basename(path)
    return name.endswith(".yaml") and not name.startswith(".")


class ContentWatcher:
    """Watches a content root and hands each valid new version of it to `on_reload`."""

    def __init__(
        self,
        root: Path,
        lint: Callable[[Path], Sequence[Problem]],
        on_reload: Callable[[Bundle], None],
        *,
        debounce_ms: int = 300,
    ) -> None:
        self.root = root
        self.lint = lint
        self.on_reload = on_reload
        self.debounce_ms = debounce_ms

    def reload_now(self) -> Bundle | None:
        """Check and load the content now; the bundle put in service, or None (old one kept)."""
        bundle = self.check()
        if bundle is None or not self.apply(bundle):
            return None
        return bundle

    def check(self) -> Bundle | None:
        """The content as a bundle when lint finds no error; otherwise log the errors, None."""
        try:
            errors = _errors(self.lint(self.root))
            bundle = None
            if not errors:  # a file may change between lint and this load: check it again
                bundle, problems = load_bundle(self.root)
                errors = _errors(problems)
        except Exception:
            log.exception("content reload failed; keeping the content in service")
            return None
        if errors:
            for problem in errors:
                log.error("%s", problem)
            log.warning(
                "content not reloaded: %d error(s) under %s; keeping the content in service",
                len(errors),
                self.root,
            )
            return None
        return bundle

    def apply(self, bundle: Bundle) -> bool:
        """Hand the bundle to on_reload; False (logged) when that fails."""
        try:
            self.on_reload(bundle)
        except Exception:
            log.exception("content reload failed in the server; the old content may still be used")
            return False
        texts = sum(len(entries) for entries in bundle.texts.values())
        log.info(
            "content reloaded from %s: %d flows, %d texts", self.root, len(bundle.flows), texts
        )
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Reload on every batch of changes until `stop` is set; bad content never ends it."""
        while not stop.is_set():
            folders = [self.root / name for name in WATCHED if (self.root / name).is_dir()]
            if not folders:
                log.warning("no flows/ or content/ under %s: nothing to watch", self.root)
            else:
                try:
                    await self._watch(folders, stop)
                except Exception:
                    log.exception("watching %s failed; watching again shortly", self.root)
            if not stop.is_set():
                await _wait(stop, RETRY_SECONDS)

    async def _watch(self, folders: list[Path], stop: asyncio.Event) -> None:
        async for changes in awatch(
            *folders,
            watch_filter=_is_content_file,
            debounce=self.debounce_ms,
            stop_event=stop,
        ):
            log.debug("content changed: %s", ", ".join(sorted(path for _, path in changes)))
            bundle = await asyncio.to_thread(self.check)
            if bundle is not None:
                self.apply(bundle)  # here, on the server's event loop, not in the worker thread


def _errors(problems: Sequence[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
