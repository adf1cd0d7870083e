"""The ASGI app (Starlette): routes parse, authenticate and hand over to the runtime, which the
lifespan starts and stops. Telegram and SMS add their routes only when configured; the web chat
(/chat), the operator console (/operator) and the start page leading to both (/) are always on."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import heap
from bot.channels.sms.webhook import INBOUND_PATH, STATUS_PATH, inbound_endpoint, status_endpoint
from bot.channels.telegram.channel import WEBHOOK_PATH
from bot.channels.telegram.webhook import make_endpoint
from bot.channels.web.routes import chat_routes
from bot.operators.console import console_routes
from bot.runtime import Runtime
from bot.settings import Settings
from bot.web.bodies import BodyUnread, unread_body
from bot.web.health import database_ok
from bot.web.open_requests import OpenRequestBound
from bot.web.start import start_routes


def create_app(
    settings: Settings,
    *,
    watch_content: bool = True,
    local_url: str = "",
    turns: bool = True,
    settle_heap: bool = False,
) -> Starlette:
    """`turns`: False leaves the inbox to `work` processes (see `bot/inbox_process.py`).
    `settle_heap`: once started, keep what the process holds out of garbage collections
    (`bot/heap.py`; for `serve`, not for the many apps of one test run)."""
    holder: dict[str, Runtime] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await Runtime.start(
            settings, watch_content=watch_content, local_url=local_url, turns=turns
        )
        holder["runtime"] = runtime
        app.state.runtime = runtime
        if settle_heap:
            heap.settle()
        try:
            yield
        finally:
            await runtime.stop()

    async def healthz(request: Request) -> Response:
        runtime = holder.get("runtime")
        ok = runtime is not None and await database_ok(runtime.app.db)
        body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "down"}
        return JSONResponse(body, status_code=200 if ok else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if settings.telegram.enabled and settings.public_url:
        endpoint = make_endpoint(
            lambda: holder["runtime"].intake, settings.resolved_webhook_secret()
        )
        routes.append(Route(WEBHOOK_PATH, endpoint, methods=["POST"]))
    if settings.twilio.enabled and settings.public_url:
        token, public = settings.twilio.auth_token, settings.public_url
        keywords = settings.stats.sms_keywords
        inbound = inbound_endpoint(lambda: holder["runtime"].intake, token, public, keywords)
        status = status_endpoint(
            lambda: holder["runtime"].app.service.sessions,
            settings.resolved_secret_key(),
            token,
            public,
        )
        routes.append(Route(INBOUND_PATH, inbound, methods=["POST"]))
        routes.append(Route(STATUS_PATH, status, methods=["POST"]))
    routes += chat_routes(
        lambda: holder["runtime"].intake,
        lambda: holder["runtime"].web_hub,
        lambda: holder["runtime"].app.service.engine.texts,
        secret=settings.resolved_secret_key(),
        public_url=settings.public_url,
        ttl_days=settings.conversation_ttl_days,
    )
    routes += console_routes(lambda: holder["runtime"], settings)
    routes += start_routes(lambda: holder["runtime"].app.service.engine.texts)
    bound = Middleware(OpenRequestBound, limit=settings.open_requests_per_address)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[bound],
        exception_handlers={BodyUnread: unread_body},
    )
    app.state.body_timeout = settings.body_timeout_seconds  # read by bot/web/bodies.py
    return app
