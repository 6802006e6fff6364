"""One socket write per small response, where uvicorn makes two.

uvicorn writes a response's status line and headers, then its body, each with its own
``transport.write``: two ``send`` system calls, two TCP segments, and for the client two
wake-ups and two reads, for an answer of a few hundred bytes. ``CoalescingTransport`` holds
what is written until the end of the event loop's current step (or until 64 KiB are held),
then writes it at once: the head and body of an answer leave together.
"""

from __future__ import annotations

import asyncio
from typing import Any

# Held past this, a write goes out at once: a streamed body is never kept back in memory.
FLUSH_BYTES = 64 * 1024


class CoalescingTransport(asyncio.Transport):
    """A transport that joins the writes of one loop step into one write of the wrapped
    transport. Closing, aborting or half-closing writes what is held first (abort drops
    it, as the wrapped transport drops its own buffer)."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._held_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))
        self._held_bytes += len(data)
        if self._held_bytes >= FLUSH_BYTES:
            self.flush()

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Write what is held (a no-op when nothing is)."""
        if not self._held:
            return
        held = self._held
        self._held = []
        self._held_bytes = 0
        if self._transport.is_closing():
            return  # the client went away since: nobody to write to (writing would raise)
        if len(held) == 1:
            self._transport.write(held[0])
        else:
            # uvloop (what `lrs serve` runs) writes the pieces with one writev, without
            # joining them: a page of statements is a few hundred KB, and a copy of it cost
            # more than the system call it saves.
            self._transport.writelines(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._held_bytes = 0
        self._transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._held_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()
