"""Serving a fake platform's ASGI app on 127.0.0.1 in a background thread with its own event loop,
so sync tests, async tests and a benchmark can all use it without sharing their loop."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import FrameType
from typing import Any

import uvicorn
from starlette.types import ASGIApp


class LoopbackServer:
    def __init__(
        self,
        app: ASGIApp,
        *,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
        on_loop: Callable[[asyncio.AbstractEventLoop], None] = lambda loop: None,
    ) -> None:
        self.app = app
        self.name = name
        self.host = host
        self.port = port
        self.on_loop = on_loop
        """Called in the server's thread once its loop runs (to make loop-bound objects)."""
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop_requested: asyncio.Event | None = None

    def start(self) -> str:
        """Serve; return the root URL once the port accepts connections."""
        if self._thread is not None:
            raise RuntimeError(f"the fake {self.name} server is already started")
        # proto must be IPPROTO_TCP, not the default 0: asyncio only sets TCP_NODELAY on such
        # sockets, and without it each response waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_config=None, log_level="warning", access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._serve(server, sock)),
            name=f"fake-{self.name}-{port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"the fake {self.name} server did not start")
            time.sleep(0.005)
        self.url = f"http://{self.host}:{port}"
        return self.url

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        # Server.serve() polls for should_exit every 0.1 s and its shutdown() sleeps a fixed
        # 0.1 s; with a fake per test that adds up, so drive startup and closing directly.
        self.loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        self.on_loop(self.loop)
        server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        try:
            await server.startup(sockets=[sock])
            await self._stop_requested.wait()
            for listener in server.servers:
                listener.close()
            for connection in list(server.server_state.connections):
                connection.shutdown()  # closes idle keep-alive connections, others after replying
            deadline = time.monotonic() + 5
            while server.server_state.connections and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
        finally:
            sock.close()

    def stop(self) -> None:
        if self._thread is None or self.loop is None:
            return
        if self._stop_requested is not None:
            self.loop.call_soon_threadsafe(self._stop_requested.set)
        self._thread.join(timeout=10)
        self._thread = None
        self.loop = None


def serve_until_signalled(fake: AbstractContextManager[Any], url: Callable[[], str]) -> None:
    """Standalone mode of a fake: print its URL, serve until SIGTERM or SIGINT."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with fake:
        print(url(), flush=True)
        while not stop.wait(0.5):
            pass
