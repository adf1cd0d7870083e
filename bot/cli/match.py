"""`python -m bot match`: try the free-text matcher on typed messages, or measure it on a TSV.

Editors use it to check that the words they add to content/<lang>/keywords.yaml send questions where
they expect, and that they did not steal questions from another topic. It reads the YAML directly,
so it works while the rest of the content is being edited.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot import LANGUAGES, TOPICS
from bot.engine.matching import OPERATOR, Matcher
from bot.engine.understanding import Understood

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NONE = "none"


def add_parser(subparsers: Any) -> None:
    """Register the `match` subcommand on an argparse subparsers object."""
    parser = subparsers.add_parser(
        "match",
        help="map typed messages (one per line on stdin) to topics, or evaluate on a TSV file",
        description=(
            "Prints one JSON line per stdin line: text, topic (a topic id, 'operator' for danger "
            "signs or a request for a human, null when not confident) and score."
        ),
    )
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=LANGUAGES[0], help="conversation language"
    )
    parser.add_argument(
        "--eval",
        type=Path,
        metavar="FILE",
        help="TSV of 'lang<TAB>expected topic, operator or none<TAB>text'; prints accuracy",
    )
    parser.add_argument(
        "--content", type=Path, default=PROJECT_ROOT, help="project root holding content/"
    )
    parser.set_defaults(run=run)


def load_matcher(root: Path) -> Matcher:
    """Build a Matcher from content/<lang>/keywords.yaml, danger.yaml and commands.yaml."""
    keywords: dict[str, dict[str, list[str]]] = {}
    danger: dict[str, list[str]] = {}
    operator: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        folder = root / "content" / lang
        topics = _read(folder / "keywords.yaml")
        keywords[lang] = {t: [str(p) for p in topics.get(t) or ()] for t in TOPICS}
        danger[lang] = [str(p) for p in _read(folder / "danger.yaml").get("phrases") or ()]
        operator[lang] = [str(p) for p in _read(folder / "commands.yaml").get(OPERATOR) or ()]
    return Matcher(keywords, danger, operator)


def verdict(understood: Understood) -> tuple[str | None, float]:
    """The `match` output for one message: danger and requests for a human are 'operator'."""
    if understood.danger:
        return OPERATOR, 1.0
    if understood.best is not None:
        return understood.best.topic, understood.best.score
    if understood.candidates:
        return None, understood.candidates[0].score
    return None, 0.0


def run(args: argparse.Namespace) -> int:
    """Run `match`: classify stdin lines, or evaluate the file given with --eval."""
    matcher = load_matcher(args.content)
    if args.eval is not None:
        return evaluate(matcher, args.eval, sys.stdout)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        topic, score = verdict(matcher.understand(text, args.lang))
        print(json.dumps({"text": text, "topic": topic, "score": score}, ensure_ascii=False))
    return 0


@dataclass
class _Tally:
    right: Counter[str]
    total: Counter[str]
    misses: list[str]


def evaluate(matcher: Matcher, path: Path, out: TextIO) -> int:
    """Print top-1 accuracy per language and the misses; 0 when every language reaches 90%."""
    tally = _Tally(Counter(), Counter(), [])
    for lang, expected, text in read_eval(path):
        topic, score = verdict(matcher.understand(text, lang))
        tally.total[lang] += 1
        if (topic or NONE) == expected:
            tally.right[lang] += 1
        else:
            tally.misses.append(
                f"  {lang}  expected {expected:<17} got {topic or NONE:<17} {score:.2f}  {text}"
            )
    for lang in sorted(tally.total, key=LANGUAGES.index):
        accuracy = tally.right[lang] / tally.total[lang]
        print(f"{lang}: {accuracy:6.1%}  ({tally.right[lang]}/{tally.total[lang]})", file=out)
    if tally.misses:
        print(f"misses ({len(tally.misses)}):", *tally.misses, sep="\n", file=out)
    passed = all(tally.right[lang] >= 0.9 * tally.total[lang] for lang in tally.total)
    return 0 if passed else 1


def read_eval(path: Path) -> list[tuple[str, str, str]]:
    """Rows of an evaluation TSV as (lang, expected, text), skipping '#' lines and blank lines."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, expected, text = line.split("\t", 2)
            rows.append((lang, expected, text))
    return rows


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
