"""The real app on a loopback port (uvicorn, in the test's event loop): for channel tests; and
the real server as a process (`python -m bot serve`), for tests that kill or multiply it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import text

from bot.channels.base import ChannelPlugin
from bot.channels.telegram.channel import TelegramChannel
from bot.delivery.inbox import pending_conversations
from bot.delivery.outbox import count_pending
from bot.service.asgi import create_app
from bot.service.assembly import Services
from bot.service.runtime import Runtime
from bot.settings import Settings
from bot.web.server import uvicorn_options

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Running:
    url: str
    client: httpx.AsyncClient
    services: Services

    async def dump(
        self, tables: tuple[str, ...] = ("conversations", "inbox", "outbox")
    ) -> list[str]:
        """Every stored value of the tables that hold per-person data, as text."""
        values: list[str] = []
        async with self.services.core.db.connect() as connection:
            for table in tables:
                rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
                values += [str(value) for row in rows for value in row]
        return values

    async def settled(self, timeout: float = 10) -> bool:
        """Wait until the inbox is processed and the outbox empty."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            async with self.services.sessions() as session:
                pending = await count_pending(session)
                waiting = await pending_conversations(session, 1)
            if not pending and not waiting:
                return True
            await asyncio.sleep(0.05)
        return False


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    *,
    watch_content: bool = False,
    plugins: Sequence[ChannelPlugin] | None = None,
) -> AsyncIterator[Running]:
    started: list[Runtime] = []
    app = create_app(
        settings, watch_content=watch_content, on_start=started.append, plugins=plugins
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
            **uvicorn_options(settings),
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    services = started[0].services
    telegram = services.channels.get("telegram")
    if isinstance(telegram, TelegramChannel):
        await asyncio.wait_for(telegram.ready.wait(), timeout=10)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            yield Running(url, client, services)
        finally:
            server.should_exit = True
            await task


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    env: dict[str, str], port: int, log: Path, *options: str
) -> subprocess.Popen[bytes]:
    command = ["serve", "--port", str(port), "--no-reload-content", *options]
    return start_bot(env, log, *command)


def terminate(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to all, then up to 30 s each to finish, then SIGKILL."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
        if process.poll() is None:
            process.kill()


def start_bot(env: dict[str, str], log: Path, *command: str) -> subprocess.Popen[bytes]:
    """`python -m bot COMMAND...` in the background, its output appended to `log`."""
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *command],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def wait_healthy(
    client: httpx.AsyncClient, process: subprocess.Popen[bytes], timeout: float = 30
) -> None:
    for _ in range(int(timeout / 0.05)):
        assert process.poll() is None, "the server exited"
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the server did not become healthy")
