"""One configuration's processes: the fake Telegram and Twilio APIs (each in its own process, so
they never share the load generator's event loop), the real server(s) or the echo floor, and a
read-only look into the server's database (inbox and outbox backlogs)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench.procs import Group, Proc, free_port, start_fake, wait_healthy
from bench.users import PUBLIC_URL, WEBHOOK_SECRET
from tests.fakes.twilio_api import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, TEST_NUMBER

TOKEN = "123456:TEST-token"
RATE_GLOBAL = 30.0
RATE_PER_CHAT = 1.0


@dataclass(frozen=True)
class Config:
    name: str
    database: str
    """sqlite or postgresql."""
    processes: int
    """`serve` processes taking webhooks."""
    workers: int = 0
    """`work` processes taking the turns (then the `serve` processes run with --no-turns)."""

    def describe(self) -> str:
        served = f"{self.processes} serve"
        if self.workers:
            return f"{served} --no-turns + {self.workers} work"
        return served


CONFIGS = {
    "sqlite": Config("sqlite", "sqlite", 1),
    "pg1": Config("pg1", "postgresql", 1),
    "pg2": Config("pg2", "postgresql", 2),
    "pg1w": Config("pg1w", "postgresql", 1, workers=1),
    "pg2w": Config("pg2w", "postgresql", 2, workers=2),
}


@dataclass
class Fakes:
    telegram: Proc
    twilio: Proc


def start_fakes(procs: Group, sms_rate: float) -> Fakes:
    telegram = start_fake(
        procs,
        "fake-telegram",
        "tests.fakes.telegram_api",
        ["--rate-global", str(RATE_GLOBAL), "--rate-per-chat", str(RATE_PER_CHAT)],
    )
    twilio = start_fake(
        procs, "fake-twilio", "tests.fakes.twilio_api", ["--per-number-rate", str(sms_rate)]
    )
    return Fakes(telegram, twilio)


def server_env(database_url: str, data_dir: Path, fakes: Fakes, sms_rate: float) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "BOT_SECRET_KEY": "bench-secret-key",
        "OPERATOR_BOOTSTRAP": "0",
        "PUBLIC_URL": PUBLIC_URL,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fakes.telegram.url,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_RATE_GLOBAL": str(RATE_GLOBAL),
        "TELEGRAM_RATE_PER_CHAT": str(RATE_PER_CHAT),
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": TEST_NUMBER,
        "TWILIO_API_URL": fakes.twilio.url,
        "SMS_RATE_PER_NUMBER": str(sms_rate),
        "PYTHONUNBUFFERED": "1",
    }


def start_servers(procs: Group, config: Config, env: dict[str, str]) -> list[Proc]:
    """The `serve` processes (each with its url) and then the `work` processes (without)."""
    servers = []
    extra = ["--no-turns"] if config.workers else []
    for index in range(config.processes):
        port = free_port()
        proc = procs.start(
            f"server-{index + 1}",
            [
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-reload-content",
                *extra,
            ],
            env,
        )
        proc.url = f"http://127.0.0.1:{port}"
        servers.append(proc)
        if index == 0:  # the first applies the migrations; the others start on a ready schema
            wait_healthy(proc, proc.url)
    for proc in servers[1:]:
        wait_healthy(proc, proc.url)
    workers = [
        procs.start(f"work-{n + 1}", ["-m", "bot", "work", "--no-reload-content"], env)
        for n in range(config.workers)
    ]
    for proc in workers:
        wait_working(proc)
    return servers + workers


def wait_working(proc: Proc, timeout: float = 60.0) -> None:
    """Until a `work` process says it is working (it prints a line once started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited {proc.popen.returncode}; see {proc.log}")
        if "Working the inbox" in proc.log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not start within {timeout:.0f}s; see {proc.log}")


def start_echo(procs: Group, fakes: Fakes) -> Proc:
    port = free_port()
    proc = procs.start(
        "echo",
        [
            "-m",
            "bench.echo",
            "--port",
            str(port),
            "--api-url",
            fakes.telegram.url,
            "--token",
            TOKEN,
        ],
        {"PYTHONUNBUFFERED": "1"},
    )
    proc.url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, proc.url)
    return proc


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def reset_postgres(url: str) -> None:
    """An empty database: drop and recreate schema public (as the tests do)."""
    connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


INBOX_PENDING = "SELECT count(*) FROM inbox WHERE done_at IS NULL"
OUTBOX_PENDING = (
    "SELECT count(*), count(DISTINCT conversation_id) FROM outbox "
    "WHERE status = 'pending' AND channel = 'telegram'"
)
OUTBOX_ALL_PENDING = "SELECT count(*) FROM outbox WHERE status = 'pending'"


class Probe:
    """Read-only counts from the server's database, polled while a phase runs."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._pg: asyncpg.Connection | None = None

    async def _rows(self, query: str) -> tuple[Any, ...]:
        if self.url.startswith("sqlite"):
            path = self.url.split(":///", 1)[1]
            return await asyncio.to_thread(_sqlite_row, path, query)
        if self._pg is None:
            self._pg = await asyncpg.connect(asyncpg_dsn(self.url), timeout=5)
        row = await self._pg.fetchrow(query)
        return tuple(row) if row is not None else ()

    async def inbox_pending(self) -> int:
        return int((await self._rows(INBOX_PENDING))[0])

    async def outbox_telegram(self) -> tuple[int, int]:
        """(pending Telegram messages, conversations they are for)."""
        pending, conversations = await self._rows(OUTBOX_PENDING)
        return int(pending), int(conversations)

    async def outbox_pending(self) -> int:
        return int((await self._rows(OUTBOX_ALL_PENDING))[0])

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None


def _sqlite_row(path: str, query: str) -> tuple[Any, ...]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        row = connection.execute(query).fetchone()
        return tuple(row) if row is not None else ()
    finally:
        connection.close()
