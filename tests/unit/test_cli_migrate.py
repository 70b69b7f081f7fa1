"""`steward migrate`: exit codes, the JSON shape, the SQL script and error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from service.cli import main

OLD = "CREATE TABLE shop.orders (\n  id INT PRIMARY KEY,\n  amount INT NOT NULL,\n  note TEXT\n);\n"
NEW = "CREATE TABLE shop.orders (\n  id INT PRIMARY KEY,\n  total INT NOT NULL\n);\n"
TOTAL = "SELECT o.id, o.amount\nFROM shop.orders AS o\nWHERE o.amount > 3\n"
NOTE = "SELECT id,\n  note\nFROM shop.orders\n"
IDS = "SELECT id FROM shop.orders"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {"old": OLD, "new": NEW, "total": TOTAL, "note": NOTE, "ids": IDS}.items():
        path = tmp_path / f"{name}.sql"
        path.write_text(text)
        out[name] = path
    return out


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["migrate", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_rewritable_consumers_exit_zero_with_exactly_the_documented_json(
    files: dict[str, Path],
) -> None:
    code, out, _ = run(
        files["old"], files["new"], "--dialect", "postgres", "--rename", "shop.orders.amount=total",
        "--consumer-sql", files["total"], "--consumer-sql", files["ids"], "--format", "json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"changes", "compatibility_views", "alternative", "consumers"}
    assert [c["kind"] for c in data["changes"]] == ["column_renamed", "column_removed"]
    (view,) = data["compatibility_views"]
    assert set(view) == {"table", "name", "sql", "warnings"}
    assert (view["table"], view["name"]) == ("shop.orders", "shop.orders_v1")
    assert "total AS amount" in view["sql"] and "CAST(NULL AS TEXT) AS note" in view["sql"]
    assert set(data["alternative"]) == {"schema", "notes"}
    total, ids = data["consumers"]
    assert set(total) == {"file", "status", "sql", "breaks"}
    assert (total["file"], total["status"], total["breaks"]) == (
        str(files["total"]),
        "rewritten",
        [],
    )
    assert "o.total AS amount" in total["sql"] and "o.total > 3" in total["sql"]
    assert (ids["status"], ids["sql"]) == ("unchanged", None)


def test_a_consumer_reading_a_removed_column_exits_one_with_its_line(
    files: dict[str, Path],
) -> None:
    code, out, _ = run(
        files["old"], files["new"], "--dialect", "postgres", "--consumer-sql", files["note"],
        "--format", "json",
    )  # fmt: skip
    assert code == 1
    (consumer,) = json.loads(out)["consumers"]
    assert consumer["status"] == "breaks" and consumer["sql"] is None
    assert [(b["line"], b["column"]) for b in consumer["breaks"]] == [(2, "note")]
    assert "removed" in consumer["breaks"][0]["reason"]


def test_text_names_each_breaking_line_as_file_line(files: dict[str, Path]) -> None:
    code, out, _ = run(files["old"], files["new"], "--consumer-sql", files["note"])
    assert code == 1
    assert f"{files['note']}:2: note:" in out and "shop.orders_v1" in out


def test_the_sql_script_deploys_on_duckdb(files: dict[str, Path]) -> None:
    code, out, _ = run(
        files["old"], files["new"], "--dialect", "duckdb", "--rename", "shop.orders.amount=total",
        "--format", "sql",
    )  # fmt: skip
    assert code == 0
    view, alternative = out.split("-- Expand/contract alternative")
    con = duckdb.connect()
    con.execute("CREATE SCHEMA shop")
    con.execute(NEW)
    con.execute("INSERT INTO shop.orders VALUES (1, 7)")
    con.execute(view)
    assert con.execute("SELECT id, amount, note FROM shop.orders_v1").fetchall() == [(1, 7, None)]
    other = duckdb.connect()
    other.execute("CREATE SCHEMA shop")
    other.execute(alternative.split("\n", 1)[1])  # the rest is SQL and comments
    names = [r[0] for r in other.execute("DESCRIBE shop.orders").fetchall()]
    assert names == ["id", "total", "amount", "note"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rename", "shop.orders.nope=x"], "has no column nope"),
        (["--dialect", "nosuch"], "unknown dialect"),
        (["--old-version", "abc"], "is not a version"),
    ],
)
def test_bad_input_exits_two(files: dict[str, Path], args: list[str], message: str) -> None:
    code, _, err = run(files["old"], files["new"], *args)
    assert code == 2
    assert message in err


def test_consumer_sql_that_does_not_parse_names_file_line_and_column(
    files: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.sql"
    broken.write_text("SELECT id\nFROM shop.orders WHERE (\n")
    code, _, err = run(files["old"], files["new"], "--consumer-sql", broken)
    assert code == 2
    assert f"{broken}:2:" in err


@pytest.mark.parametrize(
    ("module", "unwanted"),
    [
        ("service.cli.migrate", ("fastapi", "starlette", "uvicorn")),
        ("service.migrate", ("fastapi", "starlette", "uvicorn", "sqlalchemy", "click")),
    ],
)
def test_the_migrate_command_does_not_load_the_web_stack(
    module: str, unwanted: tuple[str, ...]
) -> None:
    probe = (
        f"import sys, {module}; "
        f"loaded = [m for m in {unwanted!r} if m in sys.modules]; "
        "print(loaded); sys.exit(1 if loaded else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_consumer_sql_nested_too_deeply_is_bad_input_not_a_crash(
    files: dict[str, Path], tmp_path: Path
) -> None:
    deep = tmp_path / "deep.sql"
    deep.write_text("SELECT " + "(" * 3000 + "amount" + ")" * 3000 + " FROM shop.orders")
    code, _, err = run(files["old"], files["new"], "--consumer-sql", deep)
    assert code == 2
    assert "nest deeper than" in err and "deep.sql:1:" in err
