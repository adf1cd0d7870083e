"""A fake Telegram Bot API server on loopback, for the real python-telegram-bot client.

Point ``telegram.Bot(token, base_url=f"{fake.url}/bot")`` at it. The server runs uvicorn in its
own thread with its own event loop, so sync tests, async tests and a separate benchmark process
can all drive it. Answers follow https://core.telegram.org/bots/api: the same envelopes, error
descriptions and status codes, so PTB raises the same exceptions it raises in production.

Run standalone for load tests: ``python -m tests.fakes.telegram_api --port 8081 --rate-global 30
--rate-per-chat 1``. ``GET /_fake/stats`` then reports counts, ``GET /_fake/sent?since=N`` the
sendMessage calls with their arrival times, and ``POST /_fake/updates`` (one update or a list, as
JSON) queues updates for getUpdates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.loopback import LoopbackServer, serve_until_signalled

JSONDict = dict[str, Any]

# Flood control forgives this much early arrival: a client pacing itself exactly at the limit
# still sees its asyncio timers fire a few milliseconds early or late.
JITTER = 0.02
# getUpdates waits at most this long, whatever timeout the client asks for, to keep tests fast.
LONG_POLL_CAP = 2.0
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    500: "Internal Server Error",
}
# What nginx in front of api.telegram.org answers when the backend is down: not JSON.
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
# Parameters the Bot API types as String: a form value like "123" or "true" stays text.
# fmt: off
_STRING_PARAMS = frozenset({
    "text", "caption", "parse_mode", "url", "secret_token", "ip_address", "callback_query_id",
    "inline_message_id", "language_code", "description", "short_description", "name", "action",
    "business_connection_id", "message_effect_id",
})
# Methods whose effect tests need not observe beyond the recorded Call.
_TRUE_METHODS = (
    "answerCallbackQuery", "close", "logOut", "sendChatAction", "deleteMessage",
    "setChatMenuButton", "setMyDescription", "setMyShortDescription", "setMyName",
)
# fmt: on


@dataclass(frozen=True)
class Call:
    """One request the fake received, with the status it answered."""

    method: str
    params: dict[str, Any]
    at: float
    status: int


@dataclass
class _Failure:
    method: str
    status: int
    count: int
    retry_after: int | None
    description: str | None
    chat_id: int | None


class _ApiError(Exception):
    def __init__(self, status: int, description: str | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def error_response(
    status: int, description: str | None = None, retry_after: int | None = None
) -> Response:
    """The answer the real Bot API (or the nginx in front of it) gives for ``status``."""
    if status == HTTPStatus.BAD_GATEWAY and description is None:
        return Response(_NGINX_502, status, media_type="text/html")
    body: JSONDict = {"ok": False, "error_code": status}
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        wait = 1 if retry_after is None else retry_after
        body["description"] = description or f"Too Many Requests: retry after {wait}"
        body["parameters"] = {"retry_after": wait}
    else:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body["description"] = description or _DESCRIPTIONS.get(status, phrase)
    return JSONResponse(body, status)


def _decode(raw: dict[str, Any], *, all_text: bool) -> JSONDict:
    """Turn JSON-encoded parameter values (PTB form-encodes nested objects) into Python values."""
    params: JSONDict = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in _STRING_PARAMS and (all_text or value[:1] in "{["):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        params[key] = value
    chat_id = params.get("chat_id")
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        params["chat_id"] = int(chat_id)
    return params


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(EmailMessage, policy=HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8")
        else:
            fields[name] = {
                "filename": filename,
                "content_type": part.get_content_type(),
                "size": len(data),
            }
    return fields


async def read_params(request: Request) -> JSONDict:
    """Parameters from the query string and a JSON, url-encoded or multipart body."""
    params = _decode(dict(request.query_params), all_text=True)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if not body:
        return params
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        if not isinstance(loaded, dict):
            raise ValueError("JSON body is not an object")
        params.update(_decode(loaded, all_text=False))
    elif content_type.startswith("multipart/form-data"):
        params.update(_decode(_parse_multipart(body, content_type), all_text=True))
    else:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        params.update(_decode(dict(pairs), all_text=True))
    return params


def _crc(text: Any) -> int:
    return zlib.crc32(str(text or "").encode("utf-8"))


def _chat(chat_id: int) -> JSONDict:
    if chat_id > 0:
        return {"id": chat_id, "type": "private"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": "Test group"}


def _inline_markup(params: JSONDict) -> JSONDict | None:
    """The reply_markup a Message echoes back: Telegram only echoes inline keyboards."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA_BYTES:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _text(params: JSONDict) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _ApiError(400, "Bad Request: message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise _ApiError(400, "Bad Request: message is too long")
    return text


def _chat_id(params: JSONDict) -> int:
    chat_id = params.get("chat_id")
    if chat_id in (None, ""):
        raise _ApiError(400, "Bad Request: chat_id is empty")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        raise _ApiError(400, "Bad Request: chat not found")
    return chat_id


class FakeTelegram:
    """A Bot API server on 127.0.0.1 that records every call and fails on demand.

    Beyond the methods' happy paths it enforces what the real server does and a bot must cope
    with: message text 1-4096 characters, callback_data at most 64 bytes, "message is not
    modified" when an edit of a message it sent changes nothing, 409 for getUpdates while a
    webhook is set. With ``rate_global``/``rate_per_chat`` set it also applies sendMessage flood
    control, answering 429 (retry_after 1) when more than ``rate_global`` messages would be
    accepted within the trailing second, or when the chat's previous accepted message is less
    than ``1/rate_per_chat`` seconds old; both forgive ``JITTER`` (20 ms) of early arrival.
    Only inline keyboards are echoed in a sent Message's reply_markup, as Telegram does.
    """

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token",
        username: str = "helpline_test_bot",
        rate_global: float | None = None,
        rate_per_chat: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.username = username
        self.rate_global = rate_global
        self.rate_per_chat = rate_per_chat
        self.url = ""
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._failures: list[_Failure] = []
        self._updates: list[JSONDict] = []
        self._last_update_id = 0
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._commands: dict[tuple[str, str], list[Any]] = {}
        self._webhook: JSONDict = {}
        self._accepted: deque[float] = deque()
        self._last_accepted: dict[int, float] = {}
        self._throttled = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._handlers: dict[str, Callable[[JSONDict], Any]] = {
            "getMe": lambda _: self.bot_user(full=True),
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }
        for name in _TRUE_METHODS:
            self._handlers.setdefault(name, lambda _: True)
        self._canonical = {name.lower(): name for name in [*self._handlers, "getUpdates"]}
        self.app = Starlette(
            routes=[
                Route("/_fake/stats", self._stats_endpoint, methods=["GET"]),
                Route("/_fake/updates", self._push_endpoint, methods=["POST"]),
                Route("/_fake/sent", self._sent_endpoint, methods=["GET"]),
                Route("/bot{token}/{method}", self._api_endpoint, methods=["GET", "POST"]),
            ]
        )
        self._server = LoopbackServer(
            self.app, name="Telegram", host=host, port=port, on_loop=self._made_loop
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        """Serve in a background thread; return once the port accepts connections."""
        self._stopping = False
        self.url = self._server.start()
        return self

    def _made_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._wake = asyncio.Event()

    def stop(self) -> None:
        """Stop serving; pending long polls answer at once with no updates."""
        self._stopping = True
        self._notify()
        self._server.stop()
        self._loop = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            # the loop may close between the check and the call
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)

    # -- what tests read and steer -----------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every request so far, including failed ones."""
        with self._lock:
            return list(self._calls)

    @property
    def throttled(self) -> int:
        """How many 429s the flood control answered (``fail_next`` ones not counted)."""
        with self._lock:
            return self._throttled

    def calls_to(self, method: str) -> list[Call]:
        """The calls of one method, in the order they were answered."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """sendMessage calls answered 200, optionally for one chat, in arrival order."""
        calls = [
            call
            for call in self.calls_to("sendMessage")
            if call.status == HTTPStatus.OK
            and (chat_id is None or call.params.get("chat_id") == chat_id)
        ]
        return sorted(calls, key=lambda call: call.at)

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        count: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` (for ``chat_id``) with an error."""
        failure = _Failure(method.lower(), status, count, retry_after, description, chat_id)
        with self._lock:
            self._failures.append(failure)

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates; one without update_id gets the next free one."""
        update = copy.deepcopy(update)
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._last_update_id + 1
            self._last_update_id = max(self._last_update_id, update["update_id"])
            self._updates.append(update)
        self._notify()

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Poll ``predicate`` every 20 ms until it holds or ``timeout`` passes (blocks the thread).

        In an async test whose bot runs on the test's loop use :meth:`wait_until_async`.
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

    def bot_user(self, *, full: bool = False) -> JSONDict:
        """The bot as a User object; ``full`` adds the fields only getMe returns."""
        user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Helpline Test Bot",
            "username": self.username,
        }
        if full:
            user |= {
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        return user

    # -- HTTP --------------------------------------------------------------------------------

    async def _api_endpoint(self, request: Request) -> Response:
        at = time.monotonic()
        requested = str(request.path_params["method"])
        method = self._canonical.get(requested.lower(), requested)
        params: JSONDict = {}
        try:
            params = await read_params(request)
        except (ValueError, UnicodeDecodeError):
            response = error_response(400, "Bad Request: can't parse request parameters")
        else:
            if request.path_params["token"] != self.token:
                response = error_response(401)
            elif method == "getUpdates":
                response = await self._get_updates(params, at)
            elif method in self._handlers:
                response = self._answer(method, params, at)
            else:
                response = error_response(404, "Not Found: method not found")
        with self._lock:
            self._calls.append(Call(method, params, at, response.status_code))
        return response

    async def _stats_endpoint(self, request: Request) -> Response:
        return JSONResponse(
            {"calls": len(self.calls), "sent": len(self.sent()), "throttled": self.throttled}
        )

    async def _sent_endpoint(self, request: Request) -> Response:
        """The sendMessage calls (any status) among the calls from index ``since`` on, each as
        ``[at, chat_id, status, crc32 of the text]``, and ``next``, the index to ask from next
        time: a load benchmark follows every chat's replies without copying all calls."""
        try:
            since = max(0, int(request.query_params.get("since", "0")))
        except ValueError:
            return error_response(400, "Bad Request: since must be an integer")
        with self._lock:
            calls, total = self._calls[since:], len(self._calls)
        sent = [
            [call.at, call.params.get("chat_id"), call.status, _crc(call.params.get("text"))]
            for call in calls
            if call.method == "sendMessage"
        ]
        return JSONResponse({"next": total, "sent": sent})

    async def _push_endpoint(self, request: Request) -> Response:
        body = json.loads(await request.body())
        for update in body if isinstance(body, list) else [body]:
            self.push_update(update)
        return JSONResponse({"ok": True, "result": True})

    def _injected(self, method: str, params: JSONDict) -> Response | None:
        """The scripted failure for this call, if any (caller holds the lock)."""
        for failure in self._failures:
            if failure.method == method.lower() and failure.chat_id in (
                None,
                params.get("chat_id"),
            ):
                failure.count -= 1
                if failure.count <= 0:
                    self._failures.remove(failure)
                return error_response(failure.status, failure.description, failure.retry_after)
        return None

    def _flood_controlled(self, params: JSONDict, at: float) -> bool:
        """Whether accepting this sendMessage would exceed the rates (caller holds the lock)."""
        window = 1.0 - JITTER
        while self._accepted and self._accepted[0] <= at - window:
            self._accepted.popleft()
        if self.rate_global is not None and len(self._accepted) + 1 > self.rate_global:
            return True
        chat_id = params.get("chat_id")
        last = self._last_accepted.get(chat_id) if isinstance(chat_id, int) else None
        return (
            self.rate_per_chat is not None
            and last is not None
            and at - last < 1.0 / self.rate_per_chat - JITTER
        )

    def _answer(self, method: str, params: JSONDict, at: float) -> Response:
        with self._lock:
            injected = self._injected(method, params)
            if injected is not None:
                return injected
            rated = self.rate_global is not None or self.rate_per_chat is not None
            limited = method == "sendMessage" and rated
            if limited and self._flood_controlled(params, at):
                self._throttled += 1
                return error_response(429, retry_after=1)
            try:
                result = self._handlers[method](params)
            except _ApiError as exc:
                return error_response(exc.status, exc.description)
            if limited:
                self._accepted.append(at)
                self._last_accepted[params["chat_id"]] = at
        return JSONResponse({"ok": True, "result": result})

    async def _get_updates(self, params: JSONDict, at: float) -> Response:
        with self._lock:
            injected = self._injected("getUpdates", params)
            if injected is not None:
                return injected
            if self._webhook.get("url"):
                return error_response(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            deadline = at + min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        except (TypeError, ValueError):
            return error_response(400, "Bad Request: wrong parameter value")
        # Filtered per call; unlike Telegram, the fake neither remembers allowed_updates nor
        # holds back chat_member and message_reaction updates by default.
        allowed = params.get("allowed_updates") or []
        while True:
            if self._wake is not None:
                self._wake.clear()
            with self._lock:
                if offset > 0:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                elif offset < 0:
                    self._updates = self._updates[offset:]
                ready = [u for u in self._updates if not allowed or set(u) & set(allowed)]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._stopping or self._wake is None:
                return JSONResponse({"ok": True, "result": ready[:limit]})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), remaining)

    # -- methods (called with the lock held) -------------------------------------------------

    def _message(self, chat_id: int, message_id: int, text: str | None) -> JSONDict:
        message: JSONDict = {
            "message_id": message_id,
            "from": self.bot_user(),
            "chat": _chat(chat_id),
            "date": int(time.time()),
        }
        if text is not None:
            message["text"] = text
        return message

    def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id, text, markup = _chat_id(params), _text(params), _inline_markup(params)
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        message = self._message(chat_id, message_id, text)
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[chat_id, message_id] = message
        return message

    def _edit(self, params: JSONDict, text: str | None) -> JSONDict | bool:
        markup = _inline_markup(params)
        if params.get("inline_message_id"):
            return True
        chat_id = _chat_id(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _ApiError(400, "Bad Request: message identifier is not specified")
        old = self._messages.get((chat_id, message_id)) or self._message(chat_id, message_id, text)
        new = {k: v for k, v in old.items() if k not in ("reply_markup", "edit_date")}
        if text is not None:
            new["text"] = text
        if markup is not None:
            new["reply_markup"] = markup
        unchanged = new.get("text") == old.get("text") and markup == old.get("reply_markup")
        if (chat_id, message_id) in self._messages and unchanged:
            raise _ApiError(400, _NOT_MODIFIED)
        new["edit_date"] = int(time.time())
        self._messages[chat_id, message_id] = new
        return new

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        return self._edit(params, _text(params))

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        return self._edit(params, None)

    def _set_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        keys = ("url", "max_connections", "allowed_updates")
        self._webhook = {key: params[key] for key in keys if params.get(key)}
        return True

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {}
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        info |= {key: value for key, value in self._webhook.items() if value is not None}
        return info

    @staticmethod
    def _scope(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, 'Bad Request: parameter "commands" is required')
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        self._commands[self._scope(params)] = commands
        return True

    def _get_my_commands(self, params: JSONDict) -> list[Any]:
        return self._commands.get(self._scope(params), [])

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._scope(params), None)
        return True


def main(argv: list[str] | None = None) -> None:
    """Serve a fake Bot API until interrupted (for load benchmarks)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-token")
    parser.add_argument("--rate-global", type=float, default=None)
    parser.add_argument("--rate-per-chat", type=float, default=None)
    args = parser.parse_args(argv)
    fake = FakeTelegram(
        token=args.token,
        rate_global=args.rate_global,
        rate_per_chat=args.rate_per_chat,
        host=args.host,
        port=args.port,
    )
    serve_until_signalled(fake, lambda: fake.url)
    print(f"calls={len(fake.calls)} sent={len(fake.sent())} throttled={fake.throttled}")


if __name__ == "__main__":
    main()
