"""`steward diff OLD NEW --downstream PATH`: what a change reaches, from the real lineage fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lineage import ColumnChange
from service.cli import main
from service.diff.model import Bump, Change, ChangeKind, ChangeSet, Verdict
from service.usecases.column_changes import column_changes

PAIRS = Path(__file__).resolve().parents[2] / "fixtures" / "downstream"
LINEAGE = PAIRS.parent / "lineage"
OLD_PG = PAIRS / "postgres" / "old.sql"
POSTGRES_VIEWS = LINEAGE / "warehouse" / "postgres"
DIALECTS = {"postgres": "postgres", "dbt": "postgres", "snowflake": "snowflake", "mysql": "mysql"}


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def impact_of(*args: object) -> tuple[int, dict[str, Any]]:
    """Exit code and the `impact` of `--format json`, which must be all of stdout."""
    code, out, err = run(*args, "--format", "json")
    assert err == ""
    document = json.loads(out)
    assert set(document) == {"bump", "breaking", "unknown", "warnings", "changes", "impact"}
    return code, document["impact"]


def downstream(pair: str, new: str, path: Path, *extra: object) -> tuple[int, dict[str, Any]]:
    """`steward diff` of PAIRS/pair/old.sql and PAIRS/pair/new with `--downstream path`."""
    dialect = ("--dialect", DIALECTS[pair])
    return impact_of(
        PAIRS / pair / "old.sql", PAIRS / pair / new, *dialect, "--downstream", path, *extra
    )


def reached(found: dict[str, Any]) -> dict[str, tuple[int, list[str], bool]]:
    return {a["name"]: (a["depth"], a["path"], a["stops_working"]) for a in found["affected"]}


def test_a_removed_column_reaches_the_views_reading_it_and_their_readers() -> None:
    code, found = downstream("postgres", "status_removed.sql", POSTGRES_VIEWS)
    assert code == 1
    assert reached(found) == {
        "analytics.all_orders": (1, ["shop.orders", "analytics.all_orders"], True),
        "analytics.discounts": (1, ["shop.orders", "analytics.discounts"], True),
        "analytics.late_orders": (1, ["shop.orders", "analytics.late_orders"], True),
        "analytics.order_totals": (1, ["shop.orders", "analytics.order_totals"], True),
        "reporting.country_report": (
            2,
            ["shop.orders", "analytics.order_totals", "reporting.country_report"],
            True,
        ),
    }
    totals = next(a for a in found["affected"] if a["name"] == "analytics.order_totals")
    assert totals["kind"] == "view"
    assert totals["reads"] == [{"table": "shop.orders", "column": "status", "how": "filtered"}]
    assert totals["columns"] == ["country", "revenue", "order_count"]


def test_a_breaking_change_to_a_column_nothing_reads_affects_nothing() -> None:
    code, found = downstream("postgres", "refund_id_narrowed.sql", POSTGRES_VIEWS)
    assert code == 1
    assert found["affected"] == []


def test_a_dbt_manifest_yields_the_models_and_exposures_downstream_of_a_source() -> None:
    code, found = downstream("dbt", "status_removed.sql", LINEAGE / "dbt" / "manifest.json")
    assert code == 1
    assert {name: depth for name, (depth, _, _) in reached(found).items()} == {
        "analytics.staging.stg_orders": 1,
        "analytics.marts.customers": 2,
        "analytics.marts.orders": 2,
        "order_ops": 3,
        "weekly_revenue": 3,
    }
    kinds = {a["name"]: a["kind"] for a in found["affected"]}
    assert kinds["weekly_revenue"] == "exposure" and kinds["analytics.marts.orders"] == "model"
    reasons = [w["reason"] for w in found["warnings"]]
    assert (
        "analytics.raw.orders taken as the changed table raw.orders (partial name match)" in reasons
    )


def test_openlineage_events_yield_the_datasets_their_jobs_write() -> None:
    code, found = downstream("postgres", "status_removed.sql", LINEAGE / "openlineage")
    assert code == 1
    assert reached(found) == {
        "analytics.order_facts": (1, ["shop.orders", "analytics.order_facts"], True),
        "reporting.exec_summary": (
            2,
            ["shop.orders", "analytics.order_facts", "reporting.exec_summary"],
            True,
        ),
    }
    assert found["warnings"] == []


def test_a_snowflake_change_on_upper_case_names_matches_views_written_in_lower_case() -> None:
    code, found = downstream(
        "snowflake", "created_at_removed.sql", LINEAGE / "warehouse" / "snowflake"
    )
    assert code == 1
    assert reached(found) == {
        "MART.LATEST_ORDERS": (1, ["SHOP.ORDERS", "MART.LATEST_ORDERS"], True),
        "ORDERS_COPY": (1, ["SHOP.ORDERS", "ORDERS_COPY"], True),
        "MART.CUSTOMER_VALUE": (
            2,
            ["SHOP.ORDERS", "MART.LATEST_ORDERS", "MART.CUSTOMER_VALUE"],
            True,
        ),
    }


def test_the_old_schema_expands_select_star_in_views_with_no_ddl_beside_them() -> None:
    code, found = downstream("postgres", "status_removed.sql", PAIRS / "views_only")
    assert code == 1
    assert {name: depth for name, (depth, _, _) in reached(found).items()} == {
        "analytics.order_copy": 1,
        "analytics.order_names": 2,
        "analytics.paid": 2,
    }
    copy = next(a for a in found["affected"] if a["name"] == "analytics.order_copy")
    assert copy["columns"] == ["id", "customer_id", "amount", "status", "created_at"]
    code, found = downstream("postgres", "amount_narrowed.sql", PAIRS / "views_only")
    assert code == 1
    assert {a["name"]: a["columns"] for a in found["affected"]} == {
        "analytics.order_copy": ["amount"],
        "analytics.paid": ["amount"],
    }


def test_a_mysql_change_matches_a_view_spelling_the_column_in_another_case() -> None:
    code, found = downstream("mysql", "status_removed.sql", PAIRS / "mysql" / "views")
    assert code == 1
    assert reached(found) == {
        "reporting.order_status": (1, ["shop.orders", "reporting.order_status"], True)
    }
    (status,) = found["affected"]
    assert status["reads"] == [{"table": "shop.orders", "column": "status", "how": "projected"}]


def test_compatible_changes_propagate_only_with_include_compatible() -> None:
    code, found = downstream("postgres", "amount_widened.sql", POSTGRES_VIEWS)
    assert code == 0
    assert found["affected"] == []
    code, found = downstream(
        "postgres", "amount_widened.sql", POSTGRES_VIEWS, "--include-compatible"
    )
    assert code == 0
    assert {name: stops for name, (_, _, stops) in reached(found).items()} == {
        "analytics.all_orders": False,
        "analytics.big_spenders": False,
        "analytics.customer_recency": False,
        "analytics.discounts": False,
        "analytics.late_orders": False,
        "analytics.money_moves": False,
        "analytics.order_totals": False,
        "reporting.country_report": False,
    }


def test_lineage_warnings_are_reported_and_leave_the_exit_status_to_the_diff() -> None:
    code, found = downstream("postgres", "amount_widened.sql", POSTGRES_VIEWS)
    assert code == 0
    assert {(w["file"], w["line"], w["reason"]) for w in found["warnings"]} == {
        ("late_orders.sql", 5, "does not parse: Expecting )"),
        ("discounts.sql", 3, "does not resolve: Unknown column: discount"),
    }


def test_a_renamed_table_reaches_the_readers_of_its_old_name(tmp_path: Path) -> None:
    old = OLD_PG
    new = tmp_path / "new.sql"
    new.write_text(old.read_text().replace("shop.refunds", "shop.refunds_v2"))
    code, found = impact_of(
        old,
        new,
        "--dialect",
        "postgres",
        "--rename",
        "shop.refunds=shop.refunds_v2",
        "--downstream",
        POSTGRES_VIEWS,
    )
    assert code == 1
    assert reached(found) == {
        "analytics.money_moves": (1, ["shop.refunds", "analytics.money_moves"], True)
    }


def test_a_renamed_column_reaches_the_readers_of_its_old_name(tmp_path: Path) -> None:
    old = OLD_PG
    new = tmp_path / "new.sql"
    new.write_text(
        old.read_text().replace("    created_at timestamp\n", "    placed_at timestamp\n")
    )
    code, found = impact_of(
        old,
        new,
        "--dialect",
        "postgres",
        "--rename",
        "shop.orders.created_at=placed_at",
        "--downstream",
        POSTGRES_VIEWS,
    )
    assert code == 1
    assert set(reached(found)) == {
        "analytics.all_orders",
        "analytics.customer_recency",
        "analytics.discounts",
        "analytics.late_orders",
        "analytics.money_moves",
    }
    recency = next(a for a in found["affected"] if a["name"] == "analytics.customer_recency")
    assert {"table": "shop.orders", "column": "created_at", "how": "windowed"} in recency["reads"]


def test_the_text_output_has_a_readable_impact_section() -> None:
    code, out, _ = run(
        OLD_PG,
        PAIRS / "postgres" / "status_removed.sql",
        "--dialect",
        "postgres",
        "--downstream",
        POSTGRES_VIEWS,
    )
    assert code == 1
    assert "\n\nDownstream impact: 5 object(s) affected\n" in out
    assert "  reporting.country_report (view, depth 2, stops working)\n" in out
    assert "    via shop.orders -> analytics.order_totals -> reporting.country_report\n" in out
    assert "  warning: late_orders.sql:5: does not parse: Expecting )" in out
    assert '"affected"' not in out


def test_the_markdown_output_has_an_impact_table() -> None:
    code, out, _ = run(
        OLD_PG,
        PAIRS / "postgres" / "refund_id_narrowed.sql",
        "--dialect",
        "postgres",
        "--format",
        "markdown",
        "--downstream",
        LINEAGE / "openlineage",
    )
    assert code == 1
    assert out.endswith(
        "\n### Downstream impact\n\nNothing downstream reads the changed columns.\n"
    )
    code, out, _ = run(
        OLD_PG,
        PAIRS / "postgres" / "status_removed.sql",
        "--dialect",
        "postgres",
        "--format",
        "markdown",
        "--downstream",
        LINEAGE / "openlineage",
    )
    assert code == 1
    assert "| `reporting.exec_summary` | table | 2 | yes |" in out


def test_without_downstream_the_json_has_no_impact() -> None:
    code, out, _ = run(
        OLD_PG,
        PAIRS / "postgres" / "status_removed.sql",
        "--dialect",
        "postgres",
        "--format",
        "json",
    )
    assert code == 1
    assert set(json.loads(out)) == {"bump", "breaking", "unknown", "warnings", "changes"}


def test_a_missing_downstream_path_exits_2(tmp_path: Path) -> None:
    code, out, err = run(
        OLD_PG,
        PAIRS / "postgres" / "status_removed.sql",
        "--downstream",
        tmp_path / "missing",
    )
    assert code == 2 and out == ""
    assert "does not exist" in err


def test_a_downstream_path_with_no_lineage_in_it_exits_2(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not lineage")
    code, out, err = run(
        OLD_PG,
        PAIRS / "postgres" / "status_removed.sql",
        "--format",
        "json",
        "--downstream",
        tmp_path,
    )
    assert code == 2 and out == ""
    assert err.startswith("steward diff: --downstream: ")
    assert "no .sql, manifest .json or OpenLineage events found" in err


def test_downstream_and_include_compatible_are_documented_in_help() -> None:
    result = CliRunner().invoke(main, ["diff", "--help"])
    assert "--downstream PATH" in result.stdout
    assert "--include-compatible" in result.stdout
    assert '"impact": {"affected"' in result.stdout


def _change(kind: ChangeKind, table: str, column: str | None, before: str | None = None, *,
            verdict: Verdict = Verdict.BREAKING) -> Change:  # fmt: skip
    return Change(kind, table, column, before, None, verdict, Verdict.BREAKING, "why")


def test_reader_verdicts_breaking_or_unknown_propagate_by_default() -> None:
    changes = ChangeSet(
        tuple(
            _change(ChangeKind.COLUMN_TYPE_CHANGED, "t", column, verdict=verdict)
            for column, verdict in [
                ("a", Verdict.BREAKING),
                ("b", Verdict.UNKNOWN),
                ("c", Verdict.NEEDS_REVIEW),
                ("d", Verdict.COMPATIBLE),
            ]
        ),
        Bump.MAJOR,
    )
    assert [(c.column, c.breaking) for c in column_changes(changes)] == [
        ("a", True),
        ("b", True),
        ("c", False),
        ("d", False),
    ]


def test_changes_inside_a_renamed_table_are_named_as_the_old_schema_spells_them() -> None:
    changes = ChangeSet(
        (
            _change(ChangeKind.TABLE_RENAMED, "shop.orders_v2", None, "shop.orders"),
            _change(ChangeKind.COLUMN_RENAMED, "shop.orders_v2", "total", "amount"),
            _change(ChangeKind.COLUMN_TYPE_NARROWED, "shop.orders_v2", "total"),
            _change(ChangeKind.COLUMN_REMOVED, "shop.other", "x"),
        ),
        Bump.MAJOR,
    )
    assert column_changes(changes) == [
        ColumnChange("shop.orders", None, "table_renamed"),
        ColumnChange("shop.orders", "amount", "column_renamed"),
        ColumnChange("shop.orders", "amount", "column_type_narrowed"),
        ColumnChange("shop.other", "x", "column_removed"),
    ]
