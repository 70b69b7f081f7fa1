"""SQL text read under a guard: brackets nested too deep are refused (with line and column)
before sqlglot's recursive parser can overflow the stack. A leaf (sqlglot only), so the
schema reader and lineage share it without `steward diff` loading the lineage graph."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError
from sqlglot.parser import Parser
from sqlglot.tokenizer_core import Token, TokenType

#: How deep brackets may nest: sqlglot's recursive parser overflows the stack (a
#: RecursionError, or a crash of its compiled form) a few hundred levels down.
MAX_NESTING = 100
_OPEN = {TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE}
_CLOSE = {TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE}


def check_nesting(tokens: list[Token], limit: int = MAX_NESTING) -> None:
    """Raise sqlglot's ParseError (with line and column) where brackets, or the angle brackets
    of nested types (`ARRAY<STRUCT<...>>`), nest deeper than `limit`.

    >>> tokens = Dialect.get_or_raise(None).tokenize("SELECT " + "(" * 101 + "1" + ")" * 101)
    >>> check_nesting(tokens)
    Traceback (most recent call last):
    ...
    sqlglot.errors.ParseError: brackets nest deeper than 100 levels at line 1, column 108
    """
    depth = angles = 0
    previous: Token | None = None
    for token in tokens:
        kind = token.token_type
        opens = kind in _OPEN or (
            kind is TokenType.LT
            and previous is not None
            and previous.token_type in Parser.NESTED_TYPE_TOKENS
        )
        if opens:
            depth += 1
            angles += kind is TokenType.LT
            if depth > limit:
                message = (
                    f"brackets nest deeper than {limit} levels "
                    f"at line {token.line}, column {token.col}"
                )
                raise ParseError(
                    message,
                    errors=[{"description": message, "line": token.line, "col": token.col}],
                )
        elif kind in _CLOSE or (kind is TokenType.GT and angles):
            depth = max(depth - 1, 0)
            angles -= kind is TokenType.GT
        previous = token


def parse(sql: str, dialect: str | None) -> list[exp.Expr]:
    """sqlglot.parse, refusing too deep nesting first; a stack overflow is a ParseError too."""
    reader = Dialect.get_or_raise(dialect)
    tokens = reader.tokenize(sql)
    check_nesting(tokens)
    try:
        return [s for s in reader.parser().parse(tokens, sql) if s is not None]
    except RecursionError as error:
        raise ParseError("the SQL nests too deeply to be read") from error


def parse_one(sql: str, dialect: str | None) -> exp.Expr:
    """sqlglot.parse_one under the same guard: one tree, or a Block of several statements."""
    found = parse(sql, dialect)
    if not found:
        raise ParseError(f"no statement in {sql[:80]!r}")
    return exp.Block(expressions=found) if len(found) > 1 else found[0]
