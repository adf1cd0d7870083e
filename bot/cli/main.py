"""`python -m bot COMMAND`: the tools for editors, operators and developers."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from bot.cli import (
    chat,
    graph,
    lint,
    match,
    misses,
    operator,
    poster,
    purge,
    report,
    serve,
    work,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (chat, lint, graph, report, purge, match, misses, serve, work, poster, operator):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    result: int = args.run(args)
    return result
