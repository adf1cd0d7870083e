"""The Telegram channel's life: introduce the bot to the Bot API (getMe), register the commands
in Russian, Uzbek and Tajik, then either register the webhook (PUBLIC_URL set) or long-poll
(a laptop without a public address). A Bot API that cannot be reached is retried, never fatal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram import Bot, BotCommand
from telegram.error import TelegramError

from bot import DEFAULT_LANGUAGE, LANGUAGES
from bot.aio import wait_event
from bot.channels.base import Job
from bot.channels.telegram import CHANNEL
from bot.channels.telegram.updates import PARSE_ERRORS, to_inbound
from bot.delivery.inbound import IGNORE, Inbound
from bot.delivery.inbox import Intake
from bot.delivery.sender import OutboxSender
from bot.delivery.turns import Acknowledge, Shaper
from bot.engine.texts import Texts

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
COMMANDS = ("start", "menu", "language", "operator", "help", "forget")


class TelegramChannel:
    name = CHANNEL
    shaper: Shaper | None = None

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        texts: Callable[[], Texts],
        *,
        sender: OutboxSender | None = None,
        acknowledge: Acknowledge | None = None,
        public_url: str,
        webhook_secret: str,
        poll_timeout: int = 25,
        polling: asyncio.Event | None = None,
    ) -> None:
        """`polling`: set while this process is the one to long-poll (None: always)."""
        self.bot = bot
        self.sender = sender
        self.acknowledge = acknowledge
        self.intake = intake
        self.texts = texts
        self.public_url = public_url
        self.webhook_secret = webhook_secret
        self.poll_timeout = poll_timeout
        self.polling = polling
        self.ready = asyncio.Event()
        self._stopping = asyncio.Event()

    def jobs(self) -> dict[str, Job]:
        return {"telegram": self.run()}

    async def prepare_turns(self) -> None:
        with contextlib.suppress(TelegramError):  # acknowledging works without getMe
            await self.bot.initialize()

    @property
    def uses_webhook(self) -> bool:
        return bool(self.public_url)

    async def run(self) -> None:
        """Set up (retrying while the Bot API is unreachable); poll when there is no webhook."""
        delay = 1.0
        while not self._stopping.is_set():
            try:
                await self._setup()
                break
            except TelegramError as error:
                log.warning("telegram: setup failed (%s); retrying in %.0fs", error, delay)
                await self._sleep(delay)
                delay = min(60.0, delay * 2)
        self.ready.set()
        if not self.uses_webhook:
            await self._poll()

    async def _setup(self) -> None:
        await self.bot.initialize()
        await self._register_commands()
        if self.uses_webhook:
            await self.bot.set_webhook(
                url=f"{self.public_url}{WEBHOOK_PATH}",
                secret_token=self.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            log.info("telegram: webhook registered at %s%s", self.public_url, WEBHOOK_PATH)
        else:
            await self.bot.delete_webhook()
            log.info("telegram: long polling (no PUBLIC_URL)")

    async def _register_commands(self) -> None:
        texts = self.texts()
        # None: the descriptions for users whose app language is none of ours
        for lang in (None, *LANGUAGES):
            commands = [
                BotCommand(
                    name, texts.render(lang or DEFAULT_LANGUAGE, f"telegram.commands.{name}")
                )
                for name in COMMANDS
            ]
            await self.bot.set_my_commands(commands, language_code=lang)

    async def _poll(self) -> None:
        offset: int | None = None
        delay = 1.0
        while not self._stopping.is_set():
            if self.polling is not None and not self.polling.is_set():
                await wait_event(self.polling, 1.0)  # another process polls
                offset = None  # it moved the offset on meanwhile
                continue
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=self.poll_timeout,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                delay = 1.0
            except TelegramError as error:  # network, 5xx, 409 while another poller hangs up
                log.warning("telegram: polling failed (%s); retrying in %.0fs", error, delay)
                await self._sleep(delay)
                delay = min(60.0, delay * 2)
                continue
            for update in updates:
                try:
                    inbound = to_inbound(update)
                except PARSE_ERRORS:  # not something a user sent us; nothing to answer
                    log.warning("telegram: skipped an update of an unexpected shape")
                    inbound = Inbound(CHANNEL, str(update.update_id), kind=IGNORE)
                try:
                    await self.intake.accept(inbound)
                except Exception:
                    # not acknowledged: Telegram hands it out again on the next getUpdates
                    log.warning("telegram: could not record an update; will fetch it again")
                    await self._sleep(delay)
                    break
                offset = update.update_id + 1

    async def _sleep(self, seconds: float) -> None:
        await wait_event(self._stopping, seconds)

    async def stop(self) -> None:
        self._stopping.set()

    async def close(self) -> None:
        try:
            await self.bot.shutdown()
        except Exception:  # an uninitialised or unreachable bot has nothing to release
            log.debug("telegram: shutdown incomplete", exc_info=True)
