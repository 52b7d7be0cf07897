"""A client-side rate limiter shared by every request of a connection.

Two jobs: keep under the provider's budget (at most N requests in any window of S seconds: a log
of the last N send times, so a burst can never exceed N whatever the window's alignment), and
pause *every* request when the API answers 429 with Retry-After, not only the one refused.

The decision is pure (``wait(now)`` takes the time and returns how long to wait, 0 = go), so the
same limiter drives threads (``acquire``) and asyncio tasks (``acquire_async``), and a test can
drive it with a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, requests: int | None = None, seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.requests, self.seconds = requests, seconds
        self.clock, self.sleep = clock, sleep
        self._sent: deque[float] = deque(maxlen=requests or 1)
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        budget = f"{self.requests}/{self.seconds:g}s" if self.requests else "no budget"
        return f"<RateLimiter {budget}>"

    def wait(self, now: float) -> float:
        """Seconds to wait before sending; 0 means go now, and the send is counted."""
        with self._lock:
            if self._paused_until > now:
                return self._paused_until - now
            if self.requests:
                if len(self._sent) == self.requests and now - self._sent[0] < self.seconds:
                    return self._sent[0] + self.seconds - now
                self._sent.append(now)
            return 0.0

    def pause(self, seconds: float, now: float | None = None) -> None:
        """Hold every request for ``seconds`` (an API's Retry-After)."""
        until = (self.clock() if now is None else now) + seconds
        with self._lock:
            self._paused_until = max(self._paused_until, until)

    def acquire(self, stop: Callable[[], bool] | None = None) -> bool:
        """Wait for a slot (threads). False if ``stop()`` became true meanwhile: send nothing."""
        while True:
            if stop is not None and stop():
                return False
            delay = self.wait(self.clock())
            if delay <= 0:
                return True
            # wake at least every 0.25 s, so a stopped batch does not sleep out a long pause
            self.sleep(min(delay, 0.25) if stop is not None else delay)

    async def acquire_async(self) -> None:
        import asyncio

        while (delay := self.wait(self.clock())) > 0:
            await asyncio.sleep(delay)
