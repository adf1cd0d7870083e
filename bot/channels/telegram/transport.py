"""Sending through the Bot API with python-telegram-bot, and what each failure means for the
outbox: 429 waits as long as Telegram asks, network errors and 5xx back off, 403 means the user
blocked the bot, other 4xx are rejections worth a log line (without the text)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram import CHANNEL
from bot.channels.telegram.render import PARSE_MODE, Piece, render
from bot.delivery.sender import Blocked, Delivered, Outcome, Rejected, Retry
from bot.engine.messages import Outgoing
from bot.settings import TelegramSettings

RETRY_AFTER_NOTICE = r".*In a future major version attribute `retry_after`"
"""PTB 22 warns with this each time it builds a RetryAfter, unless the process environment opts
in to its coming type (PTB_TIMEDELTA; there is no argument for it). `retry_seconds` reads either
type, so the notice says nothing to act on and is not shown; the environment is left alone."""
warnings.filterwarnings("ignore", message=RETRY_AFTER_NOTICE, category=PTBDeprecationWarning)


def make_bot(settings: TelegramSettings, *, pool: int = 64) -> Bot:
    """A PTB Bot talking to settings.api_url ({api_url}/bot{token}/{method})."""
    request = HTTPXRequest(
        connection_pool_size=pool, connect_timeout=5, read_timeout=10, write_timeout=10
    )
    updates = HTTPXRequest(connection_pool_size=2, connect_timeout=5, read_timeout=40)
    return Bot(
        settings.token,
        base_url=f"{settings.api_url}/bot",
        base_file_url=f"{settings.api_url}/file/bot",
        request=request,
        get_updates_request=updates,
    )


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB_TIMEDELTA; both work."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramTransport:
    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def render(self, message: Outgoing) -> Sequence[Piece]:
        return render(message)

    async def send(self, address: str, piece: Piece) -> Outcome:
        markup = None
        if piece.keyboard:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in piece.keyboard
                ]
            )
        try:
            await self.bot.send_message(
                chat_id=int(address),
                text=piece.html,
                parse_mode=PARSE_MODE,
                reply_markup=markup,
                link_preview_options=None,
            )
        except RetryAfter as error:
            return Retry(retry_seconds(error), "429")
        except Forbidden:
            return Blocked()
        except InvalidToken:
            return Retry(None, "invalid token")
        except BadRequest as error:
            return Rejected(error.message)
        except NetworkError as error:  # includes timeouts and 5xx
            return Retry(None, type(error).__name__)
        except TelegramError as error:
            return Retry(None, error.message)
        return Delivered()

    async def acknowledge(self, callback_query_id: str) -> None:
        await self.bot.answer_callback_query(callback_query_id)
