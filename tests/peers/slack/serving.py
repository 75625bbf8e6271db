"""An aiohttp application served on loopback from its own event-loop thread,
so that sync tests, async tests (whatever their loop) and subprocesses can all
reach it, and a test blocking on a condition never stalls it."""

from __future__ import annotations

import socket

from aiohttp import web

from bot.demo.loop import LoopThread


class Served:
    """`app` on 127.0.0.1 at a port picked by the kernel, until `stop()`."""

    def __init__(self, app: web.Application, name: str) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.thread = LoopThread(name)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        self.thread.run(self._start())

    async def _start(self) -> None:
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    def stop(self) -> None:
        self.thread.run(self._runner.cleanup())
        self.thread.stop()
        self._sock.close()
