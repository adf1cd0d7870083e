"""The ASGI app (Starlette): routes parse, authenticate and hand over. The lifespan starts the
runtime and passes its parts to the routes as lifespan state (`bot/web/state.py`). Each
configured channel adds its routes (`bot/channels/registry.py`); the operator console
(/operator) and the start page leading to the web chat and the console (/) are always on."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import heap
from bot.channels import registry
from bot.channels.base import ChannelPlugin
from bot.operators.console import console_routes
from bot.service.runtime import Runtime
from bot.service.start import start_routes
from bot.settings import Settings
from bot.web import state
from bot.web.bodies import BodyUnread, unread_body
from bot.web.health import database_ok
from bot.web.open_requests import OpenRequestBound


async def healthz(request: Request) -> Response:
    db = state.database(request)
    ok = db is not None and await database_ok(db)
    body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "down"}
    return JSONResponse(body, status_code=200 if ok else 503)


def create_app(
    settings: Settings,
    *,
    watch_content: bool = True,
    local_url: str = "",
    turns: bool = True,
    settle_heap: bool = False,
    on_start: Callable[[Runtime], None] = lambda runtime: None,
    plugins: Sequence[ChannelPlugin] | None = None,
) -> Starlette:
    """`turns`: False leaves the inbox to `work` processes (see `inbox_process.py`).
    `settle_heap`: once started, keep what the process holds out of garbage collections
    (`bot/heap.py`; for `serve`, not for the many apps of one test run). `on_start`: given
    the runtime once it runs (for whoever drives the app from outside, such as tests).
    `plugins`: the channels (the ones the settings turn on when None)."""
    if plugins is None:
        plugins = registry.configured(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime = await Runtime.start(
            settings, plugins, watch_content=watch_content, local_url=local_url, turns=turns
        )
        on_start(runtime)
        if settle_heap:
            heap.settle()
        try:
            yield runtime.services.lifespan_state()
        finally:
            await runtime.stop()

    routes = [Route("/healthz", healthz, methods=["GET"])]
    for plugin in plugins:
        routes += plugin.routes(settings)
    routes += console_routes(settings)
    routes += start_routes()
    bound = Middleware(OpenRequestBound, limit=settings.open_requests_per_address)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[bound],
        exception_handlers={BodyUnread: unread_body},
    )
    app.state.body_timeout = settings.body_timeout_seconds  # read by bot/web/bodies.py
    return app
