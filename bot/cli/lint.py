"""`lint [PATH]`: check flows and content like a compiler; exit 1 on any error. Errors come
first, one a line; warnings are summarised one line per kind (with a count and the first place)
unless `--verbose`, so an error is never buried among them.
`lint --sms-report`: what every SMS costs, the most expensive first."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.engine.loader import load_bundle
from bot.engine.problems import Problem
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
    p.add_argument(
        "-v", "--verbose", action="store_true", help="list every warning, not one line per kind"
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
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for line in report(errors, warnings, verbose=args.verbose):
        print(line)
    return 1 if errors else 0


def report(errors: list[Problem], warnings: list[Problem], *, verbose: bool) -> list[str]:
    """The lines lint prints: every error, then the warnings (one line per kind unless
    `verbose`), then the counts."""
    lines = [str(p) for p in errors]
    if verbose:
        lines += [str(p) for p in warnings]
    else:
        kinds: dict[str, list[Problem]] = {}
        for problem in warnings:
            kinds.setdefault(problem.kind or problem.message, []).append(problem)
        for kind, found in kinds.items():
            first = found[0]
            if len(found) == 1:
                lines.append(str(first))
            else:
                lines.append(f"{first.pos}: warning: {len(found)} × {kind} (first here)")
    summary = f"{len(errors)} error(s), {len(warnings)} warning(s)"
    if warnings and not verbose:
        summary += " (--verbose lists every warning)"
    lines.append(summary)
    return lines


def _sms_report(root: Path, settings: Settings) -> int:
    bundle, problems = load_bundle(root)
    texts = Texts(bundle, settings.hotline)
    for line in sms_report(bundle, texts, settings.twilio.max_segments):
        print(line)
    errors = [p for p in problems if p.severity == "error"]
    for problem in errors:
        print(problem)
    return 1 if errors else 0
