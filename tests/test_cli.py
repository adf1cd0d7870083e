"""The editors' small tools: graph, the chat's SMS rendering details, and campaign posters."""

from __future__ import annotations

from pathlib import Path

import PIL.Image
import pytest
import zxingcpp

from bot.channels.rendering import render_sms
from bot.cli.graph import mermaid
from bot.cli.main import main
from bot.engine.messages import OptionOut, Outgoing
from bot.engine.model import Bundle
from bot.engine.texts import Texts
from bot.settings import HotlineSettings
from tests.fakes.telegram_api import FakeTelegram


def test_graph_draws_every_node_and_edge(shipped_bundle: Bundle) -> None:
    texts = Texts(shipped_bundle, HotlineSettings())
    diagram = mermaid(shipped_bundle, texts, "registration", "ru")
    assert diagram.startswith("flowchart TD")
    flow = shipped_bundle.flows["registration"]
    for node in flow.nodes.values():
        assert node.ref.replace(".", "__") in diagram
    edges = sum(len(node.options) for node in flow.nodes.values())
    assert diagram.count("-->") == edges
    assert '|"Узбекистан"|' in diagram


def test_sms_rendering_uses_sms_text_numbers_and_folds_to_gsm7() -> None:
    message = Outgoing(
        text="long text",
        sms_text="Roʻyxat — 15\xa0kun",
        options=(OptionOut("a", "Oʻzbekiston", 1), OptionOut("nav:operator", "Operator", 0)),
    )
    assert render_sms(message) == "Ro'yxat - 15 kun\n1 O'zbekiston\n0 Operator"


@pytest.fixture
def poster_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment for `poster`, run in an empty folder (its default output place)."""
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BOT_USERNAME",
        "TELEGRAM_API_URL",
        "CAMPAIGN_SOURCES",
        "SMS_SOURCE_KEYWORDS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def decode(path: Path) -> list[str]:
    with PIL.Image.open(path) as image:
        return [result.text for result in zxingcpp.read_barcodes(image)]


def test_poster_qr_code_decodes_to_the_printed_link(
    poster_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["poster", "--lang", "uz", "--source", "metro", "--username", "helpline_bot"]) == 0
    link = capsys.readouterr().out.splitlines()[0]
    assert link == "https://t.me/helpline_bot?start=uz-metro"
    path = poster_env / "poster-uz-metro.png"
    assert decode(path) == [link]
    with PIL.Image.open(path) as image:
        gray = image.convert("L")
        width, height = gray.size
        assert width == height >= 1000
        margin = width // 20  # the quiet zone: 4 of at most ~53 modules, blank all round
        frame = [
            gray.getpixel((x, y))
            for x in range(width)
            for y in (*range(margin), *range(height - margin, height))
        ]
        frame += [
            gray.getpixel((x, y))
            for y in range(height)
            for x in (*range(margin), *range(width - margin, width))
        ]
        assert min(frame) == 255


def test_poster_username_from_settings_and_out_file(
    poster_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@helpline_env_bot")
    out = poster_env / "print" / "ru.png"
    assert main(["poster", "--lang", "ru", "--out", str(out)]) == 0
    link, written = capsys.readouterr().out.splitlines()
    assert link == "https://t.me/helpline_env_bot?start=ru"
    assert written == f"written: {out}"
    assert decode(out) == [link]


def test_poster_asks_the_bot_api_for_the_username(
    poster_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeTelegram() as fake:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
        monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
        assert main(["poster", "--lang", "tg", "--source", "leaflet"]) == 0
        assert [call.status for call in fake.calls_to("getMe")] == [200]
    link = capsys.readouterr().out.splitlines()[0]
    assert link == f"https://t.me/{fake.username}?start=tg-leaflet"
    assert decode(poster_env / "poster-tg-leaflet.png") == [link]


def test_poster_never_prints_a_rejected_token(
    poster_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeTelegram() as fake:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "999:not-the-token")
        monkeypatch.setenv("TELEGRAM_API_URL", fake.url)
        assert main(["poster", "--lang", "ru"]) == 2
    captured = capsys.readouterr()
    assert "rejected TELEGRAM_BOT_TOKEN" in captured.err
    assert "not-the-token" not in captured.out + captured.err
    assert list(poster_env.iterdir()) == []


def test_poster_without_username_or_token_says_what_to_set(
    poster_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["poster", "--lang", "uz", "--source", "metro"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    for hint in ("--username", "TELEGRAM_BOT_USERNAME", "TELEGRAM_BOT_TOKEN"):
        assert hint in captured.err
    assert list(poster_env.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "en"], "unknown language 'en'"),
        (["--lang", "ru", "--source", "met ro"], "source 'met ro'"),
        (["--lang", "ru", "--source", "79001234567"], "source '79001234567'"),
        (["--lang", "ru", "--out", "poster.jpg"], "must end in .png"),
        (["--lang", "ru", "--username", "t.me/helpline_bot"], "not a Telegram username"),
    ],
)
def test_poster_refuses_bad_input(
    poster_env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    username = [] if "--username" in args else ["--username", "helpline_bot"]
    assert main(["poster", *args, *username]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert list(poster_env.iterdir()) == []


def test_poster_refuses_a_code_the_server_would_count_as_other(
    poster_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["poster", "--lang", "ru", "--source", "aziz", "--username", "helpline_bot"]
    assert main(argv) == 2  # no CAMPAIGN_SOURCES: only the default codes are counted
    err = capsys.readouterr().err
    assert "source 'aziz' is not a listed campaign code" in err and "metro" in err
    assert list(poster_env.iterdir()) == []
    monkeypatch.setenv("CAMPAIGN_SOURCES", "metro,leaflet2026")
    assert main([*argv[:4], "bus", *argv[5:]]) == 2  # listed by default, not in this list
    assert "'bus' is not a listed campaign code" in capsys.readouterr().err
    assert main([*argv[:4], "leaflet2026", *argv[5:]]) == 0
    assert capsys.readouterr().err == ""
