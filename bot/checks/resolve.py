"""The one resolver every check dial goes through.

Name lookups used to share asyncio's default thread pool with everything
else that blocks (boto3 calls among them): a few hung lookups (a dead DNS
server answers nothing, and getaddrinfo cannot be cancelled) took every
thread, and healthy checks missed their deadlines waiting behind them.

Here lookups run on their own small pool of daemon threads (a hung lookup
never holds up exit), each caller waits at most its own deadline, identical
lookups in flight are shared, and an address literal is never looked up.
The pool is bounded: once WORKERS distinct names hang, later lookups wait in
the queue and fail at their deadline, and nothing else is affected.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import queue
import socket
import threading
from collections.abc import Callable
from typing import Any

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Key = tuple[str, int, int]

WORKERS = 16
# A lookup that takes longer is treated as unanswered (resolv.conf's default
# is 5 s per try); a check with a shorter budget stops waiting sooner.
LOOKUP_TIMEOUT = 5.0


class LookupTimeout(socket.gaierror):
    """No answer from the resolver within the deadline."""

    def __init__(self, host: str, seconds: float) -> None:
        super().__init__(socket.EAI_AGAIN, f"no answer from DNS within {seconds:g} s")
        self.host = host


class Resolver:
    def __init__(self, *, workers: int = WORKERS, timeout: float = LOOKUP_TIMEOUT) -> None:
        self.timeout = timeout
        self._workers = workers
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], concurrent.futures.Future[Any]]]
        self._jobs = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._pending: dict[Key, concurrent.futures.Future[list[IP]]] = {}
        self._lock = threading.Lock()

    async def lookup(self, host: str, port: int, *, family: int = socket.AF_UNSPEC) -> list[IP]:
        """The addresses `host` resolves to, in the resolver's order, without
        duplicates. socket.gaierror (LookupTimeout when unanswered)."""
        literal = _literal(host)
        if literal is not None:
            if family not in (socket.AF_UNSPEC, _family(literal)):
                raise socket.gaierror(socket.EAI_ADDRFAMILY, "address of the other family")
            return [literal]
        seconds = self.timeout  # the caller's own deadline may end the wait sooner
        future = self._submit((host, port, family))
        try:
            async with asyncio.timeout(seconds):
                # shield: another caller may be waiting on the same lookup.
                return await asyncio.shield(asyncio.wrap_future(future))
        except TimeoutError:
            raise LookupTimeout(host, seconds) from None

    def _submit(self, key: Key) -> concurrent.futures.Future[list[IP]]:
        with self._lock:
            future = self._pending.get(key)
            if future is not None:
                return future
            future = concurrent.futures.Future()
            self._pending[key] = future
            self._start_worker()
        future.add_done_callback(lambda _: self._forget(key))
        self._jobs.put((lambda: _getaddrinfo(*key), future))
        return future

    def _forget(self, key: Key) -> None:
        with self._lock:
            self._pending.pop(key, None)

    def _start_worker(self) -> None:
        """One more thread while under the cap (called with the lock held)."""
        if len(self._threads) < self._workers:
            thread = threading.Thread(target=self._work, name="triage-dns", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        while True:
            job, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)


def _getaddrinfo(host: str, port: int, family: int) -> list[IP]:
    # socket.getaddrinfo looked up at call time, so a test can stand in for DNS.
    found = socket.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    addresses: list[IP] = []
    for *_, sockaddr in found:
        ip = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if ip not in addresses:
            addresses.append(ip)
    return addresses


def _literal(host: str) -> IP | None:
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        return None


def _family(ip: IP) -> int:
    return socket.AF_INET6 if ip.version == 6 else socket.AF_INET


RESOLVER = Resolver()
