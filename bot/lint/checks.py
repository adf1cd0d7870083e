"""Content lint: every check editors rely on, reporting every problem at once with its position.

The loader has already checked YAML syntax, the schema and references between flows; these checks
compare languages with each other and texts with the platforms' limits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from bot import DEFAULT_LANGUAGE, LANGUAGES, TOPICS
from bot.channels.sms_segments import fold_for_sms, sms_cost
from bot.engine.loader import load_bundle
from bot.engine.model import (
    GENERAL_TOPIC,
    MENU_FLOW,
    OPERATOR_FLOW,
    SURVEY_FLOW,
    Bundle,
    Entry,
    Node,
)
from bot.engine.problems import Pos, Problem
from bot.engine.texts import SYSTEM_KEYS, Texts, placeholders
from bot.lint.sms import LANGUAGE_QUESTION, NodeSms, node_sms
from bot.operators.hours import Hours
from bot.settings import Settings

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CALLBACK_LIMIT = 64
REVIEW_MAX_AGE = dt.timedelta(days=366)
NAV_LABELS = ("common.nav.back", "common.nav.menu", "common.nav.operator")
CONSOLE_TOPICS = (GENERAL_TOPIC, "other")
"""Outcomes the operator console names, besides the topics (bot/operators/views.py)."""
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LEXICON_KEYS = {
    "commands": {"menu", "back", "language", "operator", "help", "forget"},
    "danger": {"phrases"},
    "keywords": set(TOPICS),
}
# Kinds of warnings, each summarised in one line unless --verbose.
UNREACHABLE = "nodes no user can reach"
WORD_LIST = "unknown word lists"
SMS_BUDGET = "SMS over the segment budget"
SMS_PAGED = "SMS sent in pages (MORE)"
REVIEW_OLD = "texts reviewed over 12 months ago"
SCRIPT = "Uzbek texts in Cyrillic"
DRAFTS = "languages with draft texts awaiting a native speaker's check"
# Optional, but every language has them or none does. The commands are read by the SMS channel only.
OPTIONAL_LEXICON_KEYS = {
    "commands": {"stop", "start", "more"},
    "danger": {"endings"},  # endings a danger word may take (bot/engine/danger.py)
    # Not topics: they find the clause that asks (bot/engine/clauses.py).
    "keywords": {"question_words", "contrast_words", "purpose_words", "condition_words"},
}


def lint(root: Path, settings: Settings, today: dt.date | None = None) -> list[Problem]:
    """All problems of the flows and content under `root`, sorted by position."""
    bundle, problems = load_bundle(root)
    today = today or dt.date.today()
    texts = Texts(bundle, settings.hotline)
    problems += _content_references(bundle)
    problems += _unreachable(bundle)
    problems += _language_parity(bundle)
    problems += _lexicons(bundle)
    problems += _answer_words(bundle)
    problems += _placeholders(bundle, texts)
    problems += _limits(bundle, texts, settings.sms_segment_budget)
    problems += _sms_budget(bundle, texts, settings)
    problems += _provenance(bundle, today)
    problems += _scripts(bundle)
    problems += _drafts(bundle)
    return sorted(set(problems))


def _used_keys(bundle: Bundle) -> Iterator[tuple[str, Pos, Node | None]]:
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            for key in set(node.say.values()):
                yield key, node.pos, node
            for option in node.options:
                yield option.label, option.pos, None
    for key in (
        *SYSTEM_KEYS,
        *NAV_LABELS,
        *(f"common.topic.{t}" for t in (*TOPICS, *CONSOLE_TOPICS)),
    ):
        yield key, Pos("content/ru/common.yaml"), None


def _unreadable(bundle: Bundle, lang: str, key: str) -> bool:
    return f"content/{lang}/{key.split('.', 1)[0]}.yaml" in bundle.unreadable


def _content_references(bundle: Bundle) -> list[Problem]:
    problems = []
    for key, pos, _ in _used_keys(bundle):
        for lang in LANGUAGES:
            if key not in bundle.texts.get(lang, {}) and not _unreadable(bundle, lang, key):
                problems.append(Problem(pos, "error", f"unknown content key '{key}' in {lang}"))
    for name in (MENU_FLOW, OPERATOR_FLOW):
        if name not in bundle.flows:
            problems.append(Problem(Pos(f"flows/{name}.yaml"), "error", f"missing flow '{name}'"))
    operator = bundle.flows.get(OPERATOR_FLOW)
    if operator is not None and "urgent" not in operator.nodes:
        problems.append(Problem(operator.pos, "error", "the operator flow needs a node 'urgent'"))
    return problems


def _unreachable(bundle: Bundle) -> list[Problem]:
    if MENU_FLOW not in bundle.flows:
        return []
    seen: set[str] = set()
    todo = [bundle.menu_ref]
    operator = bundle.flows.get(OPERATOR_FLOW)
    if operator is not None:  # reached by commands and danger signs from anywhere
        todo += [f"{OPERATOR_FLOW}.{name}" for name in operator.nodes]
    if SURVEY_FLOW in bundle.flows:  # offered by the engine on the way back to the menu
        todo.append(bundle.flow_start(SURVEY_FLOW))
    while todo:
        ref = todo.pop()
        node = bundle.node(ref)
        if ref in seen or node is None:
            continue
        seen.add(ref)
        todo += [o.next for o in node.options]
        todo += list(node.branch.values())
        todo += [node.ask_next] if node.ask_next else []
    problems = []
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            if node.ref not in seen:
                problems.append(
                    Problem(node.pos, "warning", f"node '{node.ref}' is unreachable", UNREACHABLE)
                )
    return problems


def _language_parity(bundle: Bundle) -> list[Problem]:
    problems = []
    all_keys = set().union(*(bundle.texts.get(lang, {}) for lang in LANGUAGES))
    for key in sorted(all_keys):
        having = [lang for lang in LANGUAGES if key in bundle.texts.get(lang, {})]
        for lang in LANGUAGES:
            if lang in having or _unreadable(bundle, lang, key):
                continue
            where = Pos(f"content/{lang}/{key.split('.', 1)[0]}.yaml")
            other = bundle.texts[having[0]][key].pos
            problems.append(
                Problem(where, "error", f"key '{key}' is missing in {lang} (present at {other})")
            )
    return problems


def _lexicons(bundle: Bundle) -> list[Problem]:
    problems = []
    for name, required in LEXICON_KEYS.items():
        optional = OPTIONAL_LEXICON_KEYS.get(name, set())
        anywhere = set().union(*(bundle.lexicon(lang, name) for lang in LANGUAGES))
        for lang in LANGUAGES:
            have = set(bundle.lexicon(lang, name))
            where = Pos(f"content/{lang}/{name}.yaml")
            for key in sorted((required | (optional & anywhere)) - have):
                problems.append(Problem(where, "error", f"word list '{key}' is missing in {lang}"))
            for key in sorted(have - required - optional):
                problems.append(Problem(where, "warning", f"unknown word list '{key}'", WORD_LIST))
    return problems


def _answer_words(bundle: Bundle) -> list[Problem]:
    """answers.yaml: every key an answer node (`flow.node` with `answer: true`), in every
    language that has the file."""
    problems = []
    keys = {lang: set(bundle.lexicon(lang, "answers")) for lang in LANGUAGES}
    anywhere = set().union(*keys.values())
    for lang in LANGUAGES:
        where = Pos(f"content/{lang}/answers.yaml")
        for key in sorted(keys[lang]):
            node = bundle.node(key)
            if node is None or not node.answer:
                what = "no node" if node is None else "not an answer (answer: true)"
                problems.append(
                    Problem(where, "error", f"'{key}' is {what}: answers.yaml keys are answers")
                )
        for key in sorted(anywhere - keys[lang]):
            problems.append(Problem(where, "error", f"'{key}' has no words in {lang}"))
    return problems


def _placeholders(bundle: Bundle, texts: Texts) -> list[Problem]:
    problems = []
    ru = bundle.texts.get(DEFAULT_LANGUAGE, {})
    for lang in LANGUAGES:
        for key, entry in bundle.texts.get(lang, {}).items():
            names = placeholders(entry.text)
            known = texts.known_placeholders(key)
            for name in sorted((names | placeholders(entry.sms or "")) - known):
                problems.append(Problem(entry.pos, "error", f"unknown placeholder {{{name}}}"))
            if lang != DEFAULT_LANGUAGE and key in ru and names != placeholders(ru[key].text):
                theirs = ", ".join(sorted(placeholders(ru[key].text))) or "none"
                mine = ", ".join(sorted(names)) or "none"
                problems.append(
                    Problem(entry.pos, "error", f"placeholders differ from ru ({theirs}): {mine}")
                )
    return problems


def _limits(bundle: Bundle, texts: Texts, budget: int) -> list[Problem]:
    problems = []
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            for index, _ in enumerate(node.options):
                data = f"{node.ref}:{index}".encode()
                if len(data) > TELEGRAM_CALLBACK_LIMIT:
                    problems.append(
                        Problem(
                            node.options[index].pos,
                            "error",
                            f"button data '{data.decode()}' is {len(data)} bytes (Telegram: 64)",
                        )
                    )
    said = {
        key for flow in bundle.flows.values() for n in flow.nodes.values() for key in n.say.values()
    }
    for lang in LANGUAGES:
        for key, entry in bundle.texts.get(lang, {}).items():
            text = texts.render(lang, key)
            if len(text) > TELEGRAM_TEXT_LIMIT:
                problems.append(
                    Problem(entry.pos, "error", f"{len(text)} characters (Telegram: 4096)")
                )
            if key in said:
                continue  # costed with its options by _sms_budget
            cost = sms_cost(fold_for_sms(texts.render(lang, key, sms=True)))
            if cost.segments > budget:
                problems.append(
                    Problem(
                        entry.sms_pos or entry.pos,
                        "warning",
                        f"costs {cost.segments} SMS segments ({cost.encoding}, {cost.units} units)"
                        f" in {lang}; budget {budget}: add or shorten 'sms:'",
                        SMS_BUDGET,
                    )
                )
    return problems


def _sms_budget(bundle: Bundle, texts: Texts, settings: Settings) -> list[Problem]:
    """Every SMS a user can get, paged as the SMS channel pages it: an error when its options
    would fall off the first page (the user pays for MORE before they can answer), a warning
    when a text without options is paged or a single page costs more than the budget."""
    problems = []
    budget, most = settings.sms_segment_budget, settings.twilio.max_segments
    hours = Hours(settings.hotline)
    for sms in node_sms(bundle, texts, most, hours):
        cost = sms.cost
        what = f"{_what(sms)} costs {cost.segments} SMS segments ({cost.encoding}, {cost.units}"
        what += f" units) in {sms.lang}"
        key = sms.key.split(" + ", 1)[0]
        alone = sms_cost(fold_for_sms(texts.render(sms.lang, key, sms=True)))
        fix = (
            "shorten 'sms:' or the option labels"
            if alone.segments <= most
            else "add or shorten 'sms:'"
        )
        if sms.ref == LANGUAGE_QUESTION and cost.segments > 1:
            message = f"{what}: everyone's first SMS must be one segment; shorten 'sms:'"
            problems.append(Problem(sms.pos, "error", message))
        elif sms.options_fall_off:
            message = (
                f"{what}: over SMS_MAX_SEGMENTS {most}, its options would fall off the page; {fix}"
            )
            problems.append(Problem(sms.pos, "error", message))
        elif len(sms.pages) > 1:
            message = f"{what}: sent as {len(sms.pages)} pages (MORE); add or shorten 'sms:'"
            problems.append(Problem(sms.pos, "warning", message, SMS_PAGED))
        elif cost.segments > budget:
            problems.append(
                Problem(sms.pos, "warning", f"{what}; budget {budget}: {fix}", SMS_BUDGET)
            )
    return problems


def _what(sms: NodeSms) -> str:
    notice = sms.key.partition(" + ")[2]
    if sms.ref.startswith("("):
        return f"the SMS {sms.ref[1:-1]} ({sms.key})"
    if notice:
        return f"node '{sms.ref}' as an SMS with its options and the notice '{notice}'"
    return f"node '{sms.ref}' as an SMS with its options"


def _answer_keys(bundle: Bundle) -> set[str]:
    return {
        key
        for flow in bundle.flows.values()
        for node in flow.nodes.values()
        if node.answer
        for key in node.say.values()
    }


def _provenance(bundle: Bundle, today: dt.date) -> list[Problem]:
    problems = []
    answers = _answer_keys(bundle)
    for lang in LANGUAGES:
        for key, entry in bundle.texts.get(lang, {}).items():
            if key in answers and (not entry.source or not entry.reviewed):
                problems.append(
                    Problem(entry.pos, "error", f"answer '{key}' needs 'source' and 'reviewed'")
                )
            if entry.reviewed and today - entry.reviewed > REVIEW_MAX_AGE:
                problems.append(
                    Problem(
                        entry.pos,
                        "warning",
                        f"reviewed {entry.reviewed}: over 12 months ago",
                        REVIEW_OLD,
                    )
                )
    return problems


def _scripts(bundle: Bundle) -> list[Problem]:
    problems = []
    for entry in bundle.texts.get("uz", {}).values():
        if CYRILLIC.search(entry.text):
            problems.append(
                Problem(entry.pos, "warning", "Uzbek text in Cyrillic: write it in Latin", SCRIPT)
            )
    return problems


def _drafts(bundle: Bundle) -> list[Problem]:
    problems = []
    for lang in LANGUAGES:
        entries: list[Entry] = list(bundle.texts.get(lang, {}).values())
        drafts = sum(entry.draft for entry in entries)
        if drafts:
            problems.append(
                Problem(
                    Pos(f"content/{lang}/"),
                    "warning",
                    f"{drafts} of {len(entries)} texts are drafts"
                    " awaiting a native speaker's check",
                    DRAFTS,
                )
            )
    return problems
