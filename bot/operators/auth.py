"""The console's web security: cookies, CSRF tokens, form bodies and response headers.

The login cookie is HttpOnly, SameSite=Strict and limited to /operator, Secure whenever the
console is reached over https. Every POST carries a CSRF token: before login an HMAC of a
pre-session cookie, after login the token stored with the session. Tokens are compared in
constant time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.bodies import BodyTooLarge, read_body

SESSION_COOKIE = "op_session"
LOGIN_COOKIE = "op_login"
PATH = "/operator"
MAX_FORM = 64 * 1024
MAX_FIELDS = 32
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"x-content-type-options": b"nosniff",
    b"cache-control": b"no-store",
}


class SecurityHeaders:
    """Adds the console's headers to every response of the routes it wraps (pages, streams,
    static files alike: nothing of the console is to be framed or cached)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Gate(Exception):
    """The request cannot go on (not logged in, not allowed): answer it with `response`."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def guarded(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Any]:
    """The endpoint, answering a Gate raised inside it with the Gate's response."""

    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Gate as gate:
            return gate.response

    return run


class FormError(Exception):
    """A body that is not a small url-encoded form: 413 when too large, else 400."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded fields of a POST (python-multipart is not used: forms here are small)."""
    try:
        body = await read_body(request, MAX_FORM)
    except BodyTooLarge as error:
        raise FormError(413) from error
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if body and kind != "application/x-www-form-urlencoded":
        raise FormError(400)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as error:
        raise FormError(400) from error
    return dict(pairs)


def same(given: str | None, expected: str) -> bool:
    """Constant-time equality of a token from the request with the expected one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def csrf_given(request: Request, form: dict[str, str]) -> str:
    """The CSRF token of a POST: the hidden form field, or the header fetch() calls send."""
    return form.get("csrf") or request.headers.get("x-csrf-token", "")


async def posted_form(request: Request, csrf: str) -> dict[str, str] | Response:
    """A logged-in operator's form post, or the refusal to send instead: too large or
    malformed (4xx), or without the session's CSRF token (403)."""
    try:
        form = await read_form(request)
    except FormError as error:
        return Response("Bad request", error.status, media_type="text/plain")
    if not same(csrf_given(request, form), csrf):
        return Response("Missing or wrong CSRF token", 403, media_type="text/plain")
    return form


def login_csrf(key: bytes, nonce: str) -> str:
    """The login form's token, bound to the pre-session cookie's random value."""
    return hmac.new(key, f"login:{nonce}".encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def is_secure(request: Request, public_url: str) -> bool:
    return request.url.scheme == "https" or public_url.startswith("https://")


def client_ip(request: Request, key: bytes) -> str:
    """The client's address as throttling counts it: keyed, so the stored hash of an address
    cannot be reversed by trying every IPv4 address."""
    host = request.client.host if request.client else "unknown"
    return hmac.new(key, f"client:{host}".encode(), hashlib.sha256).hexdigest()


def set_cookie(
    response: Response, name: str, value: str, *, secure: bool, max_age: int, path: str = PATH
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, name: str, *, secure: bool, path: str = PATH) -> None:
    response.delete_cookie(name, path=path, secure=secure, httponly=True, samesite="strict")
