"""A TCP relay on loopback that can go silent: `drop()` stops forwarding on
every connection open now, without closing anything (no FIN, no close
frame), as a NAT or a load balancer does when it forgets a flow. New
connections are relayed as before. Used to prove the Socket Mode client
notices a dead link by itself."""

from __future__ import annotations

import asyncio
from typing import Self

from bot.demo.loop import LoopThread


class Blackhole:
    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._links: list[_Link] = []
        self._thread = LoopThread("blackhole")
        self._server = self._thread.run(asyncio.start_server(self._relay, "127.0.0.1", 0))
        self.port: int = self._server.sockets[0].getsockname()[1]

    def drop(self) -> None:
        """Every open connection stops passing bytes, both ways, from now on."""
        self._thread.run(self._drop())

    def stop(self) -> None:
        self._thread.run(self._close())
        self._thread.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _drop(self) -> None:
        for link in self._links:
            link.silent = True

    async def _close(self) -> None:
        self._server.close()
        for link in self._links:
            link.close()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        link = _Link([writer, up_writer])
        self._links.append(link)
        await asyncio.gather(
            link.pump(reader, up_writer), link.pump(up_reader, writer), return_exceptions=True
        )
        link.close()


class _Link:
    def __init__(self, writers: list[asyncio.StreamWriter]) -> None:
        self.writers = writers
        self.silent = False

    async def pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            if not self.silent:  # dropped: swallowed, as a dead route swallows it
                writer.write(data)
                await writer.drain()

    def close(self) -> None:
        for writer in self.writers:
            writer.close()
