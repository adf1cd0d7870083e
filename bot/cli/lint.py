"""`lint [PATH]`: check flows and content like a compiler; exit 1 on any error.
`lint --sms-report`: what every node costs as an SMS, the most expensive first."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.engine.loader import load_bundle
from bot.engine.texts import Texts
from bot.lint.checks import lint
from bot.lint.sms import sms_report
from bot.settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lint", help="check flows/ and content/ and report every problem")
    p.add_argument("path", nargs="?", type=Path, help="a folder holding flows/ and content/")
    p.add_argument(
        "--sms-report",
        action="store_true",
        help="print each node's SMS cost (text and options) in every language, costliest first",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    root: Path = args.path or settings.content_root
    if not (root / "flows").is_dir() and not (root / "content").is_dir():
        print(f"{root}: error: no flows/ or content/ folder here")
        return 1
    if args.sms_report:
        return _sms_report(root, settings)
    problems = lint(root, settings)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def _sms_report(root: Path, settings: Settings) -> int:
    bundle, problems = load_bundle(root)
    for line in sms_report(bundle, Texts(bundle, settings.hotline)):
        print(line)
    errors = [p for p in problems if p.severity == "error"]
    for problem in errors:
        print(problem)
    return 1 if errors else 0
