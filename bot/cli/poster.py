"""`poster`: the Telegram link and QR code for a poster or leaflet of one campaign.

The code opens the bot in the poster's language and counts the conversation under the campaign
source (see bot/channels/telegram/deeplink.py). The PNG is large and keeps the quiet zone scanners
need, so it prints sharply at any size a poster needs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import segno
import telegram
from telegram.error import InvalidToken, TelegramError

from bot import LANGUAGES
from bot.channels.telegram.deeplink import build_start_payload, start_link
from bot.delivery.campaigns import Campaigns
from bot.settings import Settings, TelegramSettings

ERROR_LEVEL = "q"
"""Recovers about a quarter of the code: survives creases, dirt and a marker pen on a wall."""
QUIET_ZONE = 4
"""Modules of blank margin around the code, as the QR standard asks."""
MIN_WIDTH_PX = 1200
DPI = 300
"""Recorded in the PNG so that it prints 10 cm wide by default; scale it freely, it stays sharp."""


class UsernameError(Exception):
    """The bot's username could not be found; the message says what to set."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("poster", help="a campaign's Telegram link and a QR code PNG to print")
    p.add_argument("--lang", required=True, help=f"the poster's language: {', '.join(LANGUAGES)}")
    p.add_argument("--source", help="the campaign code counted in statistics, e.g. metro")
    p.add_argument(
        "--out", type=Path, help="the PNG file (default: poster-LANG[-SOURCE].png, here)"
    )
    p.add_argument(
        "--username",
        help="the bot's username (default: TELEGRAM_BOT_USERNAME, else asked with the token)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        payload = build_start_payload(args.lang, args.source)
        _refuse_if_not_counted(args.source, Campaigns.configured(settings.stats))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out: Path = args.out or Path(f"poster-{payload}.png")
    if out.suffix.lower() != ".png":
        print(f"error: --out {out}: the file name must end in .png", file=sys.stderr)
        return 2
    try:
        username = args.username or settings.telegram.username or fetch_username(settings.telegram)
        link = start_link(username, payload)
    except (UsernameError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_qr(link, out)
    print(link)
    print(f"written: {out}")
    return 0


def write_qr(link: str, out: Path) -> None:
    """A PNG of the link's QR code, at least MIN_WIDTH_PX wide, quiet zone included."""
    code = segno.make(link, error=ERROR_LEVEL, micro=False)
    width, _ = code.symbol_size(scale=1, border=QUIET_ZONE)
    scale = -(-MIN_WIDTH_PX // width)
    out.parent.mkdir(parents=True, exist_ok=True)
    code.save(str(out), kind="png", scale=scale, border=QUIET_ZONE, dpi=DPI)


def fetch_username(settings: TelegramSettings) -> str:
    """The bot's username from the Bot API (getMe), which needs the token."""
    if not settings.token:
        raise UsernameError(
            "the bot's username is unknown: pass --username NAME,"
            " or set TELEGRAM_BOT_USERNAME or TELEGRAM_BOT_TOKEN"
        )
    try:
        return asyncio.run(_get_me(settings))
    except InvalidToken:  # PTB's own message would print the token
        raise UsernameError(
            "the Bot API rejected TELEGRAM_BOT_TOKEN: check it, or pass --username NAME"
        ) from None
    except TelegramError as exc:
        detail = str(exc).replace(settings.token, "***")
        raise UsernameError(
            f"could not ask the Bot API at {settings.api_url} for the bot's username ({detail}):"
            " pass --username NAME or set TELEGRAM_BOT_USERNAME"
        ) from None


async def _get_me(settings: TelegramSettings) -> str:
    bot = telegram.Bot(settings.token, base_url=f"{settings.api_url}/bot")
    async with bot:  # initialize() asks getMe once and keeps the answer
        return bot.username


def _refuse_if_not_counted(source: str | None, campaigns: Campaigns) -> None:
    """A poster whose code the server would count as `other` is wasted: ValueError says why."""
    if source is not None and campaigns.code(source) != source.lower():
        listed = ", ".join(sorted(campaigns.listed)) or "none"
        raise ValueError(
            f"source '{source.lower()}' is not a listed campaign code, so the server would count"
            f" these conversations as 'other'. Listed: {listed}. Add it to CAMPAIGN_SOURCES"
            " (here and on the server) or choose a listed one"
        )
