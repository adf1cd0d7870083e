"""Golden transcripts: in every language, the terminal chat walks from the menu to an answer of
every topic. The route is found from the flows (shortest path to an answer node), so a content
edit changes the transcript, not the test; `make goldens` rewrites the files after a review."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from collections import deque
from pathlib import Path

import pytest

from bot import LANGUAGES, TOPICS
from bot.cli.chat import _chat
from bot.engine.model import Bundle

GOLDEN = Path(__file__).parent / "golden"


def route_to_answer(bundle: Bundle, topic: str) -> list[str]:
    """Option numbers typed from the main menu to the nearest answer node of `topic`'s flow."""
    menu = bundle.node(bundle.menu_ref)
    assert menu is not None
    first = next(i for i, o in enumerate(menu.options) if o.next == bundle.flow_start(topic))
    queue = deque([(bundle.flow_start(topic), [str(first + 1)])])
    seen = set()
    while queue:
        ref, typed = queue.popleft()
        node = bundle.node(ref)
        if node is None or ref in seen:
            continue
        seen.add(ref)
        if node.answer:
            return typed
        for index, option in enumerate(node.options):
            queue.append((option.next, [*typed, str(index + 1)]))
    raise AssertionError(f"no answer reachable in flow {topic}")


async def run_chat(lines: list[str], lang: str, tmp_path: Path) -> list[dict[str, object]]:
    args = argparse.Namespace(lang=lang, channel="terminal", user="golden", json=True)
    out = io.StringIO()
    code = await _chat(args, io.StringIO("\n".join(lines) + "\n"), out)
    assert code == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("BOT_SECRET_KEY", "golden")


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_topic_in_every_language(
    lang: str, topic: str, shipped_bundle: Bundle, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    typed = route_to_answer(shipped_bundle, topic)
    transcript = await run_chat(typed, lang, tmp_path)
    assert transcript[-1]["topic"] == topic
    assert all(m["topic"] in (None, topic) for m in transcript)
    golden = GOLDEN / lang / f"{topic}.jsonl"
    record = [{"typed": typed}, *transcript]
    if request.config.getoption("--update-goldens"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in record))
    assert golden.exists(), "no golden transcript yet: run `make goldens` and review the files"
    expected = [json.loads(line) for line in golden.read_text().splitlines()]
    assert record == expected, f"transcript changed; if intended, run `make goldens`: {golden}"


async def test_the_same_user_continues_where_they_left_off(tmp_path: Path) -> None:
    first = await run_chat(["2"], "ru", tmp_path)
    assert first[-1]["options"][:2] == ["Узбекистан", "Таджикистан"]
    second = await run_chat(["1"], "ru", tmp_path)  # no --lang greeting: resumes the node
    assert second[-1]["topic"] == "registration"


def test_piped_cli_reaches_a_work_permit_answer_in_uzbek(
    shipped_bundle: Bundle, tmp_path: Path
) -> None:
    typed = "\n".join(route_to_answer(shipped_bundle, "work_permit")) + "\n"
    env = {**os.environ, "DATA_DIR": str(tmp_path / "d"), "BOT_SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--lang", "uz", "--json"],
        input=typed,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    messages = [json.loads(line) for line in done.stdout.splitlines()]
    assert messages[-1]["topic"] == "work_permit"
    assert {"text", "options", "topic", "escalate"} <= set(messages[-1])


def test_sms_channel_shows_numbered_options_and_cost(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path / "d"), "BOT_SECRET_KEY": "x"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--lang", "uz", "--channel", "sms"],
        input="1\n",
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "\n1 " in done.stdout and "\n0 Operator" in done.stdout
    assert "[GSM-7," in done.stdout and "SMS segment" in done.stdout
