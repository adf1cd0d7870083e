"""The intake burst's poster: what it sends, how it reads answers, retries and reconnects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bench import users
from bench.burst import BurstPoster
from bench.users import SECRET_HEADER, TELEGRAM_PATH, WEBHOOK_SECRET

Answer = Callable[[int], bytes]
"""The n-th request's (from 0) raw answer."""


def ok(keep_alive: bool = True) -> bytes:
    connection = b"" if keep_alive else b"connection: close\r\n"
    return b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n" + connection + b"\r\n"


UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b'content-length: 25\r\n\r\n{"error": "unavailable"}\n'
)


class Server:
    """A loopback HTTP/1.1 server that records each request (headers and body) and answers
    as told; one read per request is enough for the small bodies used here."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.connections = 0
        self.url = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                headers["request-line"] = lines[0]
                body = await reader.readexactly(int(headers["Content-Length"]))
                self.requests.append((headers, body))
                answer = self.answer(len(self.requests) - 1)
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


Serving = Callable[[Answer], Awaitable[Server]]


@pytest.fixture
async def serving() -> AsyncIterator[Serving]:
    listening: list[asyncio.Server] = []

    async def start(answer: Answer) -> Server:
        server = Server(answer)
        opened = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        listening.append(opened)
        server.url = f"http://127.0.0.1:{opened.sockets[0].getsockname()[1]}"
        return server

    yield start
    for opened in listening:
        opened.close()
        await opened.wait_closed()


async def test_posts_the_update_as_telegram_does_on_one_kept_connection(
    serving: Serving,
) -> None:
    server = await serving(lambda n: ok())
    poster = BurstPoster(server.url)
    bodies = [
        json.dumps({"update_id": n, "message": {"text": "привет"}}).encode() for n in range(5)
    ]
    for body in bodies:
        latency, errors = await poster.post(body)
        assert latency is not None and latency >= 0 and errors == 0
    poster.close()
    assert [body for _, body in server.requests] == bodies
    headers = server.requests[0][0]
    assert headers["request-line"] == f"POST {TELEGRAM_PATH} HTTP/1.1"
    assert headers[SECRET_HEADER] == WEBHOOK_SECRET
    assert headers["Content-Type"] == "application/json"
    assert server.connections == 1


async def test_what_is_not_accepted_is_posted_again(
    serving: Serving, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users.asyncio, "sleep", _no_wait)
    server = await serving(lambda n: UNAVAILABLE if n < 2 else ok())
    poster = BurstPoster(server.url)
    latency, errors = await poster.post(b'{"update_id": 1}')
    poster.close()
    assert latency is not None and errors == 2
    assert [body for _, body in server.requests] == [b'{"update_id": 1}'] * 3


async def test_a_connection_the_server_closes_is_opened_again(
    serving: Serving,
) -> None:
    server = await serving(lambda n: ok(keep_alive=n % 2 == 1))
    poster = BurstPoster(server.url)
    for n in range(4):
        latency, errors = await poster.post(b'{"update_id": %d}' % n)
        assert latency is not None and errors == 0
    poster.close()
    assert len(server.requests) == 4
    assert server.connections == 3  # closed after the 1st and the 3rd


async def test_nobody_listening_is_failures_counted_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(users.asyncio, "sleep", _no_wait)
    monkeypatch.setattr(users, "POST_ATTEMPTS", 3)
    listening = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    listening.close()
    await listening.wait_closed()
    latency, errors = await BurstPoster(f"http://127.0.0.1:{port}").post(b"{}")
    assert latency is None and errors == 3


_real_sleep = asyncio.sleep


async def _no_wait(seconds: float) -> None:
    await _real_sleep(0)
