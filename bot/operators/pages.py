"""What every console page shares: the operator's language, the page templates and their words,
the clock, the request's login, and a database session from the running service."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.operators import accounts, views
from bot.operators.auth import SESSION_COOKIE, Gate
from bot.operators.console_deps import console_deps
from bot.operators.i18n import Catalogs, choose
from bot.operators.words import NOTICES, SCRIPT
from bot.settings import Settings


class Pages:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalogs = Catalogs()
        self.zone = ZoneInfo(settings.hotline.timezone)

    @staticmethod
    def session(request: Request) -> AsyncSession:
        """A new database session of the running service (use it as a context manager)."""
        session: AsyncSession = console_deps(request).sessions()
        return session

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
            async with self.session(request) as session:
                found = await accounts.resolve(session, token, self.now())
        if found is None:
            denied: Response = PlainTextResponse("Not logged in", 401)
            raise Gate(RedirectResponse("/operator/login", 303) if page else denied)
        if found.operator.must_change_password and not forced_ok:
            forbidden: Response = PlainTextResponse("Change your password first", 403)
            raise Gate(RedirectResponse("/operator/password", 303) if page else forbidden)
        return found
