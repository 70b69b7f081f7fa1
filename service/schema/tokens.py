"""Tokens before parsing: fixes for what sqlglot's dialects read too loosely or not at all.

- T-SQL `REAL` is 32 bits and `FLOAT` 64 (FLOAT(n): n <= 24 is 32), MySQL `REAL` is DOUBLE;
  sqlglot reads every one of them as FLOAT, so the tokens are retyped first.
- Two commas in a row (`(a INT,, b INT)`) are an error in every dialect; sqlglot skips them.
- MySQL `PARTITION BY RANGE|LIST|HASH|KEY ... [PARTITIONS n] [(PARTITION ...)]` is physical
  storage, invisible to readers, and sqlglot cannot parse most forms: the clause is dropped.
- sqlglot logs "Falling back to parsing as a 'Command'" for what it cannot parse; the reader
  reports such statements itself, so the message is kept off the log while it parses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import repeat

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import Token, TokenType

from identifiers.guard import check_nesting, token_kinds
from service.errors import SchemaParseError
from service.schema.types import display_type

TSQL_FAMILY = frozenset({"tsql", "fabric"})
MYSQL_FAMILY = frozenset({"mysql", "singlestore", "doris", "starrocks"})
# Storage options sqlglot cannot parse and readers cannot see, dropped from CREATE TABLE:
# {word: (paren depth it stands at, how many tokens it takes, only before "," or ")")}.
TABLE_OPTIONS: dict[str, dict[str, tuple[int, int, bool]]] = {
    "tsql": {"TEXTIMAGE_ON": (0, 2, False), "FILESTREAM_ON": (0, 2, False)},
    "sqlite": {"WITHOUT": (0, 2, False), "STRICT": (0, 1, False)},
    "oracle": {"ENABLE": (1, 1, False), "DISABLE": (1, 1, False), "NOVALIDATE": (1, 1, False)},
    "redshift": {"DISTKEY": (1, 1, True), "SORTKEY": (1, 1, True)},
}
TABLE_OPTIONS["fabric"] = TABLE_OPTIONS["tsql"]
_FALLBACK = "Falling back to parsing as a 'Command'"
_LOGGER = logging.getLogger("sqlglot")
_COMMA = {id(TokenType.COMMA): 1}


def _drop_fallback_notice(record: logging.LogRecord) -> bool:
    return _FALLBACK not in record.getMessage()


@contextmanager
def quiet_fallback() -> Iterator[None]:
    """Keep sqlglot's "Falling back to parsing as a 'Command'" warning off the log."""
    _LOGGER.addFilter(_drop_fallback_notice)
    try:
        yield
    finally:
        _LOGGER.removeFilter(_drop_fallback_notice)


def parse_tokens(
    sql: str, dialect: str, sqlglot_name: str, source: str | None
) -> list[exp.Expr | None]:
    """Tokenize, fix the tokens for `dialect`, and parse (sqlglot's errors propagate)."""
    reader = Dialect.get_or_raise(sqlglot_name)
    tokens = reader.tokenize(sql)
    kinds = token_kinds(tokens)
    check_nesting(tokens, kinds=kinds)
    _no_double_comma(tokens, kinds, sql, dialect, source)
    if dialect in TSQL_FAMILY or dialect in MYSQL_FAMILY:
        _retype_floats(tokens, dialect)
    if dialect in MYSQL_FAMILY:
        tokens = _drop_mysql_partitions(tokens)
    words = TABLE_OPTIONS.get(dialect)
    if words:
        tokens = _drop_options(tokens, words)
    with quiet_fallback():
        try:
            return reader.parser().parse(tokens, sql)
        except RecursionError as error:
            raise ParseError("the SQL nests too deeply to be read") from error


def _no_double_comma(
    tokens: list[Token], kinds: list[int], sql: str, dialect: str, source: str | None
) -> None:
    # One byte per token (1: a comma), searched in C for two in a row.
    commas = bytes(map(_COMMA.get, kinds, repeat(0)))
    at = commas.find(b"\x01\x01")
    if at >= 0:
        token = tokens[at + 1]
        line_text = sql.splitlines()[token.line - 1] if token.line else ""
        raise SchemaParseError(
            "cannot parse SQL: two commas in a row (an item is missing between them)",
            dialect=dialect,
            line=token.line,
            column=token.col,
            snippet=line_text.strip()[:200],
            source=source,
        )


def _retype_floats(tokens: list[Token], dialect: str) -> None:
    """T-SQL: REAL -> FLOAT (32 bits), FLOAT -> DOUBLE (FLOAT(n) keeps n); MySQL: REAL -> DOUBLE."""
    for token in tokens:
        if token.token_type is not TokenType.FLOAT:
            continue
        word = token.text.upper()
        if (dialect in TSQL_FAMILY and word == "FLOAT") or (
            dialect in MYSQL_FAMILY and word == "REAL"
        ):
            token.token_type = TokenType.DOUBLE


def _drop_mysql_partitions(tokens: list[Token]) -> list[Token]:
    """Tokens without the `PARTITION BY ...` clause that ends a MySQL CREATE TABLE."""
    kept: list[Token] = []
    depth = 0
    in_create = False
    skipping = False
    for token in tokens:
        kind = token.token_type
        if kind is TokenType.SEMICOLON and depth == 0:
            in_create = skipping = False
            kept.append(token)
            continue
        if skipping:
            continue
        if kind is TokenType.L_PAREN:
            depth += 1
        elif kind is TokenType.R_PAREN:
            depth = max(depth - 1, 0)
        elif kind is TokenType.CREATE and depth == 0:
            in_create = True
        elif kind is TokenType.PARTITION_BY and in_create and depth == 0:
            skipping = True
            continue
        kept.append(token)
    return kept


def build_type(text: str, dialect: str, sqlglot_name: str) -> exp.DataType:
    """A type's text read as `exp.DataType.build` does, with the dialect's FLOAT/REAL fix."""
    if dialect not in TSQL_FAMILY and dialect not in MYSQL_FAMILY:
        return exp.DataType.build(text, dialect=sqlglot_name)
    reader = Dialect.get_or_raise(sqlglot_name)
    tokens = reader.tokenize(text)
    _retype_floats(tokens, dialect)
    parsed = reader.parser().parse_into(exp.DataType, tokens, text)[0]
    if not isinstance(parsed, exp.DataType):
        raise ValueError(f"not a type: {text!r}")
    return parsed


def type_sql(dt: exp.DataType, dialect: str, sqlglot_name: str) -> str:
    """A type written in the dialect; T-SQL's 32-bit FLOAT is written REAL (sqlglot: FLOAT)."""
    if dialect in TSQL_FAMILY and dt.this is exp.DataType.Type.FLOAT and not dt.expressions:
        return "REAL"
    return display_type(dt.sql(sqlglot_name), dialect)


_BACKSLASH_ESCAPES = frozenset({"mysql", "bigquery", "spark", "databricks", "hive", "clickhouse"})


def unterminated_at(sql: str, dialect: str) -> int | None:
    """Offset of the quote or comment opener that is never closed, if one is (else None).

    A plain scan: '...' strings ('' doubled), "..." and `...` names, T-SQL [...], -- and /* */
    comments, and backslash escapes where the dialect has them.
    """
    closers = {"'": "'", '"': '"', "`": "`"}
    if dialect in TSQL_FAMILY:
        closers["["] = "]"
    escapes = dialect in _BACKSLASH_ESCAPES
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return i
            i = end + 2
        elif ch in closers:
            close, j = closers[ch], i + 1
            while True:
                if j >= n:
                    return i
                if escapes and sql[j] == "\\" and close != "]":
                    j += 2
                elif sql[j] == close:
                    if sql.startswith(close * 2, j) and close != "]":
                        j += 2  # a doubled quote stands for itself
                    else:
                        break
                else:
                    j += 1
            i = j + 1
        else:
            i += 1
    return None


def _drop_options(tokens: list[Token], words: dict[str, tuple[int, int, bool]]) -> list[Token]:
    """Tokens without the dialect's storage options inside CREATE TABLE statements."""
    kept: list[Token] = []
    depth, in_create, skip = 0, False, 0
    ends = (TokenType.COMMA, TokenType.R_PAREN)
    for i, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        kind = token.token_type
        if kind is TokenType.SEMICOLON and depth == 0:
            in_create = False
        elif kind is TokenType.L_PAREN:
            depth += 1
        elif kind is TokenType.R_PAREN:
            depth = max(depth - 1, 0)
        elif kind is TokenType.CREATE and depth == 0:
            in_create = True
        elif in_create and kind is not TokenType.STRING and (rule := words.get(token.text.upper())):
            at, count, before_end = rule
            after = tokens[i + count].token_type if i + count < len(tokens) else None
            if at == depth and (not before_end or after in ends):
                if kind is TokenType.COMMA:
                    continue
                skip = count - 1
                if at == 0 and kept and kept[-1].token_type is TokenType.COMMA:
                    kept.pop()  # SQLite: WITHOUT ROWID, STRICT
                continue
        kept.append(token)
    return kept
