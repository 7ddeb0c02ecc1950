"""Small helpers: percentiles and a query counter."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager

import sqlalchemy as sa


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "mean": statistics.fmean(ordered)}


def measure(run: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@contextmanager
def counting_queries(engine: sa.Engine):
    counter = {"count": 0}

    def before(conn, cursor, statement, *_args: object) -> None:  # noqa: ANN001
        # Transaction control is not a query: count what the database has to answer.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            counter["count"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def report(name: str, samples: list[float], queries: int | None = None) -> str:
    figures = percentiles(samples)
    line = f"{name:<58} p50 {figures['p50']:8.1f} ms  p95 {figures['p95']:8.1f} ms  p99 {figures['p99']:8.1f} ms"
    if queries is not None:
        line += f"  queries {queries}"
    return line
