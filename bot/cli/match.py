"""`python -m bot match`: try the free-text matcher on typed messages, or measure it on a TSV.

Editors use it to check that the words they add to content/<lang>/keywords.yaml send questions where
they expect, and that they did not steal questions from another topic. It reads the YAML directly,
so it works while the rest of the content is being edited.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot import LANGUAGES, TOPICS
from bot.engine.language_guess import LanguageGuess
from bot.engine.loader import load_or_raise
from bot.engine.matching import NOT_TOPICS, OPERATOR, Matcher
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
        help=(
            "TSV of 'lang<TAB>expected topic, operator or none<TAB>text', or with a header row "
            "lang, expected, [urgent,] text (tests/eval/README.md); prints figures per language"
        ),
    )
    parser.add_argument(
        "--eval-language",
        type=Path,
        metavar="FILE",
        help=(
            "a TSV as for --eval: measure telling each message's language from its text "
            "(right, undecided, wrong per language)"
        ),
    )
    parser.add_argument(
        "--show-misses",
        action="store_true",
        help="with --eval: also print the messages scored wrong (refused for held-out sets)",
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
    endings: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        folder = root / "content" / lang
        topics = _read(folder / "keywords.yaml")
        keywords[lang] = {t: [str(p) for p in topics.get(t) or ()] for t in (*TOPICS, *NOT_TOPICS)}
        danger_file = _read(folder / "danger.yaml")
        danger[lang] = [str(p) for p in danger_file.get("phrases") or ()]
        endings[lang] = [str(e) for e in danger_file.get("endings") or ()]
        operator[lang] = [str(p) for p in _read(folder / "commands.yaml").get(OPERATOR) or ()]
    return Matcher(keywords, danger, operator, endings)


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
    held_out = [p for p in (args.eval, args.eval_language) if p is not None and is_held_out(p)]
    if args.show_misses and held_out:
        print(f"{held_out[0].name} is a held-out set: only aggregate figures", file=sys.stderr)
        return 2
    if args.eval_language is not None:
        guess = LanguageGuess.from_bundle(load_or_raise(args.content))
        return evaluate_language(guess, args.eval_language, sys.stdout, args.show_misses)
    matcher = load_matcher(args.content)
    if args.eval is not None:
        return evaluate(matcher, args.eval, sys.stdout, show_misses=args.show_misses)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        topic, score = verdict(matcher.understand(text, args.lang))
        print(json.dumps({"text": text, "topic": topic, "score": score}, ensure_ascii=False))
    return 0


TRAFFICKING = "trafficking"
DANGER = "danger"
"""The outcome of a message flagged with danger signs: the urgent hand-over, whatever its topic."""
HELD_OUT = frozenset({"heldout.tsv", "benign.tsv", "danger.tsv"})
"""Held-out sets (tests/eval/README.md): scored in aggregate only, their misses are never shown."""
PASS_ACCURACY = 0.9
PASS_RECALL = 0.95


@dataclass(frozen=True)
class EvalRow:
    """One message of an evaluation set.

    `urgent` is None when the set says nothing about urgency (messages.tsv). `legacy` marks the
    headerless format of messages.tsv, where `operator` covers both danger signs and asking for a
    human; in the sets with a header row, `trafficking` means present danger (see `is_right`).
    """

    lang: str
    expected: str
    text: str
    urgent: bool | None
    legacy: bool


def outcome(understood: Understood) -> str:
    """What the bot does with a message: 'danger' (urgent hand-over), a topic, 'operator' or
    'none'."""
    if understood.danger:
        return DANGER
    return understood.best.topic if understood.best is not None else NONE


def is_right(row: EvalRow, got: str) -> bool:
    """Whether `got` (an `outcome`) is what the row expects.

    messages.tsv files danger signs under `operator`, so there both the urgent hand-over and a
    request for a human are right for it. The sets with a header row label present danger
    `trafficking`: only the urgent hand-over is right for it (the trafficking information topic is
    not), and the urgent hand-over is right for nothing else.
    """
    if row.legacy:
        return got in (OPERATOR, DANGER) if row.expected == OPERATOR else got == row.expected
    if row.expected == TRAFFICKING:
        return got == DANGER
    return got == row.expected


@dataclass
class _Tally:
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    wrong_confident: Counter[str] = field(default_factory=Counter)
    calm: Counter[str] = field(default_factory=Counter)
    false_alarms: Counter[str] = field(default_factory=Counter)
    urgent: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, row: EvalRow, got: str, score: float) -> None:
        lang = row.lang
        self.total[lang] += 1
        if is_right(row, got):
            self.right[lang] += 1
            return
        if got != NONE:
            self.wrong_confident[lang] += 1
        self.misses.append(
            f"  {lang}  expected {row.expected:<17} got {got:<17} {score:.2f}  {row.text}"
        )

    def add_urgency(self, row: EvalRow, got: str) -> None:
        if row.urgent is None:
            return
        if row.urgent:
            self.urgent[row.lang] += 1
            self.caught[row.lang] += got == DANGER
        else:
            self.calm[row.lang] += 1
            self.false_alarms[row.lang] += got == DANGER


def evaluate(matcher: Matcher, path: Path, out: TextIO, show_misses: bool = False) -> int:
    """Print per language top-1 accuracy, wrong confident answers and, for sets that say which
    messages are urgent, false alarms among the calm ones and recall among the urgent ones.

    Only aggregate figures unless `show_misses`. Returns 0 when every language reaches 90%
    accuracy and, where urgency is known, has no false alarm and at least 95% recall.
    """
    rows = read_rows(path)
    tally = _Tally()
    for row in rows:
        understood = matcher.understand(row.text, row.lang)
        got = outcome(understood)
        tally.add(row, got, verdict(understood)[1])
        tally.add_urgency(row, got)
    passed = True
    for lang in sorted(tally.total, key=_lang_order):
        right, total = tally.right[lang], tally.total[lang]
        line = (
            f"{lang}: {right / total:6.1%}  ({right}/{total})"
            f"  wrong confident {tally.wrong_confident[lang]}"
        )
        passed &= right >= PASS_ACCURACY * total
        if tally.calm[lang] or tally.urgent[lang]:
            calm, urgent = tally.calm[lang], tally.urgent[lang]
            caught = tally.caught[lang]
            recall = caught / urgent if urgent else 1.0
            line += f"  false alarms {tally.false_alarms[lang]}/{calm}"
            if urgent:
                line += f"  danger recall {caught}/{urgent} ({recall:.1%})"
            passed &= tally.false_alarms[lang] == 0 and recall >= PASS_RECALL
        print(line, file=out)
    columns = _columns(path)
    if columns and "urgent" not in columns:
        print("(urgency taken from expected = trafficking: the set has no urgent column)", file=out)
    if show_misses and tally.misses:
        print(f"misses ({len(tally.misses)}):", *tally.misses, sep="\n", file=out)
    elif tally.misses:
        print(f"misses: {len(tally.misses)} (texts with --show-misses)", file=out)
    return 0 if passed else 1


PASS_LANGUAGE_WRONG = 0.02
"""At most this share of messages may be given the wrong language (undecided ones are asked)."""


def evaluate_language(
    guess: LanguageGuess, path: Path, out: TextIO, show_misses: bool = False
) -> int:
    """Print per language how many messages' language was told right, left undecided (the bot
    then asks) and told wrong. Returns 0 when at most 2% are wrong in every language."""
    right: Counter[str] = Counter()
    undecided: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    misses: list[str] = []
    for row in read_rows(path):
        got = guess(row.text)
        if got == row.lang:
            right[row.lang] += 1
        elif got is None:
            undecided[row.lang] += 1
        else:
            wrong[row.lang] += 1
            misses.append(f"  {row.lang} told {got}: {row.text}")
    passed = True
    for lang in sorted(set(right) | set(undecided) | set(wrong), key=_lang_order):
        total = right[lang] + undecided[lang] + wrong[lang]
        print(
            f"{lang}: right {right[lang] / total:6.1%}  undecided {undecided[lang] / total:6.1%}"
            f"  wrong {wrong[lang] / total:5.1%}  ({right[lang]}/{undecided[lang]}/{wrong[lang]}"
            f" of {total})",
            file=out,
        )
        passed &= wrong[lang] <= PASS_LANGUAGE_WRONG * total
    if show_misses and misses:
        print(f"wrong ({len(misses)}):", *misses, sep="\n", file=out)
    return 0 if passed else 1


def _lang_order(lang: str) -> int:
    return LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES)


def is_held_out(path: Path) -> bool:
    """Whether `path` is one of the held-out sets in tests/eval/, whose misses must not be read."""
    return path.name in HELD_OUT and path.resolve().parent == PROJECT_ROOT / "tests" / "eval"


def read_rows(path: Path) -> list[EvalRow]:
    """The rows of an evaluation TSV in either format.

    With a header row (`lang`, `expected`, optional `urgent`, `text`; tests/eval/README.md):
    read with csv, no quoting. A set with a header but no `urgent` column (heldout.tsv) labels
    present danger `trafficking`, so urgency is taken from that label. Without a header
    (messages.tsv): `lang<TAB>expected<TAB>text` lines, '#' comments, no urgency.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    columns = _columns(path)
    if not columns:
        return [EvalRow(*row, urgent=None, legacy=True) for row in read_eval(path)]
    reader = csv.DictReader(lines[1:], fieldnames=columns, delimiter="\t", quoting=csv.QUOTE_NONE)
    rows = []
    for record in reader:
        if not (record.get("text") or "").strip():
            continue
        expected = record["expected"]
        flag = record.get("urgent")
        urgent = flag == "1" if flag is not None else expected == TRAFFICKING
        rows.append(EvalRow(record["lang"], expected, record["text"], urgent, legacy=False))
    return rows


def _columns(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as fh:
        first = fh.readline().rstrip("\n")
    columns = first.split("\t")
    return columns if columns[:2] == ["lang", "expected"] else []


def read_eval(path: Path) -> list[tuple[str, str, str]]:
    """Rows of a headerless evaluation TSV as (lang, expected, text), skipping '#' and blank
    lines; a set with a header row is read through `read_rows` (urgency dropped)."""
    if _columns(path):
        return [(row.lang, row.expected, row.text) for row in read_rows(path)]
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
