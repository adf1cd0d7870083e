"""The server's own address: a start page that leads to the web chat and to the operator
console, in the visitor's language (`?lang=`, else the browser's Accept-Language, else Russian,
as the chat decides), and the icon every page names (/favicon.ico).

Its words are the content keys `webchat.start.*`, rendered by the engine's texts, so an edit to
the content files shows on the next page load. The template escapes everything it is given."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot import LANGUAGES
from bot.channels.web.page import page_language
from bot.channels.web.routes import ASSET_HEADERS, PAGE_HEADERS
from bot.web import state

HERE = Path(__file__).resolve().parent
START_KEYS = ("title", "intro", "chat", "languages", "console")
"""The page's words, each `webchat.start.<name>` in every language's content."""
ICON_TYPE = "image/vnd.microsoft.icon"


def start_routes(root: Path = HERE) -> list[Route]:
    """GET /, /favicon.ico and the page's style sheet; the texts are the lifespan state's."""
    environment = Environment(
        loader=FileSystemLoader(root / "templates"), autoescape=True, undefined=StrictUndefined
    )
    template = environment.get_template("start.html")
    style = (root / "static" / "start.css").read_bytes()
    icon = (root / "static" / "favicon.ico").read_bytes()
    version = hashlib.sha256(style).hexdigest()[:12]

    async def start_page(request: Request) -> Response:
        current = state.content(request).texts()
        lang = page_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        html = template.render(
            lang=lang,
            t={name: current.render(lang, f"webchat.start.{name}") for name in START_KEYS},
            languages=[(code, current.render(code, "common.language.name")) for code in LANGUAGES],
            version=version,
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)

    async def favicon(request: Request) -> Response:
        return Response(icon, media_type=ICON_TYPE, headers=ASSET_HEADERS)

    async def stylesheet(request: Request) -> Response:
        return Response(style, media_type="text/css; charset=utf-8", headers=ASSET_HEADERS)

    return [
        Route("/", start_page, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/static/start.css", stylesheet, methods=["GET"]),
    ]
