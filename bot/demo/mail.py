"""Just enough SMTP and IMAP for the probes: a banner, EHLO or CAPABILITY,
STARTTLS (when offered) and a clean goodbye. asyncio streams only, so the demo
needs no SMTP library."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
HOST = "127.0.0.1"


async def serve(handler: Handler, *, tls: ssl.SSLContext | None = None) -> asyncio.Server:
    """`handler` on 127.0.0.1 at a free port (implicit TLS when `tls`)."""

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass  # a client that rejects our certificate hangs up mid-dialogue
        finally:
            writer.close()

    return await asyncio.start_server(guarded, HOST, 0, ssl=tls)


def port_of(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


async def _say(writer: asyncio.StreamWriter, *lines: str) -> None:
    writer.write("".join(f"{line}\r\n" for line in lines).encode())
    await writer.drain()


def smtp(
    tls: ssl.SSLContext | None, *, banner: str = "smtp.demo.test ESMTP triage-demo"
) -> Handler:
    """SMTP that offers STARTTLS when given `tls` (once: not again inside TLS)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _say(writer, f"220 {banner}")
        secure = False
        while line := await reader.readline():
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                offer = ["250-STARTTLS"] if tls is not None and not secure else []
                await _say(writer, "250-smtp.demo.test", *offer, "250 8BITMIME")
            elif verb == "STARTTLS" and tls is not None and not secure:
                await _say(writer, "220 2.0.0 Ready to start TLS")
                await writer.start_tls(tls)
                secure = True
            elif verb == "QUIT":
                await _say(writer, "221 2.0.0 Bye")
                return
            else:
                await _say(writer, "502 5.5.2 Command not recognised")

    return handle


def imap(tls: ssl.SSLContext | None) -> Handler:
    """IMAP whose CAPABILITY lists STARTTLS only when given `tls`."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _say(writer, "* OK [CAPABILITY IMAP4rev1] triage-demo IMAP ready")
        secure = False
        while line := await reader.readline():
            tag, _, rest = line.decode(errors="replace").strip().partition(" ")
            command = rest.upper()
            if command == "CAPABILITY":
                extra = " STARTTLS LOGINDISABLED" if tls is not None and not secure else ""
                await _say(writer, f"* CAPABILITY IMAP4rev1{extra}", f"{tag} OK done")
            elif command == "STARTTLS" and tls is not None and not secure:
                await _say(writer, f"{tag} OK Begin TLS negotiation now")
                await writer.start_tls(tls)
                secure = True
            elif command == "LOGOUT":
                await _say(writer, "* BYE logging out", f"{tag} OK LOGOUT completed")
                return
            else:
                await _say(writer, f"{tag} BAD command unknown or not allowed now")

    return handle


async def closed_port() -> int:
    """A port nothing listens on (bound, then released): connections are refused."""
    server = await asyncio.start_server(lambda r, w: None, HOST, 0)
    port = port_of(server)
    server.close()
    await server.wait_closed()
    return port
