"""The operator console under /operator: the queue, one conversation, and the actions on it.

Routes parse the request, check the login and its CSRF token, and hand over: actions to the
desk, reading to `views`, live updates to `streams`. Logging in and passwords are in `login.py`.
An operator sees only conversations in their languages, and a user only as a tag.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
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
from bot.operators.desk import DeskError
from bot.operators.i18n import Catalogs, choose
from bot.operators.login import Logins
from bot.operators.streams import SHUTDOWN_GRACE, Update, conversation_events, queue_events
from bot.operators.tables import Handover, Operator
from bot.operators.words import NOTICES, SCRIPT
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.operators.desk import Desk
    from bot.runtime import Runtime

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC = {"console.js": "text/javascript", "console.css": "text/css"}
ACTIONS = ("take", "reply", "close", "handback", "requeue")
TO_QUEUE = {"close": "done_closed", "handback": "done_handed_back", "requeue": "done_requeued"}
INPUT_ERRORS = ("empty", "bad_outcome")


class Console:
    def __init__(self, runtime: Callable[[], Runtime], settings: Settings) -> None:
        self._runtime = runtime
        self.settings = settings
        self.catalogs = Catalogs()
        self.zone = ZoneInfo(settings.hotline.timezone)

    # --- plumbing -----------------------------------------------------------------------------
    @property
    def runtime(self) -> Runtime:
        return self._runtime()

    @property
    def desk(self) -> Desk:
        desk = self.runtime.desk
        assert desk is not None, "the runtime always has a desk once started"
        return desk

    def sessions(self) -> Any:
        return self.runtime.app.service.sessions()

    @staticmethod
    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    @staticmethod
    def lang(request: Request) -> str:
        return choose(request.headers.get("accept-language"))

    def words(self, request: Request) -> views.Labeller:
        return views.Labeller(functools.partial(self.catalogs.gettext, self.lang(request)))

    def page(
        self, request: Request, template: str, status: int = 200, /, **values: Any
    ) -> HTMLResponse:
        lang = self.lang(request)
        values.setdefault("me", None)
        values.setdefault("message", None)
        html = self.catalogs.template(lang, template).render(lang=lang, **values)
        return HTMLResponse(html, status)

    def notice(self, request: Request) -> str | None:
        code = request.query_params.get("m", "")
        return self.words(request).t(NOTICES[code]) if code in NOTICES else None

    def js_words(self, request: Request) -> dict[str, str]:
        t = self.words(request).t
        return {key: t(word) for key, word in SCRIPT.items()}

    async def login(
        self, request: Request, *, page: bool, forced_ok: bool = False
    ) -> accounts.Login:
        """The request's login; raises Gate (to the login page for a page, else 401), and
        (unless `forced_ok`) sends an operator who must change their password there first."""
        token = request.cookies.get(SESSION_COOKIE, "")
        found = None
        if token:
            async with self.sessions() as session:
                found = await accounts.resolve(session, token, self.now())
        if found is None:
            denied: Response = PlainTextResponse("Not logged in", 401)
            raise Gate(RedirectResponse("/operator/login", 303) if page else denied)
        if found.operator.must_change_password and not forced_ok:
            forbidden: Response = PlainTextResponse("Change your password first", 403)
            raise Gate(RedirectResponse("/operator/password", 303) if page else forbidden)
        return found

    async def handover(self, handover_id: int, operator: Operator) -> Handover:
        """The conversation if the operator may see it (their languages), else 404."""
        async with self.sessions() as session:
            row: Handover | None = await session.get(Handover, handover_id)
        if row is None or not views.visible(row, operator):
            raise Gate(PlainTextResponse("Not found", 404))
        return row

    # --- pages --------------------------------------------------------------------------------
    async def queue_page(self, request: Request) -> Response:
        login = await self.login(request, page=True)
        async with self.sessions() as session:
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
        row = await self.handover(request.path_params["id"], login.operator)
        words = self.words(request)
        engine = self.runtime.app.service.engine
        async with self.sessions() as session:
            lines = await views.lines_view(session, row.id, 0, self.desk.sealer, words, self.zone)
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
            async with self.sessions() as session:
                current = await accounts.resolve(session, token, self.now())
                if current is None:
                    return None
                return await views.queue_view(session, current.operator, words)

        return _stream(lambda stop: queue_events(load, self.runtime.notifier, stop))

    async def conversation_stream(self, request: Request) -> Response:
        login = await self.login(request, page=False)
        row = await self.handover(request.path_params["id"], login.operator)
        token, words, sealer = (
            request.cookies[SESSION_COOKIE],
            self.words(request),
            self.desk.sealer,
        )
        start = request.headers.get("last-event-id") or request.query_params.get("after", "0")
        after = int(start) if start.isascii() and start.isdigit() else 0

        async def load(after: int) -> Update | None:
            async with self.sessions() as session:
                current = await accounts.resolve(session, token, self.now())
                found = await session.get(Handover, row.id, populate_existing=True)
                if current is None or found is None or not views.visible(found, current.operator):
                    return None
                lines = await views.lines_view(session, row.id, after, sealer, words, self.zone)
                return Update(views.status_view(found, current.operator, words), lines)

        return _stream(lambda stop: conversation_events(load, after, self.runtime.notifier, stop))

    # --- actions ------------------------------------------------------------------------------
    async def act(self, request: Request) -> Response:
        login = await self.login(request, page=False)
        form = await posted_form(request, login.csrf)
        if isinstance(form, Response):
            return form
        action, handover_id = request.path_params["action"], request.path_params["id"]
        if action not in ACTIONS:
            return PlainTextResponse("Not found", 404)
        await self.handover(handover_id, login.operator)
        operator = login.operator
        try:
            if action == "take":
                await self.desk.take(operator, handover_id)
            elif action == "reply":
                await self.desk.reply(operator, handover_id, form.get("text", ""))
            elif action == "close":
                outcome = form.get("outcome", "")
                if outcome not in views.outcome_codes(self.runtime.app.service.engine):
                    raise DeskError("bad_outcome")
                await self.desk.close(operator, handover_id, outcome)
            elif action == "handback":
                await self.desk.hand_back(operator, handover_id)
            else:
                await self.desk.requeue(operator, handover_id)
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


def console_routes(runtime: Callable[[], Runtime], settings: Settings) -> list[Route]:
    """Every console route, each wrapped in the console's security headers."""
    console = Console(runtime, settings)
    logins = Logins(console)
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
