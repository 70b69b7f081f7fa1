"""`steward diff`: exit codes, output formats and error messages, through click and the real script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main

OLD = """\
CREATE TABLE shop.orders (
  id INT PRIMARY KEY,
  status VARCHAR(20) NOT NULL,
  note TEXT
);
"""
WIDENED = OLD.replace("status VARCHAR(20)", "status VARCHAR(40)")
NARROWED = OLD.replace("status VARCHAR(20)", "status VARCHAR(10)")
RENAMED = OLD.replace("note TEXT", "remark TEXT")
UNKNOWN = OLD.replace("note TEXT", "note TSVECTOR").replace("id INT", "id INT, g GEOMETRY")
UNKNOWN_NEW = UNKNOWN.replace("GEOMETRY", "GEOGRAPHY")
BROKEN = "CREATE TABLE shop.orders (\n  id INT,\n  x VARCHAR(10) NOT NULL DEFAULT (\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {
        "old": OLD,
        "widened": WIDENED,
        "narrowed": NARROWED,
        "renamed": RENAMED,
        "unknown": UNKNOWN,
        "unknown_new": UNKNOWN_NEW,
        "broken": BROKEN,
    }.items():
        path = tmp_path / f"{name}.sql"
        path.write_text(text)
        out[name] = path
    return out


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def test_a_compatible_change_exits_zero_and_suggests_a_minor_bump(files: dict[str, Path]) -> None:
    code, out, _ = run(files["old"], files["widened"], "--dialect", "postgres", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["bump"] == "minor" and data["breaking"] is False
    assert [c["kind"] for c in data["changes"]] == ["column_type_widened"]


def test_a_breaking_change_exits_one(files: dict[str, Path]) -> None:
    code, out, _ = run(files["old"], files["narrowed"], "--dialect", "postgres")
    assert code == 1
    assert "column_type_narrowed" in out and "VARCHAR(10)" in out


def test_json_output_is_exactly_one_object_with_the_documented_shape(
    files: dict[str, Path],
) -> None:
    code, out, _ = run(files["old"], files["narrowed"], "--dialect", "postgres", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"bump", "breaking", "unknown", "warnings", "changes"}
    (change,) = data["changes"]
    assert set(change) == {
        "kind", "table", "column", "columns", "before", "after", "verdict", "writer_verdict", "reason"
    }  # fmt: skip
    assert change["table"] == "shop.orders" and change["column"] == "status"
    assert (change["before"], change["after"]) == ("VARCHAR(20)", "VARCHAR(10)")


def test_markdown_output_is_a_table_for_a_pull_request(files: dict[str, Path]) -> None:
    code, out, _ = run(
        files["old"], files["narrowed"], "--dialect", "postgres", "--format", "markdown"
    )
    assert code == 1
    assert "**major**" in out
    assert "| Table | Column | Change |" in out
    assert "| `shop.orders` | `status` | column_type_narrowed |" in out


def test_text_output_groups_by_table_with_breaking_first_and_no_colour_off_a_tty(
    files: dict[str, Path],
) -> None:
    new = files["old"].parent / "mixed.sql"
    new.write_text(NARROWED.replace("id INT", "id BIGINT"))
    _, out, _ = run(files["old"], new, "--dialect", "postgres")
    lines = out.splitlines()
    assert lines[0].startswith("2 changes (1 breaking, 1 compatible); suggested bump: major")
    assert "shop.orders" in lines
    assert out.index("column_type_narrowed") < out.index("column_type_widened")
    assert "\x1b[" not in out


def test_without_a_hint_a_rename_is_a_removal_and_with_one_a_rename(files: dict[str, Path]) -> None:
    _, out, _ = run(files["old"], files["renamed"], "--dialect", "postgres", "--format", "json")
    assert [c["kind"] for c in json.loads(out)["changes"]] == ["column_added", "column_removed"]
    _, out, _ = run(
        files["old"], files["renamed"], "--dialect", "postgres", "--format", "json",
        "--rename", "SHOP.ORDERS.NOTE=Remark",
    )  # fmt: skip
    (change,) = json.loads(out)["changes"]
    assert (change["kind"], change["before"], change["after"]) == (
        "column_renamed",
        "note",
        "remark",
    )


def test_a_rename_hint_naming_no_column_is_bad_input(files: dict[str, Path]) -> None:
    code, _, err = run(
        files["old"], files["renamed"], "--dialect", "postgres", "--rename", "shop.orders.nope=x"
    )
    assert code == 2
    assert "shop.orders has no column nope" in err


def test_unknown_changes_fail_unless_allowed(files: dict[str, Path]) -> None:
    args = (files["unknown"], files["unknown_new"], "--dialect", "postgres", "--format", "json")
    code, out, _ = run(*args)
    assert code == 1
    assert json.loads(out)["breaking"] is False
    assert json.loads(out)["changes"][0]["verdict"] == "unknown"
    assert run(*args, "--allow-unknown")[0] == 0


def test_the_writer_perspective_drives_the_exit_code(files: dict[str, Path]) -> None:
    new = files["old"].parent / "required.sql"
    new.write_text(OLD.replace("note TEXT", "note TEXT NOT NULL"))
    assert run(files["old"], new, "--dialect", "postgres")[0] == 0
    code, out, _ = run(
        files["old"], new, "--dialect", "postgres", "--perspective", "writer", "--format", "json"
    )
    assert code == 1 and json.loads(out)["bump"] == "major"
    assert run(files["old"], new, "--dialect", "postgres", "--perspective", "both")[0] == 1


def test_strict_level_makes_widening_fail(files: dict[str, Path]) -> None:
    assert run(files["old"], files["widened"], "--dialect", "postgres", "--level", "strict")[0] == 1


def test_a_parse_error_names_file_line_and_column(files: dict[str, Path]) -> None:
    code, out, err = run(files["old"], files["broken"], "--dialect", "postgres")
    assert code == 2 and out == ""
    assert f"{files['broken']}:3:" in err
    assert "[dialect postgres]" in err


def test_an_unknown_dialect_and_a_missing_file_are_usage_errors(files: dict[str, Path]) -> None:
    code, _, err = run(files["old"], files["widened"], "--dialect", "klingon")
    assert code == 2 and "unknown dialect" in err
    code, _, err = run(files["old"], files["old"].parent / "absent.sql")
    assert code == 2 and "does not exist" in err


def test_odcs_contracts_are_read_from_yaml_files(fixtures_dir: Path) -> None:
    contract = fixtures_dir / "contracts" / "orders.odcs.yaml"
    code, out, _ = run(contract, contract, "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "bump": "patch",
        "breaking": False,
        "unknown": False,
        "warnings": [],
        "changes": [],
    }


def test_the_installed_steward_script_gates_ci(files: dict[str, Path]) -> None:
    script = shutil.which("steward", path=str(Path(sys.executable).parent))
    assert script is not None, "the steward console script is not installed"
    ok = subprocess.run(
        [script, "diff", str(files["old"]), str(files["widened"]), "--dialect", "postgres"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [script, "diff", str(files["old"]), str(files["narrowed"]), "--dialect", "postgres",
         "--format", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["bump"] == "major"
    broken = subprocess.run(
        [script, "diff", str(files["old"]), str(files["broken"]), "--dialect", "postgres"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert broken.returncode == 2 and f"{files['broken']}:3:" in broken.stderr


def test_a_broken_contract_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v3.0.2\nkind: DataContract\nschema:\n  - name: [oops\n")
    code, _, err = run(bad, bad)
    assert code == 2
    assert f"{bad}:5:1: invalid YAML" in err


def test_a_contract_compared_with_a_narrower_contract_breaks(
    fixtures_dir: Path, tmp_path: Path
) -> None:
    contract = fixtures_dir / "contracts" / "orders.odcs.yaml"
    narrower = tmp_path / "orders.yml"
    narrower.write_text(
        contract.read_text().replace("physicalType: VARCHAR(20)", "physicalType: VARCHAR(10)")
    )
    code, out, _ = run(contract, narrower, "--format", "json")
    assert code == 1
    (change,) = json.loads(out)["changes"]
    assert (change["kind"], change["table"], change["column"]) == (
        "column_type_narrowed", "SALES.ORDERS", "STATUS"
    )  # fmt: skip


def test_a_constraint_on_a_missing_column_is_a_warning_in_every_format(tmp_path: Path) -> None:
    old = tmp_path / "old.sql"
    new = tmp_path / "new.sql"
    old.write_text("CREATE TABLE t (a INT, b INT);\n")
    new.write_text("CREATE TABLE t (a INT, b INT,\n  UNIQUE (gone));\n")
    code, out, _ = run(old, new, "--dialect", "postgres", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["changes"] == []
    assert data["warnings"] == [
        "new: line 2: UNIQUE of table t names unknown column gone; the constraint is ignored"
    ]
    _, text, _ = run(old, new, "--dialect", "postgres")
    assert "warning: new: line 2: UNIQUE of table t names unknown column gone" in text
    _, markdown, _ = run(old, new, "--dialect", "postgres", "--format", "markdown")
    assert "> warning: new: line 2: UNIQUE" in markdown
