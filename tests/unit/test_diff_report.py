"""Text and Markdown renderings of a change set, and room for extra sections such as impact."""

from __future__ import annotations

import io
import re

import pytest

from service.cli import diff as cli_diff
from service.diff import diff_schemas
from service.diff.report import render_markdown, render_text, report
from service.schema.model import Column, ColumnType, Schema, Table, TypeFamily

INT = ColumnType("INT", TypeFamily.INTEGER, bits=32, sql="INT")
OLD = Schema("postgres", (Table("t", (Column("a", INT, False), Column("b", INT))),))
NEW = Schema("postgres", (Table("t", (Column("a", INT, True, comment="x | y"),)),))


def test_text_colours_verdicts_only_when_asked() -> None:
    data = report(diff_schemas(OLD, NEW))
    assert "\x1b[31m" in render_text(data, color=True)
    assert "\x1b[" not in render_text(data, color=False)


def test_colour_is_used_on_a_terminal_unless_no_color_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Tty())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli_diff._use_color() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli_diff._use_color() is False
    monkeypatch.setattr("sys.stdout", io.StringIO())
    monkeypatch.delenv("NO_COLOR")
    assert cli_diff._use_color() is False


def test_text_notes_the_other_sides_verdict_when_it_differs() -> None:
    text = render_text(report(diff_schemas(OLD, NEW)))
    assert "column_nullability_relaxed (writers: compatible)" in text


def test_markdown_escapes_pipes_inside_cells() -> None:
    md = render_markdown(report(diff_schemas(OLD, NEW)))
    assert "`x \\| y`" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 10 for row in rows)


def test_an_extra_section_such_as_impact_is_rendered_after_the_changes() -> None:
    data = report(diff_schemas(OLD, NEW)) | {"impact": {"consumers": ["finance"]}}
    md = render_markdown(data)
    assert md.index("#### Impact") > md.index("column_removed")
    assert '"finance"' in render_text(data).split("impact:")[1]


def test_an_empty_change_set_renders_a_one_line_summary() -> None:
    data = report(diff_schemas(OLD, OLD))
    assert render_text(data) == "0 changes; suggested bump: patch [reader perspective]"
    assert "| Table |" not in render_markdown(data)


def test_markdown_keeps_the_most_severe_rows_when_there_are_too_many() -> None:
    wide_old = Schema("postgres", (Table("t", tuple(Column(f"c{i}", INT) for i in range(5))),))
    wide_new = Schema(
        "postgres", (Table("t", (*(Column(f"c{i}", INT, comment="x") for i in range(4)),)),)
    )
    data = report(diff_schemas(wide_old, wide_new))
    md = render_markdown(data, max_rows=2)
    rows = [line for line in md.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2
    assert "column_removed" in rows[0]
    assert "…and 3 more changes" in md
