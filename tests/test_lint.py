"""Content lint: clean on the shipped content, and each check fires at the right position on a
broken copy of a small valid root (tests/fixtures/lint/<check>/ over tests/fixtures/mini)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.rendering import render_sms
from bot.engine.engine import Engine
from bot.engine.messages import Incoming
from bot.lint.checks import lint
from bot.lint.sms import node_sms
from bot.settings import Settings
from tests.conftest import MINI, ROOT

CASES = Path(__file__).parent / "fixtures" / "lint"


def broken_copy(case: str, tmp_path: Path) -> Path:
    root = tmp_path / case
    shutil.copytree(MINI, root)
    for path in (CASES / case).rglob("*.yaml"):
        target = root / path.relative_to(CASES / case)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return root


def test_mini_fixture_is_clean() -> None:
    assert lint(MINI, Settings.from_env({})) == []


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_each_check_fires_with_its_position(case: str, tmp_path: Path) -> None:
    expected = (CASES / case / "expect.txt").read_text().strip()
    reported = [str(p) for p in lint(broken_copy(case, tmp_path), Settings.from_env({}))]
    assert any(line.startswith(expected) for line in reported), "\n".join(reported)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    root = broken_copy("unknown_target", tmp_path)
    for case in ("placeholder_mismatch", "missing_word_list"):
        for path in (CASES / case).rglob("*.yaml"):
            shutil.copy(path, root / path.relative_to(CASES / case))
    errors = [p for p in lint(root, Settings.from_env({})) if p.severity == "error"]
    assert len(errors) >= 3


def test_shipped_content_has_no_errors() -> None:
    problems = lint(ROOT, Settings.from_env({}))
    errors = [str(p) for p in problems if p.severity == "error"]
    assert errors == []


def test_cli_exit_status_and_format(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "bot", "lint"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    root = broken_copy("yaml_syntax", tmp_path)
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "lint", str(root)], capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert (
        "flows/registration.yaml:6:16: error: YAML syntax: the '{' opened at line 6" in bad.stdout
    )


def test_a_file_that_does_not_parse_is_one_error_not_a_cascade(tmp_path: Path) -> None:
    root = broken_copy("yaml_syntax", tmp_path)
    content = root / "content" / "tg" / "common.yaml"
    content.write_text(content.read_text().replace("help: HELP_tg", "help: a: b"))
    errors = [str(p) for p in lint(root, Settings.from_env({})) if p.severity == "error"]
    assert len(errors) == 2, errors  # the broken flow and the broken content file, nothing else


def test_a_nodes_sms_is_costed_exactly_as_the_engine_sends_it(mini_engine: Engine) -> None:
    result = mini_engine.handle(mini_engine.new_state(lang="tg"), Incoming(text="1"))
    (message,) = result.messages
    costed = {
        (sms.lang, sms.ref): sms.body for sms in node_sms(mini_engine.bundle, mini_engine.texts)
    }
    assert costed["tg", "registration.ask_citizenship"] == render_sms(message)


def test_cli_sms_report_lists_every_node_costliest_first() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "lint", "--sms-report", str(MINI)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:3] == ["segments", "encoding", "units"]
    costs = [(int(row.split()[0]), int(row.split()[2])) for row in rows]
    assert costs == sorted(costs, reverse=True)
    # 7 nodes that say something, one with two texts, the handover nodes with each notice,
    # and what the engine says by itself; 3 languages (the language question once)
    assert len(rows) == 3 * (8 + 2 * 2 + 4) + 1  # mini has no operator.closed, handed_back
    assert any(row.split()[4:6] == ["uz", "registration.deadline"] for row in rows)
    assert any(row.split()[5:7] == ["(language", "question)"] for row in rows)


def test_cli_prints_errors_first_and_one_line_per_kind_of_warning(tmp_path: Path) -> None:
    root = broken_copy("unreachable_node", tmp_path)
    for case in ("reviewed_old", "unknown_target"):
        for path in (CASES / case).rglob("*.yaml"):
            shutil.copy(path, root / path.relative_to(CASES / case))
    for lang in ("ru", "tg"):  # a second text reviewed long ago: two warnings of one kind
        reviewed = root / "content" / lang / "registration.yaml"
        reviewed.write_text(reviewed.read_text().replace("2026-11-01", "2020-01-01"))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "lint", str(root)], capture_output=True, text=True
    )
    lines = done.stdout.splitlines()
    kinds = [line.split(": ")[1] for line in lines[:-1]]
    assert "error" in kinds and kinds == sorted(kinds), lines  # every error before any warning
    assert sum("over 12 months ago" in line for line in lines) == 1, lines
    assert any("× texts reviewed over 12 months ago" in line for line in lines), lines
    verbose = subprocess.run(
        [sys.executable, "-m", "bot", "lint", "--verbose", str(root)],
        capture_output=True,
        text=True,
    )
    assert sum("over 12 months ago" in line for line in verbose.stdout.splitlines()) > 1


def test_answer_words_must_name_answer_nodes_in_every_language(tmp_path: Path) -> None:
    """answers.yaml keys are answer nodes; a key one language has, every language has."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "flows", root / "flows")
    shutil.copytree(ROOT / "content", root / "content")
    ru = root / "content" / "ru" / "answers.yaml"
    ru.write_text(
        ru.read_text(encoding="utf-8")
        + "work_permit.nowhere: [где-то]\nwork_permit.ask_citizenship: [гражданство]\n"
        + "health.validity: [сколько действует справка]\n",
        encoding="utf-8",
    )
    found = {p.message for p in lint(root, Settings()) if p.severity == "error"}
    assert "'work_permit.nowhere' is no node: answers.yaml keys are answers" in found
    assert (
        "'work_permit.ask_citizenship' is not an answer (answer: true): answers.yaml keys are"
        " answers"
    ) in found
    assert "'health.validity' has no words in uz" in found
    assert "'health.validity' has no words in tg" in found
