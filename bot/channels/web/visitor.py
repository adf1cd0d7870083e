"""Who a browser is: a random token in a cookie, nothing else. The token is the visitor's user
id and address at once (intake turns the one into a pseudonym and seals the other), so it is a
secret like a chat id: it is never logged and never stored in clear.

Requests that change something also carry a second token, an HMAC of the visitor's token with
the app secret, which only our page can know (it is embedded there): another site can make a
browser send the cookie, but cannot read the page to learn this one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "webchat"
COOKIE_PATH = "/chat"
TOKEN_HEADER = "X-Chat-Token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
"""What secrets.token_urlsafe(32) makes: 32 random bytes, base64url without padding."""


def new_visitor() -> str:
    return secrets.token_urlsafe(32)


def visitor_of(request: Request) -> str | None:
    """The visitor's token from the cookie, when it has the shape we hand out."""
    value = request.cookies.get(COOKIE, "")
    return value if _TOKEN.fullmatch(value) else None


def page_token(secret: bytes, visitor: str) -> str:
    """The token the page sends back in `X-Chat-Token`."""
    digest = hmac.new(secret, f"webchat-page:{visitor}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def page_token_ok(secret: bytes, visitor: str, given: str) -> bool:
    expected = page_token(secret, visitor).encode()
    return hmac.compare_digest(expected, given.encode("utf-8", "replace"))


def is_secure(request: Request, public_url: str) -> bool:
    return request.url.scheme == "https" or public_url.startswith("https://")


def keep_visitor(response: Response, visitor: str, *, max_age: int, secure: bool) -> None:
    """Set (or refresh) the visitor cookie: only our /chat requests carry it, scripts cannot
    read it, and other sites' requests do not send it."""
    response.set_cookie(
        COOKIE,
        visitor,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def same_origin(request: Request, public_url: str) -> bool:
    """No Origin header (not a browser's cross-origin request), or our own: the host the
    request was sent to, or PUBLIC_URL's when a proxy stands in front."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc.lower() if origin != "null" else ""
    if not netloc:
        return False
    ours = {request.headers.get("host", "").lower()}
    if public_url:
        ours.add(urlsplit(public_url).netloc.lower())
    return netloc in ours
