"""GET /health latency while a 900 KB DDL diff runs beside it, against /health alone in the
same run: with parsing in worker processes (the default) and in the API's own process
(`STEWARD_PARSE_WORKERS=0`, how Steward ran before), one uvicorn worker over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.api import _free_port
from service.settings import Settings
from service.store.db import Database
from service.usecases.auth import create_token

#: about 900 KB: 860 tables of 40 columns; the new script narrows one column in each table
OLD = "\n".join(
    f"CREATE TABLE s.t{i} ("
    + ", ".join(f"c{j} VARCHAR({j + 1}) NOT NULL" for j in range(40))
    + ");"
    for i in range(860)
)
NEW = OLD.replace("c2 VARCHAR(3)", "c2 VARCHAR(2)")


def _measure(call: Callable[[], httpx.Response], n: int, expect: int) -> list[float]:
    """Latencies of N sequential calls, each answering EXPECT."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - start)
        if response.status_code != expect:
            raise RuntimeError(f"unexpected {response.status_code}: {response.text[:300]}")
    return times


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def _serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "STEWARD_DATABASE_URL": url,
        "STEWARD_SCHEDULER": "false",
        "STEWARD_PARSE_WORKERS": str(workers),
        "STEWARD_PARSE_TIMEOUT_SECONDS": "120",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "service.api.app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def _drive(base: str, token: str, n: int, diffs: int) -> tuple[list[float], list[float], float]:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"old": OLD, "new": NEW, "dialect": "postgres"}
    with httpx.Client(base_url=base, timeout=300) as client:
        started = time.monotonic()
        while time.monotonic() - started < 180:  # start-up on a loaded machine is slow
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        # one diff first: the worker processes start and the server is warm
        assert client.post("/diff", json=body, headers=headers).status_code == 200
        alone = _measure(lambda: client.get("/health"), n, 200)
        done = threading.Event()
        spent: list[float] = []

        def diffing() -> None:
            with httpx.Client(base_url=base, timeout=300) as other:
                for _ in range(diffs):
                    start = time.perf_counter()
                    response = other.post("/diff", json=body, headers=headers)
                    spent.append(time.perf_counter() - start)
                    if response.status_code != 200:
                        raise RuntimeError(response.text[:300])
            done.set()

        beside: list[float] = []
        thread = threading.Thread(target=diffing)
        thread.start()
        while not done.is_set():
            beside += _measure(lambda: client.get("/health"), 10, 200)
        thread.join()
    return alone, beside, sum(spent) / len(spent)


def run(quick: bool = False) -> list[str]:
    """Both configurations on SQLite; p50/p99 of /health alone and beside the diffs."""
    n, diffs = (200, 2) if quick else (1000, 5)
    lines = [
        f"diff of {len(OLD.encode()) / 1e6:.2f} MB DDL (860 tables x 40 columns), {diffs} in a row"
    ]
    for workers, label in ((2, "parse in 2 worker processes"), (0, "parse in the API process")):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            db = Database(Settings(database_url=url))
            db.migrate()
            with db.writing() as session:
                token = create_token(session, email="b@bench.example", now=datetime.now(UTC))[1]
            db.dispose()
            server, base = _serve(url, workers)
            try:
                alone, beside, per_diff = _drive(base, token, n, diffs)
            finally:
                server.terminate()
                server.wait(timeout=30)
        lines.append(
            f"{label:30} /health alone p50 {_p(alone, 0.5):6.2f} ms p99 {_p(alone, 0.99):6.2f} ms"
            f" | beside the diff p50 {_p(beside, 0.5):7.2f} ms p99 {_p(beside, 0.99):7.2f} ms"
            f" ({_p(beside, 0.99) / _p(alone, 0.99):.1f}x alone p99; {len(beside)} requests;"
            f" one diff {per_diff:.2f} s)"
        )
    return lines


if __name__ == "__main__":
    for line in run(quick="--quick" in sys.argv):
        print(line)
