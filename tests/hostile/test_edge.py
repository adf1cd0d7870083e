"""The HTTP edge: a client that hangs up mid-body or sends its body slowly is answered quietly
(400/408, one log line, no traceback), and one address cannot hold the server's requests open."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.channels.telegram.conftest import PUBLIC_URL
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.hostile.site import SMS_PATH, Site, open_site, site_settings
from tests.serving import free_port, start_server, terminate, wait_healthy

PARTIAL = "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
PARTIAL += "Content-Length: 500\r\n\r\nFrom=1"


async def partial_body(port: int, path: str, local: str = "127.0.0.1") -> asyncio.StreamReader:
    """A connection that sent the headers and the first bytes of a 500-byte body, and waits."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
    writer.write(PARTIAL.format(path=path).encode())
    await writer.drain()
    OPEN.append(writer)
    return reader


OPEN: list[asyncio.StreamWriter] = []
"""The connections `partial_body` opened: closed by the test or when its site stops."""


@contextlib.asynccontextmanager
async def edge_site(
    tmp_path: Path, telegram: FakeTelegram, twilio: FakeTwilio, **env: str
) -> AsyncIterator[Site]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    settings = site_settings(tmp_path, url, telegram, twilio, **env)
    async with open_site(settings, telegram, twilio) as site:
        try:
            yield site
        finally:  # before the server stops: it waits for every open connection
            for writer in OPEN:
                writer.close()
            OPEN.clear()


def port_of(site: Site) -> int:
    return int(site.url.rsplit(":", 1)[1])


async def test_a_hang_up_mid_body_logs_one_line_and_no_traceback(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "BOT_SECRET_KEY": "test-secret-key",
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+15550001111",
        "TWILIO_API_URL": fake_twilio.url,
        "PUBLIC_URL": PUBLIC_URL,
        "OPERATOR_BOOTSTRAP": "0",
    }
    server = start_server(env, port, log)
    paths = (SMS_PATH, "/operator/login")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await wait_healthy(client, server)
            for path in paths:
                await partial_body(port, path)
            for writer in OPEN:
                writer.close()
            OPEN.clear()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                text = log.read_text()
                if all(path in text for path in paths) or "Traceback" in text:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.3)
            assert (await client.get("/healthz")).status_code == 200
    finally:
        terminate([server])
    text = log.read_text()
    assert "Traceback" not in text and "ClientDisconnect" not in text, text[-3000:]
    for path in paths:
        lines = [line for line in text.splitlines() if path in line]
        assert len(lines) == 1, (path, lines)


async def test_a_slow_body_gets_408_within_the_deadline(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    async with edge_site(tmp_path, fake_telegram, fake_twilio, BODY_TIMEOUT_SECONDS="1") as site:
        started = time.monotonic()
        reader = await partial_body(port_of(site), SMS_PATH)
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert 0.9 < time.monotonic() - started < 3
        assert await site.healthy()


async def test_one_address_cannot_hold_more_than_its_bound_open(
    tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    env = {"BODY_TIMEOUT_SECONDS": "20", "OPEN_REQUESTS_PER_ADDRESS": "3"}
    async with edge_site(tmp_path, fake_telegram, fake_twilio, **env) as site:
        port = port_of(site)
        held = [await partial_body(port, SMS_PATH) for _ in range(3)]
        await asyncio.sleep(0.3)  # the three are inside the app, waiting for their bodies
        started = time.monotonic()
        refused = await asyncio.wait_for((await partial_body(port, SMS_PATH)).read(), timeout=5)
        assert refused.startswith(b"HTTP/1.1 429"), refused[:200]
        assert time.monotonic() - started < 2
        # another address is served meanwhile
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
        async with httpx.AsyncClient(base_url=site.url, transport=transport) as other:
            assert (await other.get("/healthz")).status_code == 200
        # once the held requests end, the address is served again
        for writer in OPEN[:3]:
            writer.close()
        for reader in held:
            await asyncio.wait_for(reader.read(), timeout=5)
        await asyncio.sleep(0.3)
        assert await site.healthy()
