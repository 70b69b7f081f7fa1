"""Schema readers: parse_ddl against sqlglot merely parsing the same script.

The floor is `sqlglot.parse(sql, read=dialect)`; parse_ddl is that plus the walk over the
AST into the Schema model (identifier folding, canonical types, constraints), also timed
alone (`read_statements` on a fresh copy of the parsed trees). The diff's 1.5x budget
(parse both + walk both + diff) needs the walk well under half the floor. Timings are the
best of several runs, the variants alternating so background load hits all alike. Also
times render_ddl, and parse_contract (YAML + ODCS JSON-schema validation + reading).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

TYPES = {
    "postgres": ["INT", "BIGINT", "VARCHAR(40)", "TEXT", "NUMERIC(12, 2)", "TIMESTAMPTZ", "DATE"],
    "snowflake": ["NUMBER", "NUMBER(12, 2)", "VARCHAR", "VARCHAR(40)", "TIMESTAMP_NTZ", "BOOLEAN"],
    "bigquery": ["INT64", "STRING", "NUMERIC", "FLOAT64", "TIMESTAMP", "DATE", "BOOL"],
}


def script(dialect: str, tables: int, columns: int) -> str:
    """`tables` CREATE TABLEs of `columns` columns each, some NOT NULL, a few commented."""
    types = TYPES[dialect]
    comment = "OPTIONS(description='c')" if dialect == "bigquery" else "COMMENT 'c'"
    out = []
    for t in range(tables):
        cols = []
        for c in range(columns):
            parts = [f"col_{c}", types[(c * 7 + t) % len(types)]]
            if c % 3 == 0:
                parts.append("NOT NULL")
            if c % 25 == 0 and dialect != "postgres":
                parts.append(comment)
            cols.append(" ".join(parts))
        key = "" if dialect == "bigquery" else ",\n  PRIMARY KEY (col_0)"
        out.append(f"CREATE TABLE shop.table_{t} (\n  " + ",\n  ".join(cols) + key + "\n);")
    return "\n\n".join(out)


def _best(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best seconds of each function, run in turn so background load hits all alike.

    A function may return its own measured seconds (to leave set-up out of the timing).
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            gc.collect()
            start = time.perf_counter()
            own = fn()
            elapsed = time.perf_counter() - start
            best[i] = min(best[i], own if isinstance(own, float) else elapsed)
    return best


def _contract(columns: int) -> str:
    props = "\n".join(
        f"      - {{name: col_{c}, physicalType: 'NUMBER(12, 2)', required: {str(c % 2 == 0).lower()}}}"
        for c in range(columns)
    )
    return (
        "apiVersion: v3.0.2\nkind: DataContract\nid: bench\nversion: 1.0.0\nstatus: active\n"
        "servers: [{server: p, type: snowflake, account: a, database: d, schema: s}]\n"
        f"schema:\n  - name: orders\n    properties:\n{props}\n"
    )


def run(quick: bool = False) -> list[str]:
    """Time parse_ddl, render_ddl and parse_contract against their floors."""
    import sqlglot
    import yaml

    from service.schema import parse_contract, parse_ddl, render_ddl
    from service.schema.ddl import read_statements

    sizes = [(1, 2000), (400, 50)] if not quick else [(1, 200), (40, 50)]
    repeat = 3 if quick else 9
    lines = []
    for dialect in TYPES:
        for tables, columns in sizes:
            sql = script(dialect, tables, columns)
            parsed = sqlglot.parse(sql, read=dialect)

            def walk(parsed: list[Any] = parsed, d: str = dialect) -> float:
                fresh = [s.copy() for s in parsed]  # read_statements consumes its trees
                start = time.perf_counter()
                read_statements(fresh, d)
                return time.perf_counter() - start

            floor, ours, walked = _best(
                [
                    lambda sql=sql, d=dialect: sqlglot.parse(sql, read=d),
                    lambda sql=sql, d=dialect: parse_ddl(sql, d, max_bytes=len(sql) * 2),
                    walk,
                ],
                repeat,
            )
            schema = parse_ddl(sql, dialect, max_bytes=len(sql) * 2)
            (render,) = _best([lambda s=schema, d=dialect: render_ddl(s, d)], 3)
            lines.append(
                f"{dialect:<9} {tables:>3} x {columns:<4} sqlglot.parse {floor * 1e3:7.1f} ms"
                f"  parse_ddl {ours * 1e3:7.1f} ms ({ours / floor:4.2f}x)"
                f"  of which the walk {walked * 1e3:6.1f} ms ({walked / floor:4.0%} of the floor)"
                f"  render_ddl {render * 1e3:6.1f} ms"
            )
    text = _contract(200 if quick else 2000)
    floor, ours = _best(
        [lambda: yaml.load(text, Loader=yaml.SafeLoader), lambda: parse_contract(text)], repeat
    )
    lines.append(
        f"parse_contract {200 if quick else 2000} properties: yaml.safe_load {floor * 1e3:7.1f} ms"
        f"  parse_contract (validate + read) {ours * 1e3:7.1f} ms  ratio {ours / floor:4.2f}x"
    )
    return lines


if __name__ == "__main__":
    import sys

    for line in run(quick="--quick" in sys.argv):
        print(line, flush=True)
