"""`steward lineage PATH` prints the graph, or exits 2 on a path it cannot read."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main


def test_lineage_prints_the_graph_as_json_with_warnings_on_stderr(fixtures_dir: Path) -> None:
    path = fixtures_dir / "lineage" / "warehouse" / "postgres"
    result = CliRunner().invoke(main, ["lineage", str(path), "--dialect", "postgres"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert "reporting.country_report" in {item["name"] for item in document["objects"]}
    assert "late_orders.sql:5: does not parse" in result.stderr


def test_lineage_prints_dot_and_mermaid(fixtures_dir: Path) -> None:
    path = str(fixtures_dir / "lineage" / "dbt" / "manifest.json")
    dot = CliRunner().invoke(main, ["lineage", path, "--format", "dot"])
    assert dot.exit_code == 0 and dot.stdout.startswith("digraph lineage {")
    assert '"analytics.marts.customers" -> "weekly_revenue"' in dot.stdout
    mermaid = CliRunner().invoke(main, ["lineage", path, "--format", "mermaid"])
    assert mermaid.exit_code == 0 and mermaid.stdout.startswith("flowchart LR")


def test_lineage_exits_2_for_a_missing_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lineage", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_lineage_exits_2_for_an_unknown_dialect(fixtures_dir: Path) -> None:
    result = CliRunner().invoke(main, ["lineage", str(fixtures_dir), "--dialect", "nosuchsql"])
    assert result.exit_code == 2
    assert "unknown dialect" in result.stderr
