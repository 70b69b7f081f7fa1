"""Each CLI door imports only what it uses: checked in a fresh interpreter, by sys.modules.

A CI gate pays `steward diff`'s start-up on every pull request, so the diff must not load
the service's web, database or graph stacks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SERVICE_STACK = {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "apscheduler"}
HEAVY = SERVICE_STACK | {"networkx", "aiosmtplib", "jinja2", "httpx", "psycopg", "pydantic"}

PROBE = """
import json, sys
from service.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def loaded_by(*args: str | Path) -> set[str]:
    """The top-level packages a fresh interpreter holds after running `steward ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    last = done.stderr.strip().splitlines()[-1]
    modules: set[str] = set(json.loads(last))
    return modules


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_diff_of_two_ddl_files_loads_no_service_stack_and_no_graph(tmp_path: Path) -> None:
    old = write(tmp_path / "old.sql", "CREATE TABLE t (a INT, b TEXT);")
    new = write(tmp_path / "new.sql", "CREATE TABLE t (a BIGINT);")
    loaded = loaded_by("diff", old, new, "--format", "json")
    assert "sqlglot" in loaded and "service" in loaded  # the probe really ran the diff
    assert loaded.isdisjoint(HEAVY), sorted(loaded & HEAVY)
    assert "jsonschema" not in loaded and "yaml" not in loaded  # no contract was read


def test_diff_of_two_contracts_loads_no_service_stack(tmp_path: Path) -> None:
    contract = FIXTURES / "contracts" / "orders.odcs.yaml"
    loaded = loaded_by("diff", contract, contract)
    assert "yaml" in loaded and "jsonschema_rs" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & HEAVY)


def test_diff_with_downstream_loads_the_graph_but_no_service_stack(tmp_path: Path) -> None:
    old = write(tmp_path / "old.sql", "CREATE TABLE t (a INT, b TEXT);")
    new = write(tmp_path / "new.sql", "CREATE TABLE t (a INT);")
    views = tmp_path / "views"
    views.mkdir()
    write(views / "v.sql", "CREATE VIEW v AS SELECT b FROM t;")
    loaded = loaded_by("diff", old, new, "--downstream", views)
    assert "networkx" in loaded
    assert loaded.isdisjoint(SERVICE_STACK), sorted(loaded & SERVICE_STACK)


def test_lineage_loads_no_service_stack(tmp_path: Path) -> None:
    views = tmp_path / "views"
    views.mkdir()
    write(views / "v.sql", "CREATE VIEW v AS SELECT b FROM t;")
    loaded = loaded_by("lineage", views)
    assert "networkx" in loaded
    assert loaded.isdisjoint(SERVICE_STACK), sorted(loaded & SERVICE_STACK)


@pytest.mark.parametrize("args", [("--help",), ("--version",)])
def test_the_group_itself_imports_no_command(args: tuple[str, ...]) -> None:
    loaded = loaded_by(*args)
    assert loaded.isdisjoint(HEAVY | {"sqlglot"}), sorted(loaded & (HEAVY | {"sqlglot"}))
