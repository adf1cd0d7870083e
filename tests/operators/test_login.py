"""Logging in and out of the console, throttling, the forced password change, the login form's
own CSRF token, and the cookie and security headers, through the real server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.operators import accounts
from bot.operators.tables import LoginFailure, OperatorSession
from tests.channels.telegram.conftest import Served, serve
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.operators.conftest import PASSWORD, Browser, add_operator, console_settings
from tests.serving import running


async def test_logging_in_opens_the_queue(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    response = await browser.log_in("dilnoza")
    assert response.status_code == 303 and response.headers["location"] == "/operator"
    page = await browser.open()
    assert "dilnoza" in page.text


async def test_the_session_cookie_is_locked_down(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    await browser.log_in("dilnoza")
    cookie = next(c for c in browser.set_cookies if c.startswith("op_session="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/operator"} <= attributes
    async with served.services.sessions() as session:
        stored = await session.scalar(select(OperatorSession.id))
    token = browser.cookies["op_session"]
    assert stored == accounts.token_hash(token) and token not in str(stored)


async def test_console_pages_carry_the_security_headers(served: Served, browser: Browser) -> None:
    for response in (await browser.get("/operator/login"), await browser.get("/operator")):
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


async def test_without_a_login_pages_lead_to_the_login_form(
    served: Served, browser: Browser
) -> None:
    response = await browser.get("/operator")
    assert response.status_code == 303 and response.headers["location"] == "/operator/login"
    assert (await browser.get("/operator/events")).status_code == 401
    assert (await browser.post("/operator/c/1/take")).status_code == 401


async def test_a_wrong_password_is_refused(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    response = await browser.log_in("dilnoza", "not the password")
    assert response.status_code == 401
    assert "op_session" not in browser.cookies
    unknown = await browser.log_in("nobody", PASSWORD)
    assert unknown.status_code == 401 and unknown.text.count("Неверное имя или пароль") == 1


async def test_wrong_passwords_slow_their_address_not_the_operator(
    served: Served, browser: Browser
) -> None:
    await add_operator(served, "admin", "uz")
    statuses = [(await browser.log_in("Admin", "guess")).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    refused = await browser.log_in("admin", PASSWORD)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 5
    assert "Слишком много неудачных попыток" in refused.text
    assert "op_session" not in browser.cookies
    # the real admin, from another address, is not locked out
    transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=served.url, transport=transport) as elsewhere:
        assert (await Browser(elsewhere).log_in("admin")).status_code == 303


async def test_a_success_clears_the_failures_of_the_name(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    for _ in range(2):
        await browser.log_in("dilnoza", "guess")
    assert (await browser.log_in("dilnoza")).status_code == 303
    async with served.services.sessions() as session:
        # what is left counts against the address alone (one login must not reset a guesser)
        assert await session.scalar(select(func.count()).select_from(LoginFailure)) == 2


async def test_logging_out_ends_the_session_on_the_server(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    await browser.log_in("dilnoza")
    await browser.open()
    token = browser.cookies["op_session"]
    response = await browser.post("/operator/logout")
    assert response.status_code == 303 and response.headers["location"] == "/operator/login"
    assert "op_session" not in browser.cookies
    browser.cookies["op_session"] = token  # a copy of the cookie kept elsewhere
    assert (await browser.get("/operator")).status_code == 303


async def test_logging_out_needs_the_csrf_token(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    await browser.log_in("dilnoza")
    assert (await browser.post("/operator/logout", csrf=False)).status_code == 403
    assert (await browser.get("/operator")).status_code == 200


async def test_the_login_form_has_its_own_csrf_token(served: Served, browser: Browser) -> None:
    await add_operator(served, "dilnoza", "uz")
    await browser.get("/operator/login")
    form = {"name": "dilnoza", "password": PASSWORD}
    assert (await browser.post("/operator/login", form, csrf=False)).status_code == 403
    browser.csrf = "0" * 64
    assert (await browser.post("/operator/login", form)).status_code == 403
    other = Browser(served.client)
    await other.get("/operator/login")
    browser.csrf = other.csrf  # a token bound to another browser's pre-session cookie
    assert (await browser.post("/operator/login", form)).status_code == 403
    assert "op_session" not in browser.cookies


async def test_a_one_time_password_must_be_replaced_first(served: Served, browser: Browser) -> None:
    await add_operator(served, "admin", "ru,uz,tg", "one-time-password-1", must_change=True)
    response = await browser.log_in("admin", "one-time-password-1")
    assert response.headers["location"] == "/operator/password"
    assert (await browser.get("/operator")).headers["location"] == "/operator/password"
    assert (await browser.get("/operator/events")).status_code == 403
    page = await browser.open("/operator/password")
    assert "одноразовым паролем" in page.text
    forged = {
        "current": "one-time-password-1",
        "new": "my own password",
        "repeat": "my own password",
    }
    assert (await browser.post("/operator/password", forged, csrf=False)).status_code == 403
    short = {"current": "one-time-password-1", "new": "short", "repeat": "short"}
    assert (await browser.post("/operator/password", short)).status_code == 400
    differ = {"current": "one-time-password-1", "new": "a" * 14, "repeat": "b" * 14}
    assert (await browser.post("/operator/password", differ)).status_code == 400
    wrong = {"current": "wrong-password-00", "new": "my own password", "repeat": "my own password"}
    assert (await browser.post("/operator/password", wrong)).status_code == 400
    old_token = browser.cookies["op_session"]
    good = {"current": "one-time-password-1", "new": "my own password", "repeat": "my own password"}
    done = await browser.post("/operator/password", good)
    assert done.status_code == 303 and done.headers["location"].startswith("/operator?")
    assert browser.cookies["op_session"] != old_token  # a new login; the old one ended
    assert "Пароль изменён" in (await browser.open(done.headers["location"])).text
    again = Browser(served.client)
    assert (await again.log_in("admin", "one-time-password-1")).status_code == 401
    assert (await again.log_in("admin", "my own password")).headers["location"] == "/operator"


async def test_the_console_speaks_english_when_asked(served: Served, browser: Browser) -> None:
    page = await browser.get("/operator/login", {"Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"})
    assert "Operator console" in page.text and '<html lang="en">' in page.text
    russian = await browser.get("/operator/login", {"Accept-Language": "uz,ru;q=0.8"})
    assert "Консоль оператора" in russian.text


async def test_an_oversized_form_is_refused(served: Served, browser: Browser) -> None:
    await browser.get("/operator/login")
    response = await browser.post("/operator/login", {"name": "x" * 70_000, "password": "y"})
    assert response.status_code == 413


async def test_over_plain_http_without_a_public_url_the_cookie_is_not_secure(
    tmp_path: Path, database_url: str
) -> None:
    settings = make_settings(tmp_path, database_url, OPERATOR_BOOTSTRAP="0")
    async with running(settings) as run:
        async with run.services.sessions() as session, session.begin():
            await accounts.add_operator(session, "olga", "ru", PASSWORD)
        browser = Browser(run.client)
        assert (await browser.log_in("olga")).status_code == 303
    cookie = next(c for c in browser.set_cookies if c.startswith("op_session="))
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "secure" not in attributes and {"httponly", "samesite=strict"} <= attributes


async def test_an_operator_chooses_the_name_users_see(served: Served, browser: Browser) -> None:
    await add_operator(served, "olga.k", "ru")
    assert (await browser.log_in("olga.k")).status_code == 303
    page = await browser.open("/operator/password")
    assert 'name="display_name"' in page.text and "Имя для пользователей" in page.text
    forged = await browser.post("/operator/display-name", {"display_name": "X"}, csrf=False)
    assert forged.status_code == 403
    too_long = await browser.post("/operator/display-name", {"display_name": "Я" * 41})
    assert too_long.status_code == 400 and "не длиннее 40" in too_long.text
    done = await browser.post("/operator/display-name", {"display_name": "  Ольга  "})
    assert done.status_code == 303 and done.headers["location"].startswith("/operator?")
    assert "Имя сохранено" in (await browser.open(done.headers["location"])).text
    async with served.services.sessions() as session:
        found = await accounts.find(session, "olga.k")
    assert found is not None and found.display_name == "Ольга"
    page = await browser.open("/operator/password")
    assert 'value="Ольга"' in page.text
    assert (await browser.post("/operator/display-name", {"display_name": ""})).status_code == 303
    async with served.services.sessions() as session:
        found = await accounts.find(session, "olga.k")
    assert found is not None and found.display_name is None  # back to "Operator" alone


@pytest.mark.parametrize(("trusted", "apart"), [(None, False), ("127.0.0.1", True)])
async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    tmp_path: Path,
    database_url: str,
    fake_telegram: FakeTelegram,
    trusted: str | None,
    apart: bool,
) -> None:
    """By default nobody is trusted: a local process sending X-Forwarded-For is still counted
    as 127.0.0.1 and throttled; with FORWARDED_ALLOW_IPS naming it, as the address it gives."""
    env = {} if trusted is None else {"FORWARDED_ALLOW_IPS": trusted}
    settings = console_settings(tmp_path, database_url, fake_telegram, **env)
    async with serve(settings, fake_telegram) as served:
        await add_operator(served, "admin", "ru")
        browser = Browser(served.client)

        async def log_in(password: str, forwarded: str) -> int:
            headers = {"X-Forwarded-For": forwarded}
            await browser.get("/operator/login", headers)
            form = {"name": "admin", "password": password}
            return (await browser.post("/operator/login", form, headers=headers)).status_code

        assert [await log_in("guess", "1.2.3.4") for _ in range(4)] == [401, 401, 401, 429]
        assert await log_in(PASSWORD, "5.6.7.8") == (303 if apart else 429)
