"""Synthesis worker threads with bounded admission.

At most ``threads`` synthesis calls run at once; at most ``threads + queue_size`` requests are admitted
(being synthesized or waiting for a thread); a request beyond that is refused at once (``ServerBusy``:
HTTP 429) instead of queueing without bound. A streamed request submits one call per sentence, so the
admitted requests take turns sentence by sentence.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

T = TypeVar("T")

OUTCOMES = ("served", "failed", "cancelled")


class ServerBusy(Exception):
    """Every admission slot is taken."""


class Ticket:
    """One admitted request; ``release(outcome)`` frees its slot (once; later calls do nothing)."""

    def __init__(self, pool: "SynthesisPool") -> None:
        self._pool = pool
        self._released = False

    def release(self, outcome: str) -> None:
        self._pool._release(self, outcome)


class SynthesisPool:
    def __init__(self, threads: int = 1, queue_size: int = 16) -> None:
        for name, v, low in (("threads", threads, 1), ("queue_size", queue_size, 0)):
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
        self.threads = threads
        self.queue_size = queue_size
        self.capacity = threads + queue_size
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tts-synth")
        self._lock = threading.Lock()
        self._active = 0
        self._counts = {"served": 0, "failed": 0, "cancelled": 0, "rejected": 0, "sentences": 0}

    def admit(self) -> Ticket:
        with self._lock:
            if self._active >= self.capacity:
                self._counts["rejected"] += 1
                raise ServerBusy(f"the server is busy: {self._active} requests in progress or queued "
                                 f"(threads {self.threads} + queue size {self.queue_size}); retry later")
            self._active += 1
            return Ticket(self)

    def _release(self, ticket: Ticket, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
        with self._lock:
            if ticket._released:
                return
            ticket._released = True
            self._active -= 1
            self._counts[outcome] += 1

    def count_sentence(self) -> None:
        with self._lock:
            self._counts["sentences"] += 1

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> "Future[T]":
        return self._executor.submit(fn, *args, **kwargs)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"active": self._active, "capacity": self.capacity, **self._counts}

    def shutdown(self) -> None:
        """Stop taking work; queued calls are dropped, running ones finish in their threads."""
        self._executor.shutdown(wait=False, cancel_futures=True)
