"""The web chat's routes: the page, what a page sends (a message, a pressed button, a (re)start),
the stream of replies, and the page's script and style sheet.

    GET  /chat              the page; sets the visitor cookie and embeds the page token
    POST /chat/send         {"id": uuid, "text": ...} or {"id": uuid, "choice": option id}
    POST /chat/start        {"id": uuid, "hint": browser language}; ?lang= and ?src= as on the page
    GET  /chat/events       server-sent events: one JSON piece {text, options} per reply, with
                            an id; Last-Event-ID (or ?last=) sends again what came after it
    GET  /chat/static/NAME  chat.js, chat.css

A POST needs the visitor cookie, the page token in `X-Chat-Token` and no foreign Origin (403),
a body of at most 16 KB (413) of well-formed JSON (400), and no more than about five a second
from one visitor, nor more than the limits of its address (`limits.py`), nor a visitor with no
page open for whom `backlog.MAX_WAITING` replies already wait (429). It is answered 202 once
recorded in the inbox; the page's `id` is the update's external id, so a POST the page retries
after a lost answer is processed once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.channels.web import backlog
from bot.channels.web.hub import Hub
from bot.channels.web.limits import ADDRESS_BURST, ADDRESS_RATE, Newcomers, RateLimit
from bot.channels.web.page import (
    MAX_TEXT,
    Page,
    accepted_language,
    language_tag,
    page_language,
    page_texts,
)
from bot.channels.web.transport import CHANNEL
from bot.channels.web.visitor import (
    TOKEN_HEADER,
    is_secure,
    keep_visitor,
    new_visitor,
    page_token,
    page_token_ok,
    same_origin,
    visitor_of,
)
from bot.delivery.inbound import START, Inbound
from bot.delivery.recording import recorded
from bot.storage.pseudonym import pseudonym
from bot.web import state
from bot.web.bodies import BodyTooLarge, read_body

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024
MAX_CHOICE = 64
PING_SECONDS = 15
"""A comment line this often keeps proxies from closing a quiet stream."""
SEND_TIMEOUT = 10.0
"""A stream whose visitor stops reading for this long is closed (the page reconnects)."""
RECONNECT_MS = 3000
SHUTDOWN_GRACE = 1.0
"""Seconds a stream has to end by itself once the server is stopping."""
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
        " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
ASSET_HEADERS = {"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"}


def error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=status)


class Invalid(ValueError):
    """A body that is JSON but not a message this channel takes."""


def update_id(data: dict[str, Any], visitor: str) -> str:
    """The deduplication key: the page's message UUID scoped to its visitor, so no one can
    make another visitor's message look like a repeat by sending the same UUID."""
    value = data.get("id")
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise Invalid("id must be a UUID")
    return hashlib.sha256(f"{visitor}:{value.lower()}".encode()).hexdigest()


def message_fields(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(text, choice): exactly one of them, as the engine takes it."""
    text, choice = data.get("text"), data.get("choice")
    if (text is None) == (choice is None):
        raise Invalid("give either text or choice")
    if text is not None:
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise Invalid(f"text must be 1-{MAX_TEXT} characters")
        return text.strip(), None
    if (
        not isinstance(choice, str)
        or not 0 < len(choice) <= MAX_CHOICE
        or not (choice.isascii() and choice.isprintable())
    ):
        raise Invalid("choice must be an option id")
    return None, choice


async def relay(
    hub: Hub, visitor: str, last_event_id: str | None, shutdown: anyio.Event
) -> AsyncIterator[ServerSentEvent]:
    """The visitor's replies as events, each counted delivered only once written, until the
    visitor leaves or the server stops (`shutdown`, set by sse-starlette when it notices)."""
    async with hub.connect(visitor, last_event_id) as stream:

        async def end_on_shutdown() -> None:
            await shutdown.wait()
            stream.end()  # the generator returns and the response ends properly

        watcher = asyncio.create_task(end_on_shutdown())
        try:
            yield ServerSentEvent(comment="open", retry=RECONNECT_MS)
            while (delivery := await stream.next()) is not None:
                data = json.dumps(delivery.piece, ensure_ascii=False)
                yield ServerSentEvent(data, id=delivery.event_id)
                delivery.settle(True)
        finally:
            watcher.cancel()


def from_web_query(query: str | Mapping[str, str]) -> str | None:
    """The `src` parameter of a web-chat URL query ("src=metro&x=1") or of parsed parameters."""
    if isinstance(query, str):
        values = parse_qs(query.lstrip("?")).get("src")
        return values[0] if values else None
    return query.get("src")


def chat_routes(
    hub: Callable[[Request], Hub],
    *,
    secret: bytes,
    public_url: str,
    ttl_days: int,
) -> list[Route]:
    """The routes; the intake and texts they use are in the lifespan state, and `hub` finds
    the running channel's hub there."""
    page = Page()
    limit = RateLimit()
    per_address = RateLimit(ADDRESS_RATE, ADDRESS_BURST)
    newcomers = Newcomers()
    max_age = max(1, ttl_days) * 24 * 3600

    async def chat_page(request: Request) -> Response:
        visitor = visitor_of(request) or new_visitor()
        lang = page_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        html = page.render(
            lang, page_texts(state.content(request).texts()), page_token(secret, visitor)
        )
        response = HTMLResponse(html, headers=PAGE_HEADERS)
        keep_visitor(response, visitor, max_age=max_age, secure=is_secure(request, public_url))
        return response

    async def posted(request: Request) -> tuple[str, dict[str, Any]] | Response:
        """The visitor and the JSON body of an allowed POST, or the refusal to answer."""
        visitor = visitor_of(request)
        given = request.headers.get(TOKEN_HEADER, "")
        if (
            not same_origin(request, public_url)
            or visitor is None
            or not page_token_ok(secret, visitor, given)
        ):
            return error(403, "forbidden")
        address = request.client.host if request.client else ""
        if (
            not limit.allow(visitor)
            or not newcomers.allow(address, visitor)
            or not per_address.allow(address)
        ):
            return error(429, "too many messages")
        if not hub(request).recently_seen(visitor):
            current = state.intake(request)
            if await backlog.full(current.sessions, pseudonym(current.secret, CHANNEL, visitor)):
                return error(429, "replies are waiting: open the chat to read them")
        try:
            data = json.loads(await read_body(request, MAX_BODY))
        except BodyTooLarge:
            return error(413, "body too large")
        except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested absurdly deep
            return error(400, "malformed JSON")
        if not isinstance(data, dict):
            return error(400, "a JSON object is expected")
        return visitor, data

    async def accepted(request: Request, inbound: Inbound) -> Response:
        try:
            added = await recorded(state.intake(request).accept(inbound))
        except Exception:
            log.warning("web: could not record a message; the page retries it")
            return error(503, "unavailable")
        return JSONResponse({"accepted": True, "new": added}, status_code=202)

    async def chat_send(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        visitor, data = got
        try:
            external_id = update_id(data, visitor)
            text, choice = message_fields(data)
        except Invalid as problem:
            return error(400, str(problem))
        hint = accepted_language(request.headers.get("accept-language"))
        inbound = Inbound(
            CHANNEL,
            external_id,
            user_id=visitor,
            address=visitor,
            text=text,
            choice=choice,
            lang_hint=hint,
        )
        return await accepted(request, inbound)

    async def chat_start(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        visitor, data = got
        try:
            external_id = update_id(data, visitor)
        except Invalid as problem:
            return error(400, str(problem))
        hint = data.get("hint")
        inbound = Inbound(
            CHANNEL,
            external_id,
            user_id=visitor,
            address=visitor,
            kind=START,
            lang=language_tag(request.query_params.get("lang")),
            lang_hint=(language_tag(hint) if isinstance(hint, str) else None)
            or accepted_language(request.headers.get("accept-language")),
            source=from_web_query(request.query_params),  # intake keeps only a listed code
        )
        return await accepted(request, inbound)

    async def chat_events(request: Request) -> Response:
        visitor = visitor_of(request)
        if visitor is None:
            return error(403, "forbidden")
        current = hub(request)
        if current.full(visitor):
            return error(429, "too many open pages")
        # EventSource sends the header when it reconnects by itself; the page passes `last`
        # when it opens a new one (after a refused connection, or a reload)
        last = request.headers.get("last-event-id") or request.query_params.get("last")
        shutdown = anyio.Event()
        return EventSourceResponse(
            relay(current, visitor, last, shutdown),
            ping=PING_SECONDS,
            send_timeout=SEND_TIMEOUT,
            headers={"Cache-Control": "no-store"},
            shutdown_event=shutdown,
            # without it the stream is cut mid-response, which uvicorn reports as an error
            shutdown_grace_period=SHUTDOWN_GRACE,
        )

    async def chat_asset(request: Request) -> Response:
        asset = page.assets.get(request.path_params["name"])
        if asset is None:
            return error(404, "not found")
        return Response(asset.body, media_type=asset.media_type, headers=ASSET_HEADERS)

    return [
        Route("/chat", chat_page, methods=["GET"]),
        Route("/chat/send", chat_send, methods=["POST"]),
        Route("/chat/start", chat_start, methods=["POST"]),
        Route("/chat/events", chat_events, methods=["GET"]),
        Route("/chat/static/{name}", chat_asset, methods=["GET"]),
    ]
