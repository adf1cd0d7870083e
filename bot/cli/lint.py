"""`lint [PATH]`: check flows and content like a compiler; exit 1 on any error."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.lint.checks import lint
from bot.settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lint", help="check flows/ and content/ and report every problem")
    p.add_argument("path", nargs="?", type=Path, help="a folder holding flows/ and content/")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    root: Path = args.path or settings.content_root
    if not (root / "flows").is_dir() and not (root / "content").is_dir():
        print(f"{root}: error: no flows/ or content/ folder here")
        return 1
    problems = lint(root, settings)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0
