"""Writing a MonthReport out: report.html (with charts), report.csv and a terminal summary.

All three are built from the same sections, and every figure passes through bot.stats.suppress,
so a count below 5 reads `<5` everywhere.
"""

from __future__ import annotations

import base64
import calendar
import csv
import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path

from bot.stats import charts, labels
from bot.stats.report import Item, MonthReport
from bot.stats.suppress import SUPPRESSED, THRESHOLD, count_text, ordered, share_text

NO_DATA = "No data yet."


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    note: str
    items: list[tuple[str, str, int]]
    """(key, label, count) in display order."""
    total: int
    chart: Callable[[], bytes] | None = None
    empty: str = NO_DATA
    terminal: bool = True


def _items(
    items: list[Item],
    names: Mapping[str, str],
    *,
    keep_order: bool = False,
    naming: Callable[[Mapping[str, str], str], str] = labels.name,
) -> list[tuple[str, str, int]]:
    rows = [(i.key, naming(names, i.key), i.count) for i in items]
    return rows if keep_order else ordered(rows, lambda r: r[2], lambda r: r[1])


def _bars(title: str, rows: list[tuple[str, str, int]], total: int) -> Callable[[], bytes]:
    return lambda: charts.bars(title, [(label, n) for _, label, n in rows], total)


def sections(report: MonthReport) -> list[Section]:
    r = report
    out: list[Section] = []
    offer = {i.key: i.count for i in r.survey.get("offer", [])}
    summary = [
        ("contacts", "Contacts (conversation-days)", r.contacts),
        ("started", "New conversations", r.started),
        ("topic_answers", "Topic answers given", r.topic_total),
        ("escalations", "Requests for an operator", r.escalation_total),
        ("urgent", "of which urgent", r.urgent),
        ("survey_offered", "Questionnaires offered", offer.get("offered", 0)),
        ("survey_accepted", "Questionnaires accepted", offer.get("accepted", 0)),
    ]
    out.append(Section("summary", "Summary", "", summary, 0, empty="No conversations this month."))

    def add(
        sid: str,
        title: str,
        note: str,
        items: list[Item],
        names: Mapping[str, str],
        total: int,
        *,
        keep_order: bool = False,
        terminal: bool = True,
        naming: Callable[[Mapping[str, str], str], str] = labels.name,
    ) -> None:
        rows = _items(items, names, keep_order=keep_order, naming=naming)
        chart = _bars(title, rows, total) if rows else None
        out.append(Section(sid, title, note, rows, total, chart, terminal=terminal))

    add("topics", "Topics", "share of all topic answers", r.topics, labels.TOPICS, r.topic_total)
    add("languages", "Languages", "share of contacts", r.languages, labels.LANGUAGES, r.contacts)
    add("channels", "Channels", "share of contacts", r.channels, labels.CHANNELS, r.contacts)
    add(
        "sources",
        "Campaign sources",
        "share of contacts",
        r.sources,
        labels.SOURCES,
        r.contacts,
        naming=labels.code,
    )
    days = [(i.key, i.key, i.count) for i in r.daily]
    out.append(
        Section(
            "daily",
            "Daily volume",
            "contacts per day",
            days,
            r.contacts,
            (lambda: charts.daily("Daily volume (contacts)", [(k, n) for k, _, n in days]))
            if r.contacts
            else None,
            terminal=False,
        )
    )
    add(
        "escalations",
        "Requests for an operator",
        "by reason",
        r.escalations,
        labels.REASONS,
        r.escalation_total,
    )
    add(
        "response_times",
        "Operator response times",
        "first reply after a handover",
        r.response_times,
        labels.BUCKETS,
        sum(i.count for i in r.response_times),
        keep_order=True,
    )
    add(
        "outcomes",
        "Operator outcomes",
        "how handed-over conversations ended",
        r.outcomes,
        labels.OUTCOMES,
        sum(i.count for i in r.outcomes),
    )
    for question, answers in r.survey.items():
        names = labels.ANSWERS.get(question, {})
        title = f"Questionnaire: {labels.name(labels.QUESTIONS, question)}"
        # Answers in the questionnaire's own order (age bands read best in order); a fixed order
        # also says nothing about which suppressed answer is larger.
        rank = {key: n for n, key in enumerate(names)}
        answers = sorted(answers, key=lambda i: (rank.get(i.key, len(rank)), i.key))
        if question == "offer":  # yes and no as shares of those offered (a summary figure)
            total = offer.get("offered", 0)
            answers = [i for i in answers if i.key != "offered"]
            note = "share of those offered"
        else:  # skipped questions are not counted, so shares are of those who answered
            total = sum(i.count for i in answers)
            note = "share of answers to this question"
        add(f"survey_{question}", title, note, answers, names, total, keep_order=True)
    return out


def _month_name(report: MonthReport) -> str:
    return f"{calendar.month_name[report.first.month]} {report.first.year}"


# --- HTML ------------------------------------------------------------------------------------
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem
auto;padding:0 1rem;color:#1d2733}h1{margin-bottom:.2rem}.meta{color:#5b6675}
section{margin:2rem 0}table{border-collapse:collapse;min-width:24rem}td,th{padding:.25rem .75rem;
border-bottom:1px solid #e3e7ee;text-align:left}td.n{text-align:right;font-variant-numeric:
tabular-nums}img{max-width:100%;display:block;margin:.5rem 0}.empty{color:#5b6675;font-style:italic}
footer{margin-top:3rem;color:#5b6675;font-size:.9rem}
"""


def _table(section: Section, *, shares: bool) -> str:
    head = "<tr><th></th><th>Count</th>" + ("<th>Share</th>" if shares else "") + "</tr>"
    body = []
    for _, label, n in section.items:
        share = f"<td class=n>{escape(share_text(n, section.total))}</td>" if shares else ""
        body.append(
            f"<tr><td>{escape(label)}</td><td class=n>{escape(count_text(n, grouped=True))}</td>"
            f"{share}</tr>"
        )
    return f"<table>{head}{''.join(body)}</table>"


def html(report: MonthReport, timezone: str, generated: dt.datetime) -> str:
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Helpline statistics, {escape(_month_name(report))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Helpline statistics, {escape(_month_name(report))}</h1>",
        f"<p class=meta>{report.first:%d %B %Y} – {report.last:%d %B %Y}, days in "
        f"{escape(timezone)}. Generated {generated:%Y-%m-%d %H:%M} UTC.</p>",
    ]
    for section in sections(report):
        parts.append(f"<section id={escape(section.id)}><h2>{escape(section.title)}</h2>")
        if section.id == "summary":
            if report.is_empty:
                parts.append(f"<p class=empty>{escape(section.empty)}</p>")
            parts.append(_table(section, shares=False))
        elif not section.items or section.chart is None:
            parts.append(f"<p class=empty>{escape(section.empty)}</p>")
        else:
            png = base64.b64encode(section.chart()).decode("ascii")
            alt = escape(f"{section.title}: {section.note}", quote=True)
            parts.append(f'<img alt="{alt}" src="data:image/png;base64,{png}">')
            if section.id != "daily":
                parts.append(f"<p class=meta>{escape(section.note)}</p>")
                parts.append(_table(section, shares=True))
        parts.append("</section>")
    parts.append(
        f"<footer>Counts from 1 to {THRESHOLD - 1} are shown as {escape(SUPPRESSED)} and their "
        "share is left out, so that no small group of people can be singled out. The statistics "
        "hold counts only: see PRIVACY.md.</footer></body></html>"
    )
    return "\n".join(parts)


# --- CSV and terminal --------------------------------------------------------------------------
def csv_text(report: MonthReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "section", "key", "label", "count", "share"])
    for section in sections(report):
        for key, label, n in section.items:
            share = share_text(n, section.total) if section.id != "summary" else ""
            writer.writerow([report.month, section.id, key, label, count_text(n), share])
    return out.getvalue()


def terminal(report: MonthReport) -> str:
    width = 44
    lines = [f"Helpline statistics, {_month_name(report)}", ""]
    for section in sections(report):
        if not section.terminal:
            continue
        shares = section.id != "summary"
        lines.append(f"{section.title:<{width}}{'Count':>9}{'Share' if shares else '':>7}")
        lines.append("-" * (width + 16))
        if not section.items or (section.id == "summary" and report.is_empty):
            lines.append(f"  {section.empty}")
        for _, label, n in section.items:
            share = share_text(n, section.total) if shares else ""
            lines.append(f"{label[: width - 1]:<{width}}{count_text(n, grouped=True):>9}{share:>7}")
        lines.append("")
    lines.append(f"Counts from 1 to {THRESHOLD - 1} are shown as {SUPPRESSED}.")
    return "\n".join(lines)


def write(report: MonthReport, out_dir: Path, timezone: str, generated: dt.datetime) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, csv_path = out_dir / "report.html", out_dir / "report.csv"
    html_path.write_text(html(report, timezone, generated), encoding="utf-8")
    csv_path.write_text(csv_text(report), encoding="utf-8")
    return [html_path, csv_path]
