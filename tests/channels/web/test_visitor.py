"""Visitor tokens, the page token derived from them, and the Origin check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.channels.web.visitor import (
    keep_visitor,
    new_visitor,
    page_token,
    page_token_ok,
    same_origin,
    visitor_of,
)

SECRET = b"test-secret"


def request(headers: dict[str, str], scheme: str = "http") -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "scheme": scheme,
            "path": "/chat/send",
            "query_string": b"",
            "server": ("chat.example.org", 80),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
    )


def test_tokens_are_random_and_only_their_shape_is_accepted() -> None:
    one, two = new_visitor(), new_visitor()
    assert one != two and len(one) == 43
    assert visitor_of(request({"Cookie": f"webchat={one}"})) == one
    assert visitor_of(request({"Cookie": "webchat=short"})) is None
    assert visitor_of(request({"Cookie": f"webchat={one[:-1]}!"})) is None
    assert visitor_of(request({})) is None


def test_the_page_token_belongs_to_one_visitor_and_one_secret() -> None:
    visitor = new_visitor()
    token = page_token(SECRET, visitor)
    assert token == page_token(SECRET, visitor) and visitor not in token
    assert page_token_ok(SECRET, visitor, token)
    assert not page_token_ok(SECRET, new_visitor(), token)
    assert not page_token_ok(b"other", visitor, token)
    assert not page_token_ok(SECRET, visitor, "")
    assert not page_token_ok(SECRET, visitor, "ключ")


def test_origin_must_be_ours_when_given() -> None:
    host = {"Host": "chat.example.org"}
    assert same_origin(request(host), "")
    assert same_origin(request({**host, "Origin": "http://chat.example.org"}), "")
    assert not same_origin(request({**host, "Origin": "https://evil.example"}), "")
    assert not same_origin(request({**host, "Origin": "null"}), "")
    assert not same_origin(request({**host, "Origin": "garbage"}), "")
    # behind a proxy the app sees its own address, the browser the public one
    behind = {"Host": "127.0.0.1:8080", "Origin": "https://help.example.org"}
    assert same_origin(request(behind), "https://help.example.org")
    assert not same_origin(request(behind), "")


def test_the_cookie_is_secure_when_asked() -> None:
    response = Response()
    keep_visitor(response, "v" * 43, max_age=86400, secure=True)
    cookie = response.headers["set-cookie"].lower()
    for part in ("httponly", "samesite=strict", "path=/chat", "max-age=86400", "secure"):
        assert part in cookie
