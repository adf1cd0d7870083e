"""`misses`: what the bot did not understand lately, grouped by similarity with counts, for
editors deciding which keywords to add; `misses teach PHRASE --topic T --lang L` adds one to
content/<lang>/keywords.yaml and lints the content. The texts were scrubbed when kept (see
bot/misses/scrub.py and PRIVACY.md)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import LANGUAGES
from bot.cli.lint import report
from bot.content import build_matcher
from bot.engine.loader import load_bundle
from bot.engine.problems import Problem
from bot.lint.checks import lint
from bot.misses.grouping import Group, group
from bot.misses.store import RETENTION, read
from bot.misses.teach import TeachError, keywords_path, teach
from bot.settings import Settings
from bot.storage.database import migrate, open_engine, sessions

EXAMPLES = 3
"""Other wordings shown under a group's most frequent one."""
_SINCE = re.compile(r"(\d+)([dw])")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("misses", help="messages the bot did not understand, grouped, with counts")
    p.add_argument("--lang", choices=LANGUAGES, help="one language only")
    p.add_argument(
        "--since",
        default=f"{RETENTION.days}d",
        help="how far back: 7d, 2w or a date YYYY-MM-DD (default: everything kept, 30d)",
    )
    p.set_defaults(run=run)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    t = actions.add_parser("teach", help="add a phrase as a keyword of a topic, then lint")
    t.add_argument("phrase", help="the words to add, as people write them")
    t.add_argument("--topic", required=True, help="the topic id (work_permit, health, ...)")
    t.add_argument("--lang", required=True, choices=LANGUAGES, help="the keywords' language")
    t.add_argument("--content", type=Path, help="folder holding content/ (default: CONTENT_ROOT)")
    t.set_defaults(run=run_teach)


def parse_since(value: str, today: dt.date) -> dt.date:
    """`7d`, `2w` (days or weeks before today) or a date; ValueError otherwise."""
    m = _SINCE.fullmatch(value.strip())
    if m:
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        return today - dt.timedelta(days=days)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--since {value!r}: write 7d, 2w or a date YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    today = dt.datetime.now(ZoneInfo(settings.hotline.timezone)).date()
    try:
        since = parse_since(args.since, today)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not settings.misses_log:
        print("MISSES_LOG is off: nothing new is kept.", file=sys.stderr)
    groups = group(asyncio.run(_read(settings, since, args.lang)))
    show(groups, since, sys.stdout)
    return 0


async def _read(settings: Settings, since: dt.date, lang: str | None) -> list[Any]:
    db = open_engine(settings.database_url)
    try:
        await migrate(db)
        async with sessions(db)() as session:
            return await read(session, since, lang)
    finally:
        await db.dispose()


def show(groups: list[Group], since: dt.date, out: TextIO) -> None:
    """Groups most asked first: the count (of which the bot offered a guess: `unsure`), the
    language, the most frequent wording and a few others."""
    if not groups:
        print(f"Nothing not understood since {since.isoformat()}.", file=out)
        return
    print(f"Not understood since {since.isoformat()}, similar messages grouped:", file=out)
    print(f"{'count':>6} {'unsure':>6}  lang  text", file=out)
    for g in groups:
        first, *others = g.texts
        print(f"{g.count:>6} {g.unsure:>6}  {g.lang:<4}  {first.text}", file=out)
        for other in others[:EXAMPLES]:
            print(f"{'':>21}  ~ {other.text} ({other.count})", file=out)
        if len(others) > EXAMPLES:
            print(f"{'':>21}  ~ {len(others) - EXAMPLES} more", file=out)
    total = sum(g.count for g in groups)
    print(f"{len(groups)} group(s), {total} message(s)", file=out)


def run_teach(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    root: Path = args.content or settings.content_root
    path = keywords_path(root, args.lang)
    if not path.is_file():
        print(f"{path}: no such file", file=sys.stderr)
        return 1
    original = path.read_text(encoding="utf-8")
    try:
        taught = teach(root, args.lang, args.topic, args.phrase)
    except TeachError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(f"{taught.path}:{taught.line}: added {taught.phrase!r} to {args.topic}")
    problems = lint(root, settings)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for line in report(errors, warnings, verbose=False):
        print(line)
    if errors and _brought_errors(root, settings, path, original, errors):
        print(f"{path}: put back as it was: the new keyword brought errors")
        return 1
    bundle, _ = load_bundle(root)
    best = build_matcher(bundle).understand(taught.phrase, args.lang).best
    reached = best.topic if best is not None else None
    if reached != args.topic:
        print(
            f"note: {taught.phrase!r} alone now goes to {reached or 'no topic'}, not"
            f" {args.topic}; check with: python -m bot match --lang {args.lang}"
        )
    return 1 if errors else 0


def _brought_errors(
    root: Path, settings: Settings, path: Path, original: str, errors: list[Problem]
) -> bool:
    """Whether `errors` include one the content had not before the keyword (compared without
    positions, which the new line moves); when so, `path` is left as it was."""
    taught = path.read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    before = {(p.pos.path, p.message) for p in lint(root, settings) if p.severity == "error"}
    if {(p.pos.path, p.message) for p in errors} - before:
        return True
    path.write_text(taught, encoding="utf-8")
    return False
