"""A fake Twilio REST API on loopback, for the real twilio client, plus Twilio's webhook side.

Point the client at it with ``bot.channels.sms.twilio_client.make_client(sid, token, fake.url)``.
The server runs uvicorn in its own thread with its own event loop, so sync tests, async tests and
a separate benchmark process can all drive it. It serves the one endpoint the bot uses,
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``
(https://www.twilio.com/docs/messaging/api/message-resource), with HTTP Basic auth and Twilio's
JSON error bodies, so the client raises the same ``TwilioRestException`` it raises in production.

For the other direction, :func:`inbound_form` and :func:`status_form` build the forms Twilio
posts to our webhooks (from the captured payloads in ``tests/fixtures/twilio/``) and
:func:`signature` signs them as Twilio does.

Run standalone for load tests: ``python -m tests.fakes.twilio_api --port 8082
--per-number-rate 1``. ``GET /_fake/stats`` then reports counts and ``GET /_fake/messages?since=N``
the message creates with their arrival times.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hashlib
import hmac
import math
import secrets
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer, serve_until_signalled

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "test-auth-token"
# Twilio's magic test number: valid as a From, and what our inbound forms are sent To.
TEST_NUMBER = "+15005550006"
API_VERSION = "2010-04-01"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "twilio"
# Rate enforcement forgives this much early arrival, as the Telegram fake does.
JITTER = 0.02
MAX_BODY_LENGTH = 1600

# Messages for the error codes tests script; others fall back to the HTTP reason phrase.
_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "Invalid 'To' Phone Number",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}
# The code Twilio's body carries when a test scripts only an HTTP status.
_DEFAULT_CODES = {400: 21211, 401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
# GSM 03.38: one septet each in the basic set, two (escape + char) in the extension table.
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("\f^{}\\[~]|€")
_COUNTRIES = {"+998": "UZ", "+992": "TJ", "+996": "KG", "+7": "RU", "+1": "US"}


@dataclass(frozen=True)
class Call:
    """One request the fake received, with the status it answered (and the SID it created)."""

    method: str
    path: str
    params: dict[str, str]
    at: float
    status: int
    sid: str | None = None


@dataclass
class _Failure:
    status: int
    code: int | None
    message: str | None
    count: int
    to: str | None


class _ApiError(Exception):
    def __init__(self, status: int, code: int | None, message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: int | None = None, message: str | None = None) -> Response:
    """Twilio's JSON error body for ``status`` (with ``code``, defaulted from the status)."""
    code = code if code is not None else _DEFAULT_CODES.get(status, status)
    if message is None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        message = _MESSAGES.get(code, phrase)
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else None
    return JSONResponse(body, status, headers=headers)


def num_segments(body: str) -> int:
    """Roughly how many SMS parts ``body`` takes: GSM-7 160/153, else UCS-2 70/67."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENSION for char in body):
        length = sum(2 if char in _GSM_EXTENSION else 1 for char in body)
        single, part = 160, 153
    else:
        length = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if length <= single else math.ceil(length / part)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def new_sid(prefix: str = "SM") -> str:
    """A fresh Twilio SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def _credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


class FakeTwilio:
    """A Twilio REST server on 127.0.0.1 that records every call and fails on demand.

    Message creates need To, From or MessagingServiceSid, and a Body of at most 1600
    characters, answering Twilio's 400s (21604, 21603, 21602, 21617) otherwise. With
    ``per_number_rate`` set, more than that many accepted messages from one sender (From, else
    MessagingServiceSid) within the trailing second are refused with 429 code 20429 (below 1 per
    second: one per ``1/rate`` seconds). Real Twilio queues such messages instead; the 429 lets
    tests prove the bot paces itself. Accepted messages stay "queued": nothing is delivered and
    no status callback is sent (build one with :func:`status_form`).
    """

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        per_number_rate: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if per_number_rate is not None and per_number_rate <= 0:
            raise ValueError("per_number_rate must be positive")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.per_number_rate = per_number_rate
        self.url = ""
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._accepted: dict[str, deque[float]] = {}
        self._throttled = 0
        self.app = Starlette(
            routes=[
                Route("/_fake/stats", self._stats_endpoint, methods=["GET"]),
                Route("/_fake/messages", self._messages_since_endpoint, methods=["GET"]),
                Route(
                    f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json",
                    self._messages_endpoint,
                    methods=["POST"],
                ),
                Route("/{path:path}", self._not_found, methods=["GET", "POST", "DELETE"]),
            ]
        )
        self._server = LoopbackServer(self.app, name="Twilio", host=host, port=port)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Serve in a background thread; return once the port accepts connections."""
        self.url = self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests read and steer -----------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every request so far, including failed ones."""
        with self._lock:
            return list(self._calls)

    @property
    def throttled(self) -> int:
        """How many 429s the rate enforcement answered (``fail_next`` ones not counted)."""
        with self._lock:
            return self._throttled

    @property
    def status_callbacks(self) -> list[str]:
        """The StatusCallback URLs of accepted message creates, in arrival order."""
        return [m.params["StatusCallback"] for m in self.messages() if "StatusCallback" in m.params]

    def messages(self, to: str | None = None) -> list[Call]:
        """Message creates answered 201, optionally to one number, in arrival order."""
        calls = [
            call
            for call in self.calls
            if call.status == HTTPStatus.CREATED and (to is None or call.params.get("To") == to)
        ]
        return sorted(calls, key=lambda call: call.at)

    def fail_next(
        self,
        status: int,
        *,
        code: int | None = None,
        message: str | None = None,
        count: int = 1,
        to: str | None = None,
    ) -> None:
        """Answer the next ``count`` authenticated message creates (to ``to``) with an error."""
        with self._lock:
            self._failures.append(_Failure(status, code, message, count, to))

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``predicate`` every 20 ms until it holds or ``timeout`` passes (blocks the thread).

        In an async test whose client runs on the test's loop use :meth:`wait_until_async`.
        """
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    async def wait_until_async(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Like :meth:`wait_until`, but yields to the caller's event loop while waiting."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    # -- HTTP --------------------------------------------------------------------------------

    async def _messages_endpoint(self, request: Request) -> Response:
        at = time.monotonic()
        params: dict[str, str] = {}
        sid: str | None = None
        try:
            body = (await request.body()).decode("utf-8")
            params = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body)))
        except (ValueError, UnicodeDecodeError):
            response = error_response(400, 20001, "Unable to parse request")
        else:
            credentials = _credentials(request.headers.get("authorization", ""))
            account = request.path_params["account_sid"]
            if credentials != (self.account_sid, self.auth_token) or account != self.account_sid:
                response = error_response(401)
            else:
                try:
                    message = self._create(params, at)
                except _ApiError as exc:
                    response = error_response(exc.status, exc.code, exc.message)
                else:
                    sid = message["sid"]
                    response = JSONResponse(message, HTTPStatus.CREATED)
        with self._lock:
            self._calls.append(
                Call("POST", request.url.path, params, at, response.status_code, sid)
            )
        return response

    async def _not_found(self, request: Request) -> Response:
        with self._lock:
            self._calls.append(Call(request.method, request.url.path, {}, time.monotonic(), 404))
        return error_response(
            404, 20404, f"The requested resource {request.url.path} was not found"
        )

    async def _stats_endpoint(self, request: Request) -> Response:
        return JSONResponse(
            {
                "calls": len(self.calls),
                "messages": len(self.messages()),
                "throttled": self.throttled,
            }
        )

    async def _messages_since_endpoint(self, request: Request) -> Response:
        """The message creates (any status) among the calls from index ``since`` on, each as
        ``[at, To, status, crc32 of the Body]``, and ``next``, the index to ask from next time
        (for load benchmarks)."""
        try:
            since = max(0, int(request.query_params.get("since", "0")))
        except ValueError:
            return error_response(400, 20001, "since must be an integer")
        with self._lock:
            calls, total = self._calls[since:], len(self._calls)
        messages = [
            [call.at, call.params.get("To", ""), call.status, _crc(call.params.get("Body", ""))]
            for call in calls
            if call.path.endswith("/Messages.json")
        ]
        return JSONResponse({"next": total, "messages": messages})

    def _injected(self, to: str) -> _ApiError | None:
        """The scripted failure for this create, if any (caller holds the lock)."""
        for failure in self._failures:
            if failure.to in (None, to):
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                return _ApiError(failure.status, failure.code, failure.message)
        return None

    def _rate_limited(self, sender: str, at: float) -> bool:
        """Whether accepting one more message from ``sender`` exceeds the rate (lock held)."""
        if self.per_number_rate is None:
            return False
        window = max(1.0, 1.0 / self.per_number_rate)
        capacity = max(1.0, self.per_number_rate * window)
        accepted = self._accepted.setdefault(sender, deque())
        while accepted and accepted[0] <= at - (window - JITTER):
            accepted.popleft()
        return len(accepted) + 1 > capacity

    def _create(self, params: dict[str, str], at: float) -> dict[str, Any]:
        to, sender = params.get("To", ""), params.get("From") or params.get("MessagingServiceSid")
        body = params.get("Body", "")
        with self._lock:
            injected = self._injected(to)
            if injected is not None:
                raise injected
            if not to:
                raise _ApiError(400, 21604)
            if not sender:
                raise _ApiError(400, 21603)
            if not body and not params.get("MediaUrl"):
                raise _ApiError(400, 21602)
            if len(body) > MAX_BODY_LENGTH:
                raise _ApiError(400, 21617)
            if not (to.startswith("+") and to[1:].isdigit() and 8 <= len(to) <= 16):
                raise _ApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            if self._rate_limited(sender, at):
                self._throttled += 1
                raise _ApiError(429, 20429)
            if self.per_number_rate is not None:
                self._accepted[sender].append(at)
        return self._message(params)

    def _message(self, params: dict[str, str]) -> dict[str, Any]:
        """The Message resource Twilio answers a create with."""
        sid = new_sid()
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        now = format_datetime(datetime.now(UTC))
        service = params.get("MessagingServiceSid")
        body = params.get("Body", "")
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            # With only a Messaging Service, Twilio picks the sender later: from is null.
            "from": params.get("From"),
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not params.get("From") else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": params.get("To"),
            "uri": f"{uri}.json",
        }


# -- the webhook side: what Twilio posts to us ------------------------------------------------


def signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature for a POST of ``params`` to ``url``, as Twilio computes it.

    https://www.twilio.com/docs/usage/security#validating-requests: the full URL (query string
    included), then each POST parameter's name and value, sorted by name; HMAC-SHA1 keyed with
    the auth token; base64.
    """
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def load_form(name: str) -> dict[str, str]:
    """A captured webhook form from ``tests/fixtures/twilio/<name>.txt``, field order kept."""
    raw = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").strip()
    return dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))


def _country(number: str) -> str:
    prefixes = sorted(_COUNTRIES, key=len, reverse=True)
    return next((_COUNTRIES[p] for p in prefixes if number.startswith(p)), "")


def _locate(form: dict[str, str], side: str, number: str) -> None:
    """Fit the captured (US) geo fields to ``number``: Twilio gives only a country elsewhere."""
    country = _country(number)
    if country != "US":
        form |= {f"{side}Country": country, f"{side}State": "", f"{side}City": "", f"{side}Zip": ""}


def inbound_form(
    *,
    from_: str,
    body: str,
    to: str = TEST_NUMBER,
    message_sid: str | None = None,
    account_sid: str = DEFAULT_ACCOUNT_SID,
) -> dict[str, str]:
    """The form Twilio posts to a number's SMS webhook when ``from_`` texts ``body`` to ``to``."""
    form = load_form("inbound_sms")
    sid = message_sid or new_sid()
    _locate(form, "From", from_)
    _locate(form, "To", to)
    form |= {"SmsMessageSid": sid, "SmsSid": sid, "MessageSid": sid, "AccountSid": account_sid}
    form |= {"From": from_, "To": to, "Body": body, "NumSegments": str(num_segments(body))}
    return form


def status_form(
    *,
    message_sid: str,
    status: str,
    to: str,
    from_: str = TEST_NUMBER,
    error_code: str | None = None,
    account_sid: str = DEFAULT_ACCOUNT_SID,
) -> dict[str, str]:
    """The form Twilio posts to a message's StatusCallback when it reaches ``status``.

    ``status`` is queued, sent, delivered, undelivered or failed; ``error_code`` (e.g. "30003"
    unreachable, "21610" unsubscribed) comes with the last two.
    """
    form = load_form("status_delivered")
    if status != "delivered":
        del form["RawDlrDoneDate"]
    form |= {"SmsSid": message_sid, "MessageSid": message_sid, "AccountSid": account_sid}
    form |= {"SmsStatus": status, "MessageStatus": status, "To": to, "From": from_}
    return {"ErrorCode": error_code} | form if error_code is not None else form


def main(argv: list[str] | None = None) -> None:
    """Serve a fake Twilio API until interrupted (for load benchmarks)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--per-number-rate", type=float, default=None)
    args = parser.parse_args(argv)
    fake = FakeTwilio(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        per_number_rate=args.per_number_rate,
        host=args.host,
        port=args.port,
    )
    serve_until_signalled(fake, lambda: fake.url)
    print(f"calls={len(fake.calls)} messages={len(fake.messages())} throttled={fake.throttled}")


if __name__ == "__main__":
    main()
