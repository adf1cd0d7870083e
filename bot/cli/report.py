"""`report`: the monthly statistics report for the organisation and its funders.

Writes report.html (charts included, one file to send) and report.csv, and prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from bot.stats.render import terminal, write
from bot.stats.report import MonthReport, collect, current_month, parse_month
from bot.storage.database import migrate, open_engine, sessions


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="monthly statistics: report.html, report.csv and a summary")
    p.add_argument("--month", help="the month as YYYY-MM (default: this month)")
    p.add_argument(
        "--out", type=Path, help="folder for the files (default: DATA_DIR/reports/YYYY-MM)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    now = dt.datetime.now(dt.UTC)
    month = args.month or current_month(now, settings.stats.timezone)
    try:
        parse_month(month)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    out_dir = args.out or settings.data_dir / "reports" / month
    asyncio.run(make_report(settings, month, out_dir, now=now, out=sys.stdout))
    return 0


async def load(settings: Settings, month: str) -> MonthReport:
    db = open_engine(settings.database_url)
    try:
        await migrate(db)
        async with sessions(db)() as session:
            return await collect(session, month)
    finally:
        await db.dispose()


async def make_report(
    settings: Settings,
    month: str,
    out_dir: Path,
    *,
    now: dt.datetime,
    out: TextIO,
) -> list[Path]:
    report = await load(settings, month)
    paths = write(report, out_dir, settings.stats.timezone, now)
    out.write(terminal(report) + "\n\n")
    out.write("".join(f"written: {path}\n" for path in paths))
    return paths
