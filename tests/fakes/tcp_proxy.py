"""A tiny TCP proxy on loopback, in the test's event loop, that a test can cut and restore: a
database (or an API) "going away" without stopping the real server behind it.

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/test"
        proxy.cut()      # every open connection closed, new ones closed at once
        proxy.hang()     # open connections go silent, new ones are accepted and never answered
        proxy.restore()  # new connections are forwarded again

Silent connections stay open until the client gives up (or `restore`, which closes them: the
peer it was talking to is long gone, as after a real network partition).
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

OPEN, CUT, HANG = "open", "cut", "hang"
CHUNK = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self.mode = OPEN
        self.accepted = 0
        """Connections accepted so far, in any mode."""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._client, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._close_all()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> TcpProxy:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def cut(self) -> None:
        """Close every connection; new ones are closed as soon as they are accepted."""
        self.mode = CUT
        self._close_all()

    def hang(self) -> None:
        """Stop forwarding in both directions; new connections are accepted and left silent."""
        self.mode = HANG

    def restore(self) -> None:
        """Forward again. Connections left silent by `hang` are closed (their streams are
        out of step with the server's); the clients open new ones."""
        if self.mode == HANG:
            self._close_all()
        self.mode = OPEN

    @property
    def open_connections(self) -> int:
        return len(self._writers) // 2

    def _close_all(self) -> None:
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        if self.mode == CUT:
            writer.transport.abort()
            return
        self._writers.add(writer)
        while self.mode == HANG and not writer.transport.is_closing():
            await asyncio.sleep(0.02)
        if writer.transport.is_closing():
            self._writers.discard(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._writers.discard(writer)
            writer.transport.abort()
            return
        self._writers.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink, (writer, up_writer)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await source.read(CHUNK):
                while self.mode == HANG and not sink.transport.is_closing():
                    await asyncio.sleep(0.02)  # held back: the other side hears nothing
                if sink.transport.is_closing():
                    break
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            for writer in pair:
                self._writers.discard(writer)
                writer.transport.abort()
