"""Heavy parsing and diffing in worker processes under a deadline, so one large or hostile
input neither holds the API's interpreter (other requests keep their latency) nor, if it
crashes the parser, takes the server down. pebble kills a worker whose task runs too long."""

from __future__ import annotations

import atexit
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from pebble import ProcessExpired, ProcessPool

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
]
#: one pool per size, started on first use and shared by every app of the process (starting
#: worker processes costs far more than a parse); stopped when the interpreter exits
_POOLS: dict[int, ProcessPool] = {}
_LOCK = threading.Lock()


def _pool(processes: int) -> ProcessPool:
    with _LOCK:
        pool = _POOLS.get(processes)
        if pool is None or not pool.active:
            if not _POOLS:
                atexit.register(_stop_all)
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            pool = _POOLS[processes] = ProcessPool(max_workers=processes, context=context)
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
        future = _pool(self.processes).schedule(
            function, args=args, kwargs=kwargs, timeout=self.timeout
        )
        try:
            return future.result()
        except FutureTimeout as exc:
            raise DeadlineExceeded(
                f"reading and comparing this input took longer than {self.timeout:g} s; "
                "send a smaller schema or fewer statements",
                seconds=self.timeout,
            ) from exc
        except ProcessExpired as exc:
            raise DeadlineExceeded(
                "this input made the parser crash (too deeply nested?); it was not read",
                exit_code=exc.exitcode,
            ) from exc
        except BrokenProcessPool as exc:  # workers that cannot start: start afresh next time
            _pool(self.processes).stop()  # type: ignore[no-untyped-call]
            raise DeadlineExceeded("the parse workers could not start; try again") from exc

    def warm(self) -> None:
        """Start the worker processes now (without waiting), so no request pays for it."""
        if self.processes:
            _pool(self.processes).schedule(int)
