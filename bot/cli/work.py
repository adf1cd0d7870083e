"""`work`: process the inbox only, beside `serve --no-turns` (PostgreSQL), until stopped."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from bot import aio, heap
from bot.cli.serve import add_reload_option, service_logging
from bot.service.inbox_process import InboxProcess
from bot.settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "work",
        help="process the inbox in a process of its own, beside `serve --no-turns` (PostgreSQL)",
    )
    add_reload_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    service_logging()
    settings = Settings.from_env()
    try:
        return aio.run(_work(settings, watch_content=not args.no_reload_content))
    except ValueError as error:
        print(f"work: {error}", file=sys.stderr)
        return 2


async def _work(settings: Settings, *, watch_content: bool) -> int:
    process = await InboxProcess.start(settings, watch_content=watch_content)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    heap.settle()
    print("Working the inbox (stop with Ctrl+C or SIGTERM)", flush=True)
    try:
        await process.run(stop)
    finally:
        await process.close()
    return 0
