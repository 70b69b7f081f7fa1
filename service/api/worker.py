"""Heavy parsing and diffing in worker processes under a deadline, so one large or hostile
input neither holds the API's interpreter (other requests keep their latency) nor, if it
crashes the parser, takes the server down. pebble kills a worker whose task runs too long."""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ParamSpec, TypeVar

from pebble import ProcessExpired, ProcessPool
from starlette.concurrency import run_in_threadpool

from service.errors import DeadlineExceeded

T = TypeVar("T")
P = ParamSpec("P")
#: what a worker imports once, before any request: the parsers and the diff engine
PRELOAD = [
    "service.diff.compare",
    "service.usecases.reads",
    "service.usecases.migration",
    "service.usecases.products",
    "service.usecases.lineage",
    "lineage.ingest_dbt",
    "lineage.ingest_openlineage",
    "service.api.bodies",
]
#: one pool per size, started on first use and shared by every app of the process (starting
#: worker processes costs far more than a parse); stopped when the interpreter exits
_POOLS: dict[int, ProcessPool] = {}
_LOCK = threading.Lock()
#: how much lower a worker's CPU priority is than the API's (os.nice): on a busy machine the
#: API's event loop (health checks, reads) gets a core before a long parse does
NICENESS = 10


def _lower_priority() -> None:
    os.nice(NICENESS)


def _pool(processes: int) -> ProcessPool:
    with _LOCK:
        pool = _POOLS.get(processes)
        if pool is None or not pool.active:
            if not _POOLS:
                atexit.register(_stop_all)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            pool = _POOLS[processes] = ProcessPool(
                max_workers=processes, context=context, initializer=_lower_priority
            )
        return pool


def _stop_all() -> None:
    with _LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.stop()  # type: ignore[no-untyped-call]
        pool.join()


class Worker:
    """Run pure functions in `processes` worker processes, each call at most `timeout` seconds
    (`processes=0`: in this process, with no deadline). A worker whose task outlives the
    deadline is killed and replaced."""

    def __init__(self, processes: int, timeout: float) -> None:
        self.processes = processes
        self.timeout = timeout

    def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`function(*args, **kwargs)` in a worker; DeadlineExceeded past the deadline or
        when the worker dies (the input is then refused in words, never a 500)."""
        if self.processes == 0:
            return function(*args, **kwargs)
        future = self._schedule(function, args, kwargs)
        try:
            return future.result()
        except (FutureTimeout, ProcessExpired, BrokenProcessPool) as exc:
            raise self._refusal(exc) from exc

    async def run_async(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """As `run`, awaited from the event loop without holding a thread while the worker
        works (`processes=0`: in the thread pool)."""
        if self.processes == 0:
            return await run_in_threadpool(function, *args, **kwargs)
        future = self._schedule(function, args, kwargs)
        try:
            return await asyncio.wrap_future(future)
        except (FutureTimeout, ProcessExpired, BrokenProcessPool) as exc:
            raise self._refusal(exc) from exc

    def _schedule(
        self, function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Future[T]:
        future: Future[T] = _pool(self.processes).schedule(
            function, args=args, kwargs=kwargs, timeout=self.timeout
        )
        return future

    def _refusal(self, exc: Exception) -> DeadlineExceeded:
        if isinstance(exc, ProcessExpired):
            return DeadlineExceeded(
                "this input made the parser crash (too deeply nested?); it was not read",
                exit_code=exc.exitcode,
            )
        if isinstance(exc, BrokenProcessPool):  # workers that cannot start: afresh next time
            _pool(self.processes).stop()  # type: ignore[no-untyped-call]
            return DeadlineExceeded("the parse workers could not start; try again")
        return DeadlineExceeded(
            f"reading and comparing this input took longer than {self.timeout:g} s; "
            "send a smaller schema or fewer statements",
            seconds=self.timeout,
        )

    def warm(self) -> None:
        """Start the worker processes now (without waiting), so no request pays for it."""
        if self.processes:
            _pool(self.processes).schedule(int)
