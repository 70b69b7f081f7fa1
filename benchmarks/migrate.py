"""steward migrate: a 200-column table and 100 consumer queries, against sqlglot's floor.

Workload: OLD is one table of 200 columns; NEW renames 20 of them (hinted), removes 5,
widens 10, changes the type of 5 and adds 10. Each of the 100 consumer queries reads 12
columns (projections, a WHERE, a GROUP BY; every fourth through a CTE, every tenth `*`).
`migrate` diffs, builds the compatibility view and the alternative (re-diffed), and
rewrites and verifies every consumer. The floor is what any rewrite must at least do:
`sqlglot.parse_one` and `qualify` of each query against OLD. Figures are CPU time
(`time.process_time`), the best of several rounds, floor and migrate alternating.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

COLUMNS = 200


def _schemas() -> tuple[str, str, list[str]]:
    old, new, renames = [], [], []
    for c in range(COLUMNS):
        name, kind = f"col_{c}", ("INT", "VARCHAR(20)", "DATE", "DECIMAL(10, 2)")[c % 4]
        old.append(f"{name} {kind}")
        if c % 10 == 1:
            renames.append(f"shop.orders.{name}=renamed_{c}")
            new.append(f"renamed_{c} {kind}")
        elif c % 40 == 3:
            continue  # removed
        elif c % 20 == 4:
            new.append(f"{name} {'BIGINT' if kind == 'INT' else kind}")
        elif c % 40 == 6:
            new.append(f"{name} {'TIMESTAMP' if kind == 'DATE' else 'TEXT'}")
        else:
            new.append(f"{name} {kind}")
    new += [f"extra_{i} TEXT" for i in range(10)]
    ddl = "CREATE TABLE shop.orders (\n  {}\n);"
    return ddl.format(",\n  ".join(old)), ddl.format(",\n  ".join(new)), renames


def _queries(count: int) -> list[str]:
    out = []
    for q in range(count):
        cols = [f"col_{(q * 7 + k * 13) % COLUMNS}" for k in range(12)]
        keep = [c for c in cols if int(c[4:]) % 40 != 3]  # most consumers survive
        select, where, group = ", ".join(keep[:8]), keep[8], ", ".join(keep[:8])
        body = f"SELECT {select}, COUNT(*) AS n FROM shop.orders WHERE {where} IS NOT NULL GROUP BY {group}"
        if q % 4 == 0:
            body = f"WITH t AS (SELECT {', '.join(keep)} FROM shop.orders) SELECT {select} FROM t"
        if q % 10 == 0:
            body = "SELECT * FROM shop.orders"
        out.append(body)
    return out


def _best(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            gc.collect()
            start = time.process_time()
            fn()
            best[i] = min(best[i], time.process_time() - start)
    return best


def run(quick: bool = False) -> list[str]:
    """Time migrate against parse + qualify of the same queries."""
    import sqlglot
    from sqlglot.optimizer.qualify import qualify

    from service.diff.hints import resolve_renames
    from service.migrate import Status, migrate
    from service.schema import parse_ddl

    old_sql, new_sql, hints = _schemas()
    queries = _queries(20 if quick else 100)
    old_schema = parse_ddl(old_sql, "postgres")
    mapping = {"shop": {"orders": {c.name: str(c.type) for c in old_schema.tables[0].columns}}}

    def floor() -> None:
        for sql in queries:
            qualify(sqlglot.parse_one(sql, read="postgres"), schema=mapping, dialect="postgres")

    def steward() -> None:
        old = parse_ddl(old_sql, "postgres")
        new = parse_ddl(new_sql, "postgres")
        plan = migrate(
            old,
            new,
            renames=resolve_renames(hints, old),
            consumers=[(f"q{i}.sql", sql) for i, sql in enumerate(queries)],
        )
        assert len(plan.consumers) == len(queries)
        assert any(c.status is Status.REWRITTEN for c in plan.consumers)

    low, high = _best([floor, steward], 3 if quick else 5)
    old, new = parse_ddl(old_sql, "postgres"), parse_ddl(new_sql, "postgres")
    plan = migrate(old, new, renames=resolve_renames(hints, old),
                   consumers=[(f"q{i}.sql", s) for i, s in enumerate(queries)])  # fmt: skip
    counts = {s: sum(c.status is s for c in plan.consumers) for s in Status}
    return [
        f"{COLUMNS} columns, {len(queries)} queries "
        f"({', '.join(f'{n} {s.value}' for s, n in counts.items())}), "
        f"{len(plan.changes.changes)} changes",
        f"  floor (parse + qualify): {low * 1000:,.0f} ms",
        f"  steward migrate:         {high * 1000:,.0f} ms  ratio {high / low:.2f}x",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
