"""Schema readers: parse_ddl against sqlglot merely parsing the same script.

The floor is `sqlglot.parse(sql, read=dialect)`; parse_ddl is that plus the walk over the
AST into the Schema model (identifier folding, canonical types, constraints). The ratio
is what the walk costs on top of parsing; the diff's 1.5x budget (parse both + walk both +
diff) needs it well under 1.5x. Timings are the best of several runs, floor and reader
alternating so background load hits both alike. Also times render_ddl and parse_contract.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

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


def _best_pair(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[float, float]:
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, fn in enumerate((a, b)):
            gc.collect()
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


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

    sizes = [(1, 2000), (400, 50)] if not quick else [(1, 200), (40, 50)]
    repeat = 3 if quick else 7
    lines = []
    for dialect in TYPES:
        for tables, columns in sizes:
            sql = script(dialect, tables, columns)
            floor, ours = _best_pair(
                lambda sql=sql, d=dialect: sqlglot.parse(sql, read=d),
                lambda sql=sql, d=dialect: parse_ddl(sql, d, max_bytes=len(sql) * 2),
                repeat,
            )
            schema = parse_ddl(sql, dialect, max_bytes=len(sql) * 2)
            _, render = _best_pair(lambda: None, lambda s=schema, d=dialect: render_ddl(s, d), 1)
            lines.append(
                f"parse_ddl {dialect:<9} {tables:>3} x {columns:<4} sqlglot.parse {floor * 1e3:7.1f} ms"
                f"  parse_ddl {ours * 1e3:7.1f} ms  ratio {ours / floor:4.2f}x"
                f"  (render_ddl {render * 1e3:6.1f} ms)"
            )
    text = _contract(200 if quick else 2000)
    floor, ours = _best_pair(
        lambda: yaml.load(text, Loader=yaml.SafeLoader), lambda: parse_contract(text), repeat
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
