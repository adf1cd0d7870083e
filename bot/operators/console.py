"""The operator console under /operator: the queue, one conversation, and the actions on it.

Routes parse the request, check the login and its CSRF token, and hand over: actions to the
desk, reading to `views`, live updates to `streams`. Logging in and passwords are in `login.py`.
An operator sees only conversations in their languages, and a user only as a tag.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from bot.operators import accounts, views
from bot.operators.auth import (
    SESSION_COOKIE,
    Gate,
    SecurityHeaders,
    guarded,
    posted_form,
)
from bot.operators.console_deps import console_deps
from bot.operators.desk import DeskError
from bot.operators.login import Logins
from bot.operators.pages import Pages
from bot.operators.streams import SHUTDOWN_GRACE, Update, conversation_events, queue_events
from bot.operators.tables import Handover, Operator
from bot.operators.words import NOTICES
from bot.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC = {"console.js": "text/javascript", "console.css": "text/css"}
ACTIONS = ("take", "reply", "close", "handback", "requeue")
TO_QUEUE = {"close": "done_closed", "handback": "done_handed_back", "requeue": "done_requeued"}
INPUT_ERRORS = ("empty", "bad_outcome")


class Console(Pages):
    """The queue and conversation pages, their live updates and the actions on them."""

    async def handover(self, request: Request, handover_id: int, operator: Operator) -> Handover:
        """The conversation if the operator may see it (their languages), else 404."""
        async with self.session(request) as session:
            row: Handover | None = await session.get(Handover, handover_id)
        if row is None or not views.visible(row, operator):
            raise Gate(PlainTextResponse("Not found", 404))
        return row

    # --- pages --------------------------------------------------------------------------------
    async def queue_page(self, request: Request) -> Response:
        login = await self.login(request, page=True)
        async with self.session(request) as session:
            current = await views.queue_view(session, login.operator, self.words(request))
        data = {"csrf": login.csrf, "queue": current, "now": self.now().timestamp()}
        data["words"] = self.js_words(request)
        return self.page(
            request,
            "queue.html",
            me=login.operator,
            csrf=login.csrf,
            queue=current,
            data=data,
            message=self.notice(request),
            now=self.now().timestamp(),
        )

    async def conversation_page(self, request: Request) -> Response:
        login = await self.login(request, page=True)
        row = await self.handover(request, request.path_params["id"], login.operator)
        words = self.words(request)
        deps = console_deps(request)
        engine = deps.content.engine
        async with self.session(request) as session:
            lines = await views.lines_view(session, row.id, 0, deps.desk.sealer, words, self.zone)
        status = views.status_view(row, login.operator, words)
        after = lines[-1]["id"] if lines else 0
        data = {"id": row.id, "csrf": login.csrf, "after": after, "status": status}
        data["words"] = self.js_words(request)
        return self.page(
            request,
            "conversation.html",
            me=login.operator,
            csrf=login.csrf,
            row=views.row_view(row, words),
            status=status,
            context=views.context_view(row, engine, self.lang(request)),
            lines=lines,
            canned=views.canned(engine, row.lang),
            outcomes=views.outcomes(engine, self.lang(request)),
            data=data,
            message=self.notice(request),
        )

    # --- live ---------------------------------------------------------------------------------
    async def queue_stream(self, request: Request) -> Response:
        await self.login(request, page=False)
        token, words = request.cookies[SESSION_COOKIE], self.words(request)

        async def load() -> dict[str, Any] | None:
            async with self.session(request) as session:
                current = await accounts.resolve(session, token, self.now())
                if current is None:
                    return None
                return await views.queue_view(session, current.operator, words)

        return _stream(lambda stop: queue_events(load, console_deps(request).notifier, stop))

    async def conversation_stream(self, request: Request) -> Response:
        login = await self.login(request, page=False)
        row = await self.handover(request, request.path_params["id"], login.operator)
        token, words, sealer = (
            request.cookies[SESSION_COOKIE],
            self.words(request),
            console_deps(request).desk.sealer,
        )
        start = request.headers.get("last-event-id") or request.query_params.get("after", "0")
        after = int(start) if start.isascii() and start.isdigit() else 0

        async def load(after: int) -> Update | None:
            async with self.session(request) as session:
                current = await accounts.resolve(session, token, self.now())
                found = await session.get(Handover, row.id, populate_existing=True)
                if current is None or found is None or not views.visible(found, current.operator):
                    return None
                lines = await views.lines_view(session, row.id, after, sealer, words, self.zone)
                return Update(views.status_view(found, current.operator, words), lines)

        return _stream(
            lambda stop: conversation_events(load, after, console_deps(request).notifier, stop)
        )

    # --- actions ------------------------------------------------------------------------------
    async def act(self, request: Request) -> Response:
        login = await self.login(request, page=False)
        form = await posted_form(request, login.csrf)
        if isinstance(form, Response):
            return form
        action, handover_id = request.path_params["action"], request.path_params["id"]
        if action not in ACTIONS:
            return PlainTextResponse("Not found", 404)
        await self.handover(request, handover_id, login.operator)
        operator, deps = login.operator, console_deps(request)
        desk = deps.desk
        try:
            if action == "take":
                await desk.take(operator, handover_id)
            elif action == "reply":
                await desk.reply(operator, handover_id, form.get("text", ""))
            elif action == "close":
                outcome = form.get("outcome", "")
                if outcome not in views.outcome_codes(deps.content.engine):
                    raise DeskError("bad_outcome")
                await desk.close(operator, handover_id, outcome)
            elif action == "handback":
                await desk.hand_back(operator, handover_id)
            else:
                await desk.requeue(operator, handover_id)
        except DeskError as error:
            return self.done(request, handover_id, error.code, ok=False)
        code = TO_QUEUE.get(action) or ("taken" if action == "take" else "sent")
        return self.done(request, handover_id, code, ok=True, to_queue=action in TO_QUEUE)

    def done(
        self, request: Request, handover_id: int, code: str, *, ok: bool, to_queue: bool = False
    ) -> Response:
        """JSON for the page script's fetch(), else back to a page that shows the message."""
        if "application/json" in request.headers.get("accept", ""):
            message = self.words(request).t(NOTICES.get(code, code))
            status = 200 if ok else 400 if code in INPUT_ERRORS else 409
            return JSONResponse({"ok": ok, "code": code, "message": message}, status)
        where = "/operator" if ok and to_queue else f"/operator/c/{handover_id}"
        return RedirectResponse(f"{where}?m={code}", 303)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("Not found", 404)
        return FileResponse(STATIC_DIR / name, media_type=STATIC[name])


def console_routes(settings: Settings) -> list[Route]:
    """Every console route, each wrapped in the console's security headers; what they use of
    the running service is in the lifespan state (`ConsoleDeps`)."""
    console = Console(settings)
    logins = Logins(console)  # one set of catalogs and templates for both
    table: list[tuple[str, Callable[[Request], Any], list[str]]] = [
        ("/operator", console.queue_page, ["GET"]),
        ("/operator/", console.queue_page, ["GET"]),
        ("/operator/events", console.queue_stream, ["GET"]),
        ("/operator/c/{id:int}", console.conversation_page, ["GET"]),
        ("/operator/c/{id:int}/events", console.conversation_stream, ["GET"]),
        ("/operator/c/{id:int}/{action}", console.act, ["POST"]),
        ("/operator/login", logins.login_page, ["GET"]),
        ("/operator/login", logins.log_in, ["POST"]),
        ("/operator/logout", logins.log_out, ["POST"]),
        ("/operator/password", logins.password_page, ["GET"]),
        ("/operator/password", logins.change_password, ["POST"]),
        ("/operator/display-name", logins.change_display_name, ["POST"]),
        ("/operator/static/{name}", console.static, ["GET"]),
    ]
    headers = [Middleware(SecurityHeaders)]
    return [
        Route(path, guarded(endpoint), methods=methods, middleware=headers)
        for path, endpoint, methods in table
    ]


def _stream(events: Callable[[anyio.Event], AsyncIterator[ServerSentEvent]]) -> Response:
    """An SSE response that ends properly (not cut mid-response) when the server stops."""
    stop = anyio.Event()
    return EventSourceResponse(
        events(stop), ping=15, shutdown_event=stop, shutdown_grace_period=SHUTDOWN_GRACE
    )
