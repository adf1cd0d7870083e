"""`serve`: the web app (health, webhooks) with every configured channel, until stopped."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

import uvicorn

from bot.channels import registry
from bot.service.asgi import create_app
from bot.service.assembly import ELSEWHERE_NEEDS_POSTGRES
from bot.settings import Settings
from bot.storage.database import asyncpg_dsn
from bot.web.server import uvicorn_options

log = logging.getLogger(__name__)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the server: webhooks, channels, health")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    add_reload_option(p)
    p.add_argument(
        "--no-turns",
        action="store_true",
        help="leave the inbox to `python -m bot work` processes (PostgreSQL only)",
    )
    p.set_defaults(run=run)


def add_reload_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-reload-content",
        action="store_true",
        help="do not watch flows/ and content/ for changes",
    )


def service_logging() -> None:
    """What a long-running process logs: its own INFO, not the HTTP clients' chatter."""
    logging.getLogger().setLevel(logging.INFO)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot's token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # twilio's clients (the async one is `twilio.async_http_client`) log ten lines per SMS
    logging.getLogger("twilio").setLevel(logging.WARNING)


def run(args: argparse.Namespace) -> int:
    service_logging()
    settings = Settings.from_env()
    if args.no_turns and asyncpg_dsn(settings.database_url) is None:
        print(f"serve: {ELSEWHERE_NEEDS_POSTGRES}", file=sys.stderr)
        return 2
    plugins = registry.configured(settings)
    channels = [plugin.name for plugin in plugins]
    print(
        f"Serving on http://{args.host}:{args.port} "
        f"(database {settings.database_url.split('://', 1)[0]}; "
        f"channels: {', '.join(channels)}; operator console: /operator)",
        flush=True,
    )
    app = create_app(
        settings,
        watch_content=not args.no_reload_content,
        local_url=f"http://{args.host}:{args.port}",
        turns=not args.no_turns,
        settle_heap=True,
        plugins=plugins,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=15,
        **uvicorn_options(settings),
    )
    return 0
