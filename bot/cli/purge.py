"""`purge`: apply every retention rule now (see PRIVACY.md); `serve` also does it periodically."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from typing import Any

from bot.retention import purge_now
from bot.settings import Settings
from bot.storage.database import migrate, open_engine, sessions


def add_parser(sub: Any) -> None:
    p = sub.add_parser("purge", help="delete expired conversations and counters past retention")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    deleted = asyncio.run(_purge(Settings.from_env()))
    for table, rows in deleted.items():
        print(f"{table:<28}{rows:>8} deleted")
    return 0


async def _purge(settings: Settings) -> dict[str, int]:
    db = open_engine(settings.database_url)
    try:
        await migrate(db)
        return await purge_now(sessions(db), settings, now=dt.datetime.now(dt.UTC))
    finally:
        await db.dispose()
