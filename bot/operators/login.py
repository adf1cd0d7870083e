"""Logging in and out of the console, changing one's password (forced after a one-time
password) and the name users see beside one's messages. The login form has its own CSRF token,
bound to a pre-session cookie, so another site cannot log a browser into an account of its
choosing."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import math
import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.operators import accounts
from bot.operators.auth import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    FormError,
    clear_cookie,
    client_ip,
    is_secure,
    login_csrf,
    new_nonce,
    posted_form,
    read_form,
    same,
    set_cookie,
)
from bot.operators.console_deps import console_deps
from bot.operators.pages import Pages
from bot.operators.tables import Operator
from bot.operators.throttle import Throttled
from bot.operators.words import LOGIN, PASSWORD

LOGIN_PATH = "/operator/login"
NONCE_SECONDS = 12 * 3600
NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


class Logins:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    @functools.cached_property
    def key(self) -> bytes:
        """The login forms' HMAC key, derived from the app's secret for this use only."""
        secret = self.pages.settings.resolved_secret_key()
        return hmac.new(secret, b"operator-console/login-form/v1", hashlib.sha256).digest()

    def secure(self, request: Request) -> bool:
        return is_secure(request, self.pages.settings.public_url)

    def say(self, request: Request, message: str, **values: object) -> str:
        return self.pages.catalogs.gettext(self.pages.lang(request), message, **values)

    def form(
        self, request: Request, status: int = 200, message: str | None = None, name: str = ""
    ) -> Response:
        """The login page, with a pre-session cookie and the form token bound to it."""
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not NONCE.fullmatch(nonce):
            nonce = new_nonce()
        response = self.pages.page(
            request,
            "login.html",
            status,
            csrf=login_csrf(self.key, nonce),
            message=message,
            name=name,
        )
        secure = self.secure(request)
        set_cookie(
            response, LOGIN_COOKIE, nonce, secure=secure, max_age=NONCE_SECONDS, path=LOGIN_PATH
        )
        return response

    async def login_page(self, request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE, "")
        if token:
            async with self.pages.session(request) as session:
                if await accounts.resolve(session, token, self.pages.now()) is not None:
                    return RedirectResponse("/operator", 303)
        return self.form(request)

    async def log_in(self, request: Request) -> Response:
        try:
            form = await read_form(request)
        except FormError as error:
            return self.form(request, error.status, self.say(request, LOGIN["too_large"]))
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not same(form.get("csrf"), login_csrf(self.key, nonce)):
            return self.form(request, 403, self.say(request, LOGIN["expired"]))
        name, password = form.get("name", "").strip()[:64], form.get("password", "")
        now = self.pages.now()
        sessions = console_deps(request).sessions
        try:
            operator = await accounts.authenticate(
                sessions, name, password, client_ip(request, self.key), now
            )
        except Throttled as refused:
            return self.throttled(request, refused.wait, name)
        except accounts.LoginFailed:
            return self.form(request, 401, self.say(request, LOGIN["wrong"]), name)
        where = "/operator/password" if operator.must_change_password else "/operator"
        response = await self.start(request, operator, RedirectResponse(where, 303))
        clear_cookie(response, LOGIN_COOKIE, secure=self.secure(request), path=LOGIN_PATH)
        return response

    def throttled(
        self, request: Request, wait: dt.timedelta, name: str, login: accounts.Login | None = None
    ) -> Response:
        """429 with how long to wait, on the form that was refused."""
        seconds = max(1, math.ceil(wait.total_seconds()))
        message = self.say(request, LOGIN["throttled"], minutes=math.ceil(seconds / 60))
        if login is None:
            response = self.form(request, 429, message, name)
        else:
            response = self.password_form(request, login, 429, message)
        response.headers["Retry-After"] = str(seconds)
        return response

    async def start(self, request: Request, operator: Operator, response: Response) -> Response:
        """A fresh login (never one the browser brought along) in the response's cookie."""
        hours = self.pages.settings.operators.session_hours
        async with self.pages.session(request) as session, session.begin():
            token = await accounts.start_login(session, operator, self.pages.now(), hours)
        set_cookie(
            response, SESSION_COOKIE, token, secure=self.secure(request), max_age=hours * 3600
        )
        return response

    async def log_out(self, request: Request) -> Response:
        login = await self.pages.login(request, page=True, forced_ok=True)
        form = await posted_form(request, login.csrf)
        if isinstance(form, Response):
            return form
        async with self.pages.session(request) as session, session.begin():
            await accounts.end_login(session, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse(LOGIN_PATH, 303)
        clear_cookie(response, SESSION_COOKIE, secure=self.secure(request))
        return response

    async def password_page(self, request: Request) -> Response:
        login = await self.pages.login(request, page=True, forced_ok=True)
        return self.password_form(request, login)

    def password_form(
        self, request: Request, login: accounts.Login, status: int = 200, message: str | None = None
    ) -> Response:
        return self.pages.page(
            request,
            "password.html",
            status,
            me=login.operator,
            csrf=login.csrf,
            forced=login.operator.must_change_password,
            minimum=accounts.MIN_PASSWORD,
            display_limit=accounts.DISPLAY_NAME_LIMIT,
            message=message,
        )

    async def change_display_name(self, request: Request) -> Response:
        """The name users see beside this operator's messages; empty: "Operator" alone."""
        login = await self.pages.login(request, page=False, forced_ok=True)
        form = await posted_form(request, login.csrf)
        if isinstance(form, Response):
            return form
        value = form.get("display_name", "")
        if len(" ".join(value.split())) > accounts.DISPLAY_NAME_LIMIT:
            problem = self.say(
                request, PASSWORD["display_name_long"], count=accounts.DISPLAY_NAME_LIMIT
            )
            return self.password_form(request, login, 400, problem)
        try:
            await accounts.set_display_name(
                console_deps(request).sessions, login.operator.id, value
            )
        except accounts.AccountError:
            problem = self.say(request, PASSWORD["display_name_bad"])
            return self.password_form(request, login, 400, problem)
        return RedirectResponse("/operator?m=display_name_saved", 303)

    async def change_password(self, request: Request) -> Response:
        login = await self.pages.login(request, page=False, forced_ok=True)
        form = await posted_form(request, login.csrf)
        if isinstance(form, Response):
            return form
        current, new = form.get("current", ""), form.get("new", "")
        problem = None
        if len(new) < accounts.MIN_PASSWORD:
            problem = self.say(request, PASSWORD["short"], count=accounts.MIN_PASSWORD)
        elif new != form.get("repeat", ""):
            problem = self.say(request, PASSWORD["differ"])
        elif new == current:
            problem = self.say(request, PASSWORD["same"])
        if problem is not None:
            return self.password_form(request, login, 400, problem)
        try:
            operator = await accounts.change_password(
                console_deps(request).sessions,
                login.operator.id,
                current,
                new,
                client_ip(request, self.key),
                self.pages.now(),
            )
        except Throttled as refused:
            return self.throttled(request, refused.wait, login.operator.name, login)
        except accounts.LoginFailed:
            return self.password_form(request, login, 400, self.say(request, PASSWORD["wrong"]))
        done = RedirectResponse("/operator?m=password_changed", 303)
        return await self.start(request, operator, done)
