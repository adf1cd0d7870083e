"""`python -m bot misses`: the listing, and `misses teach` on a copy of the shipped content."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import insert

from bot.cli.main import main
from bot.misses.tables import MissedMessage
from bot.misses.teach import TeachError, teach
from bot.storage.database import migrate, open_engine, sessions
from tests.conftest import ROOT


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the shipped flows and content that a test may change."""
    root = tmp_path / "root"
    for folder in ("flows", "content"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


async def _store(url: str, rows: list[tuple[int, str, str, str, int]]) -> None:
    today = dt.datetime.now(ZoneInfo("Europe/Moscow")).date()
    db = open_engine(url)
    try:
        await migrate(db)
        async with sessions(db)() as session, session.begin():
            for age, lang, kind, text, count in rows:
                day = today - dt.timedelta(days=age)
                values = {"day": day, "lang": lang, "kind": kind, "text": text, "count": count}
                await session.execute(insert(MissedMessage).values(values))
    finally:
        await db.dispose()


async def test_misses_lists_groups_with_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    await _store(
        url,
        [
            (0, "uz", "not_understood", "patent qancha turadi", 3),
            (1, "uz", "unsure", "patent qanchaga turadi", 1),
            (0, "ru", "not_understood", "где сделать медосмотр", 2),
            (10, "uz", "not_understood", "eski savol", 5),
        ],
    )
    assert await _main(["misses", "--lang", "uz", "--since", "7d"]) == 0
    out = capsys.readouterr().out
    assert "     4      1  uz    patent qancha turadi" in out
    assert "~ patent qanchaga turadi (1)" in out
    assert "медосмотр" not in out and "eski savol" not in out
    assert "1 group(s), 4 message(s)" in out
    assert await _main(["misses"]) == 0  # everything kept
    out = capsys.readouterr().out
    assert "eski savol" in out and "3 group(s), 11 message(s)" in out
    assert await _main(["misses", "--since", "soon"]) == 2


async def _main(argv: list[str]) -> int:
    """The command in a thread: it runs its own event loop."""
    import asyncio

    return await asyncio.to_thread(main, argv)


def test_teach_adds_one_line_to_the_topic_and_lints(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = content / "content" / "ru" / "keywords.yaml"
    before = path.read_text(encoding="utf-8").splitlines()
    code = main(
        ["misses", "teach", "Справка о Туберкулезе", "--topic", "health", "--lang", "ru",
         "--content", str(content)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    after = path.read_text(encoding="utf-8").splitlines()
    at = before.index("  - страховой полис") + 1
    assert after == [*before[:at], "  - справка о туберкулезе", *before[at:]]
    assert yaml.safe_load("\n".join(after))["health"][-1] == "справка о туберкулезе"
    assert "added 'справка о туберкулезе' to health" in out
    assert "0 error(s)" in out


def test_teach_folds_uzbek_to_latin(content: Path) -> None:
    taught = teach(content, "uz", "health", "Тиббий кўрик жойи")
    assert taught.phrase == "tibbiy ko'rik joyi"
    doc = yaml.safe_load(taught.path.read_text(encoding="utf-8"))
    assert doc["health"][-1] == "tibbiy ko'rik joyi"


@pytest.mark.parametrize(
    ("topic", "phrase", "reason"),
    [
        ("healthcare", "справка", "unknown topic 'healthcare'"),
        ("question_words", "справка", "unknown topic"),
        ("health", "звонить на #", "is not a keyword"),
        ("health", "мой врач <name>", "is not a keyword"),
        ("health", "флюорограф", "already a keyword of health"),
        ("health", "патент", "already a keyword of work_permit"),
        ("health", "раз два три четыре пять шесть семь", "longer than"),
    ],
)
def test_teach_refuses_clearly(content: Path, topic: str, phrase: str, reason: str) -> None:
    path = content / "content" / "ru" / "keywords.yaml"
    before = path.read_text(encoding="utf-8")
    with pytest.raises(TeachError, match=reason):
        teach(content, "ru", topic, phrase)
    assert path.read_text(encoding="utf-8") == before


def test_teach_command_refuses_an_unknown_topic(
    content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["misses", "teach", "x-ray", "--topic", "xray", "--lang", "ru", "--content"]
    assert main([*argv, str(content)]) == 1
    assert "refused: unknown topic 'xray'" in capsys.readouterr().err
