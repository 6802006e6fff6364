"""How many bytes of large request bodies a worker processes at once.

A request body becomes several times its size in memory while it is parsed, validated and
stored (ten batches of 19 MB at once took the server from 335 MB to 1.2 GB). Once a large
body has been read whole, its request takes its size from this budget before the app sees
the body's last part, and gives it back when the request ends; a request that would pass
the budget waits, first come first served. Only whole bodies take from it, so a request
holding budget never waits for more (no deadlock), and a slow upload holds none.
"""

from __future__ import annotations

import asyncio
from collections import deque

# Bodies up to this size (a batch of a few hundred statements) do not take from the budget.
SMALL_BODY_BYTES = 1024 * 1024


class ByteBudget:
    """A weighted semaphore, first come first served."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.free = capacity
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def acquire(self, amount: int) -> int:
        """Take `amount` bytes (at most the whole budget), waiting for them if need be; the
        amount taken, to give back with `release`."""
        amount = min(amount, self.capacity)
        if not self._waiters and self.free >= amount:
            self.free -= amount
            return amount
        waiter = asyncio.get_running_loop().create_future()
        entry = (amount, waiter)
        self._waiters.append(entry)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release(amount)  # granted, then cancelled before it was used
            else:
                self._waiters.remove(entry)
                self._wake()  # those behind it may fit now
            raise
        return amount

    def release(self, amount: int) -> None:
        self.free += amount
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.free:
            amount, waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self.free -= amount
            waiter.set_result(None)
