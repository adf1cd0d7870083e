"""The floor: a minimal echo bot on the same stack (Starlette, uvicorn, python-telegram-bot).

POST /telegram/webhook checks the secret, parses the update with `Update.de_json`, hands
(chat, text) to an in-memory queue and answers 200; a sender task replies with the same text
through a `telegram.Bot` at the same fake, paced by the server's own `Pacer` (30/s, 1/s per chat)
so it gets no 429s. No database, no engine: what the stack alone costs per update.
`GET /_echo/stats` reports how many updates were handed to the sender and how many were sent.

    python -m bench.echo --port 8090 --api-url http://127.0.0.1:8081 --token 123456:TEST-token
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.delivery.pacing import Pacer

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Echo:
    def __init__(self, bot: Bot, secret: str, rate: float, per_chat: float) -> None:
        self.bot = bot
        self.secret = secret.encode()
        self.pacer = Pacer(rate, per_chat)
        self.queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self.handed = 0
        self.sent = 0
        self.failed = 0

    async def webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        update = Update.de_json(json.loads(await request.body()), self.bot)
        if update.callback_query is not None and update.callback_query.message is not None:
            chat, text = update.callback_query.message.chat.id, update.callback_query.data
        elif update.message is not None:
            chat, text = update.message.chat.id, update.message.text
        else:
            return Response(status_code=200)
        self.queue.put_nowait((chat, text or "?"))
        self.handed += 1
        return Response(status_code=200)

    async def stats(self, request: Request) -> Response:
        body = {"handed": self.handed, "sent": self.sent, "failed": self.failed}
        return JSONResponse(body)

    async def send_forever(self) -> None:
        tasks: set[asyncio.Task[None]] = set()
        while True:
            chat, text = await self.queue.get()
            key = str(chat)
            await self.pacer.acquire(key)
            task = asyncio.create_task(self._send(key, chat, text))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _send(self, key: str, chat: int, text: str) -> None:
        try:
            await self.bot.send_message(chat_id=chat, text=text)
            self.sent += 1
        except TelegramError:
            self.failed += 1
        finally:
            self.pacer.release(key)


def create_app(echo: Echo) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await echo.bot.initialize()
        sender = asyncio.create_task(echo.send_forever())
        try:
            yield
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await echo.bot.shutdown()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/telegram/webhook", echo.webhook, methods=["POST"]),
        Route("/_echo/stats", echo.stats, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A minimal echo bot: the benchmark's floor.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--api-url", required=True, help="the Bot API root (the fake)")
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--secret", default="bench-webhook-secret")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--per-chat", type=float, default=1.0)
    args = parser.parse_args(argv)
    request = HTTPXRequest(connection_pool_size=64)
    bot = Bot(args.token, base_url=f"{args.api_url}/bot", request=request)
    app = create_app(Echo(bot, args.secret, args.rate, args.per_chat))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
