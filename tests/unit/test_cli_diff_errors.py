"""`steward diff` on broken input: exit 2, file:line:column, dialect, the line and a caret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import main

OK = "CREATE TABLE t (a INT);\n"


def run(tmp_path: Path, name: str, content: str | bytes, *extra: str) -> tuple[int, str]:
    """Run `steward diff ok.sql <name>` and return the exit code and stderr."""
    ok = tmp_path / "ok.sql"
    ok.write_text(OK)
    bad = tmp_path / name
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content)
    result = CliRunner().invoke(main, ["diff", str(ok), str(bad), *extra])
    return result.exit_code, result.stderr


# (file name, content, dialect, "line:column", words of the message, the shown line)
BROKEN = [
    ("unterminated.sql", "CREATE TABLE t (\n  a TEXT DEFAULT 'abc,\n  b INT\n);\n",
     "postgres", "2:18", "never closed", "a TEXT DEFAULT 'abc,"),
    ("unterminated_name.sql", 'CREATE TABLE t (\n  "a INT\n);\n',
     "snowflake", "2:3", "never closed", '"a INT'),
    ("unclosed_comment.sql", "CREATE TABLE t (a INT);\n/* the end\n",
     "mysql", "2:1", "never closed", "/* the end"),
    ("missing_paren.sql", "CREATE TABLE t (\n  a INT,\n  b INT\n;\n",
     "postgres", "3:5", "Expecting )", "b INT"),
    ("wrong_keyword.sql", "CREATE TABLE t (a INT NOT NUL, b INT);\n",
     "postgres", "1:23", "cannot parse SQL", "CREATE TABLE t (a INT NOT NUL, b INT);"),
    ("misspelt.sql", "CREATE TABLE t (a INT);\nCREAT TABLE u (b INT);\n",
     "postgres", "2:", "cannot parse SQL", "CREAT TABLE u (b INT);"),
    ("double_comma.sql", "CREATE TABLE t (a INT,, b INT);\n",
     "tsql", "1:23", "two commas", "CREATE TABLE t (a INT,, b INT);"),
    ("no_type.sql", "CREATE TABLE t (a INT, b);\n",
     "duckdb", "1:24", "column b has no type", "CREATE TABLE t (a INT, b);"),
    ("raw_command.sql", "CREATE TABLE t (a INT);\n\nCREATE TABLE u (a INT) WITH FOO BAR;\n",
     "postgres", "3:1", "unsupported syntax", "CREATE TABLE u (a INT) WITH FOO BAR;"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "dialect", "where", "message", "shown"),
    BROKEN,
    ids=[b[0] for b in BROKEN],
)
def test_broken_ddl_names_file_line_column_dialect_and_shows_the_line_with_a_caret(
    tmp_path: Path, name: str, content: str, dialect: str, where: str, message: str, shown: str
) -> None:
    """Each parse error exits 2 with a clear, located message and the offending line."""
    code, err = run(tmp_path, name, content, "--dialect", dialect)
    assert code == 2
    first, *rest = err.splitlines()
    assert first.startswith(f"steward diff: {tmp_path / name}:{where}")
    assert message in first and f"[dialect {dialect}]" in first
    assert shown in rest[0]
    caret_line = rest[1]
    assert caret_line.strip().endswith("^")
    column = int(first.split(":")[3]) if where.endswith(tuple("0123456789")) else None
    if column is not None:  # the caret stands under the column of the shown line
        text = rest[0].split(" | ", 1)[1]
        caret = caret_line.split(" | ", 1)[1].index("^")
        assert text[caret] == content.splitlines()[int(where.split(":")[0]) - 1][column - 1]


def test_a_binary_file_is_refused_with_the_position_of_the_first_bad_byte(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are named with their line and column; nothing binary is echoed."""
    code, err = run(tmp_path, "garbage.sql", b"CREATE\n  \xf6\x00\xff\xfe", "--dialect", "mysql")
    assert code == 2
    assert f"{tmp_path / 'garbage.sql'}:2:3: not a UTF-8 text file" in err
    assert "0xf6" in err and "\ufffd" not in err


def test_a_yaml_file_that_is_not_a_contract_says_what_a_contract_needs(tmp_path: Path) -> None:
    """A .yaml file without kind: DataContract is named as not a contract, at line 1."""
    code, err = run(tmp_path, "config.yaml", "name: foo\ncolumns:\n  - a\n")
    assert code == 2
    assert f"{tmp_path / 'config.yaml'}:1:1: not an ODCS v3 data contract" in err
    assert "kind: DataContract" in err


@pytest.mark.parametrize("content", ["", "\n \n\t\n"])
def test_an_empty_file_is_empty_input(tmp_path: Path, content: str) -> None:
    """An empty or blank file says so."""
    code, err = run(tmp_path, "empty.sql", content, "--dialect", "postgres")
    assert code == 2 and "empty input" in err


def test_a_file_over_the_size_limit_names_its_size(tmp_path: Path) -> None:
    """A 2 MB script is refused before parsing, with its size and the limit."""
    big = "CREATE TABLE t (\n" + "  c VARCHAR(100) DEFAULT 'x',\n" * 70_000 + "  z INT);\n"
    code, err = run(tmp_path, "big.sql", big, "--dialect", "postgres")
    assert code == 2
    assert f"input of {len(big):,} bytes is larger than the 1,000,000 bytes allowed" in err


def test_no_sqlglot_log_line_reaches_stderr(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The 'Falling back to parsing as a Command' warning is not printed; our error is."""
    with caplog.at_level(logging.WARNING):
        code, err = run(tmp_path, "raw.sql", "CREATE TABLE t (a INT) WITH FOO BAR;\n")
    assert code == 2 and "unsupported syntax" in err
    assert "Falling back" not in err
    assert not [r for r in caplog.records if "Falling back" in r.getMessage()]
