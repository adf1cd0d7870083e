"""The monthly report: what a few conversations look like in it, small-count suppression in every
output, percentages like the hotline's, an empty month, and a month of 100,000 conversations."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import LANGUAGES
from bot.cli.main import main
from bot.engine.model import Bundle
from bot.operators.words import REASONS
from bot.stats import labels
from bot.stats.render import csv_text, html, terminal, write
from bot.stats.report import collect, parse_month
from bot.stats.tables import ContactCount, OutcomeCount, SurveyCount, TopicCount
from bot.storage.database import migrate, open_engine, sessions
from tests.stats.conftest import Harness
from tests.stats.simulate import simulate_month

MONTH = "2026-11"
DAY = dt.date(2026, 11, 23)
GENERATED = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[async_sessionmaker[Any]]:
    engine = open_engine(sqlite_url)
    await migrate(engine)
    yield sessions(engine)
    await engine.dispose()


async def _insert(db: async_sessionmaker[Any], model: Any, rows: list[dict[str, Any]]) -> None:
    async with db() as session, session.begin():
        await session.execute(insert(model.__table__), rows)


async def _small_and_large(db: async_sessionmaker[Any]) -> None:
    def topic(name: str, n: int) -> dict[str, Any]:
        return {
            "day": DAY,
            "topic": name,
            "lang": "ru",
            "channel": "telegram",
            "source": "none",
            "count": n,
        }

    await _insert(
        db,
        TopicCount,
        [
            topic("work_permit", 22),
            topic("registration", 74),
            topic("quota", 3),
            topic("health", 1),
        ],
    )
    await _insert(
        db,
        ContactCount,
        [
            {
                "day": DAY,
                "lang": "ru",
                "channel": "telegram",
                "source": "none",
                "active": 90,
                "started": 80,
            },
            {
                "day": DAY,
                "lang": "tg",
                "channel": "sms",
                "source": "metro",
                "active": 4,
                "started": 4,
            },
        ],
    )
    await _insert(
        db, SurveyCount, [{"month": MONTH, "question": "gender", "answer": "female", "count": 2}]
    )


def _csv(report_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(report_text)))


async def test_a_few_conversations_show_in_this_months_report(h: Harness) -> None:
    for user, lines in (("a", ["2"]), ("b", ["2", "1"]), ("c", ["1", "1"])):
        await h.start(user)
        for line in lines:  # work permit; work permit twice; registration, Uzbekistan
            await h.say(user, line)
    async with h.app.service.sessions() as session:
        report = await collect(session, MONTH)
    assert [(i.key, i.count) for i in report.topics] == [("work_permit", 2), ("registration", 1)]
    summary = terminal(report)
    assert "Work permit (patent)" in summary and "Registration" in summary
    assert "<5" in summary


async def test_small_counts_are_suppressed_in_html_csv_and_terminal(
    db: async_sessionmaker[Any],
) -> None:
    await _small_and_large(db)
    async with db() as session:
        report = await collect(session, MONTH)

    rows = _csv(csv_text(report))
    by_key = {(r["section"], r["key"]): r for r in rows}
    assert by_key[("topics", "work_permit")]["share"] == "22%"  # 22 of 100 topic answers
    assert by_key[("topics", "registration")]["share"] == "74%"
    for key in ("quota", "health"):
        assert by_key[("topics", key)]["count"] == "<5"
        assert by_key[("topics", key)]["share"] == ""  # a share would give the count back
    assert by_key[("languages", "tg")]["count"] == "<5"
    assert by_key[("survey_gender", "female")]["count"] == "<5"
    assert not [r for r in rows if r["count"] in {"1", "2", "3", "4"}]

    page = html(report, "Europe/Moscow", GENERATED)
    cells = re.findall(r"<td class=n>([^<]*(?:&lt;5)?)</td>", page)
    assert "&lt;5" in cells
    assert not {"1", "2", "3", "4"} & set(cells)
    assert "<td class=n>22%</td>" in page

    text = terminal(report)
    quota = next(line for line in text.splitlines() if line.startswith("Quotas"))
    assert quota.split()[-1] == "<5"
    assert not re.search(r"\s[1-4]\s*$", text, re.MULTILINE)


async def test_an_empty_month_renders(db: async_sessionmaker[Any], tmp_path: Path) -> None:
    async with db() as session:
        report = await collect(session, "2027-02")
    assert report.is_empty and len(report.daily) == 28
    paths = write(report, tmp_path / "out", "Europe/Moscow", GENERATED)
    page = paths[0].read_text(encoding="utf-8")
    assert "No conversations this month." in page and "No data yet." in page
    assert "<img" not in page
    assert _csv(paths[1].read_text(encoding="utf-8"))[0]["count"] == "0"
    assert "No data yet." in terminal(report)


async def test_operator_sections_say_no_data_yet_and_text_is_escaped(
    db: async_sessionmaker[Any],
) -> None:
    await _small_and_large(db)
    async with db() as session:
        report = await collect(session, MONTH)
    page = html(report, "Europe/Moscow", GENERATED)
    for section in ("response_times", "outcomes"):
        assert re.search(
            rf"<section id={section}><h2>[^<]+</h2>\s*<p class=empty>No data yet", page
        )
    assert page.count("<img") == 6  # topics, languages, channels, sources, daily, survey

    hostile = "<img src=x onerror=alert(1)>"  # only reachable by writing to the table directly
    await _insert(
        db,
        OutcomeCount,
        [{"day": DAY, "lang": "ru", "channel": "sms", "outcome": hostile, "count": 9}],
    )
    async with db() as session:
        page = html(await collect(session, MONTH), "Europe/Moscow", GENERATED)
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


async def test_a_month_of_100000_conversations_renders(
    db: async_sessionmaker[Any], tmp_path: Path
) -> None:
    async with db() as session, session.begin():
        simulated = await simulate_month(session, MONTH, 100_000)
    async with db() as session:
        report = await collect(session, MONTH)
    write(report, tmp_path, "Europe/Moscow", GENERATED)
    assert report.contacts == report.started == 100_000
    assert {i.key: i.count for i in report.topics} == dict(simulated.topics)
    assert sum(i.count for i in report.daily) == 100_000
    assert report.response_times and report.outcomes and "heard_from" in report.survey
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("<img") >= 10
    summary = next(r for r in _csv((tmp_path / "report.csv").read_text()) if r["key"] == "contacts")
    assert summary["count"] == "100000"


def test_the_report_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert main(["report", "--month", MONTH]) == 0
    out = capsys.readouterr().out
    assert "Helpline statistics, November 2026" in out
    folder = tmp_path / "data" / "reports" / MONTH
    assert (folder / "report.html").exists() and (folder / "report.csv").exists()
    assert main(["report", "--month", "2026-13"]) == 2
    assert parse_month("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


async def test_operator_outcomes_show_human_names(db: async_sessionmaker[Any]) -> None:
    await _small_and_large(db)
    rows = [("labour_rights", 7), ("other", 6), ("general", 5)]
    await _insert(
        db,
        OutcomeCount,
        [{"day": DAY, "lang": "ru", "channel": "sms", "outcome": o, "count": n} for o, n in rows],
    )
    async with db() as session:
        report = await collect(session, MONTH)
    page = html(report, "Europe/Moscow", GENERATED)
    outcomes = page.split("<section id=outcomes>", 1)[1].split("</section>", 1)[0]
    assert "<td>Labour rights, wages</td>" in outcomes
    assert "<td>Other</td>" in outcomes and "<td>General</td>" in outcomes
    assert "labour_rights" not in outcomes
    summary = terminal(report).split("Operator outcomes", 1)[1]
    assert "Labour rights, wages" in summary and "labour_rights" not in summary
    assert "Labour rights, wages" in csv_text(report)


def test_every_id_the_counters_store_has_a_name(shipped_bundle: Bundle) -> None:
    topics = {flow.topic for flow in shipped_bundle.flows.values()}
    assert topics <= set(labels.TOPICS)
    assert {*topics, "other"} <= set(labels.OUTCOMES)
    assert set(LANGUAGES) <= set(labels.LANGUAGES)
    assert set(REASONS) <= set(labels.REASONS)
    # an id that has no name yet (a topic added later) still reads as words
    assert labels.name(labels.OUTCOMES, "new_topic") == "New topic"
