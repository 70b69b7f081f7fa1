"""SQL text read under a guard: brackets nested too deep are refused (with line and column)
before sqlglot's recursive parser can overflow the stack. A leaf (sqlglot only), so the
schema reader and lineage share it without `steward diff` loading the lineage graph."""

from __future__ import annotations

from functools import cache
from itertools import accumulate
from operator import attrgetter

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
# Keyed by the identity of the (singleton) token types: an Enum member hashes in Python.
_STEP = {id(kind): 1 for kind in _OPEN} | {id(kind): -1 for kind in _CLOSE}
_ANGLES = frozenset({id(TokenType.LT), id(TokenType.GT)})
_KIND = attrgetter("token_type")


def token_kinds(tokens: list[Token]) -> list[int]:
    """The identity of each token's type, for C-level scans (an Enum member hashes in Python)."""
    return list(map(id, map(_KIND, tokens)))


def check_nesting(
    tokens: list[Token], limit: int = MAX_NESTING, kinds: list[int] | None = None
) -> None:
    """Raise sqlglot's ParseError (with line and column) where brackets, or the angle brackets
    of nested types (`ARRAY<STRUCT<...>>`), nest deeper than `limit`. `kinds`: the tokens'
    `token_kinds`, when the caller has them.

    >>> tokens = Dialect.get_or_raise(None).tokenize("SELECT " + "(" * 101 + "1" + ")" * 101)
    >>> check_nesting(tokens)
    Traceback (most recent call last):
    ...
    sqlglot.errors.ParseError: brackets nest deeper than 100 levels at line 1, column 108
    """
    # Fast path, in C-level loops: without `<` or `>` tokens only brackets count, and when
    # the running depth never drops below zero (no clamping) its maximum is the depth.
    if kinds is None:
        kinds = token_kinds(tokens)
    if _ANGLES.isdisjoint(kinds):
        depths = list(accumulate(filter(None, map(_STEP.get, kinds))))
        if not depths or (max(depths) <= limit and min(depths) >= 0):
            return
    _check_nesting_by_token(tokens, limit, kinds)


def _check_nesting_by_token(tokens: list[Token], limit: int, kinds: list[int]) -> None:
    """check_nesting token by token: angle brackets of nested types, and a stray closer."""
    nested = _nested_type_ids()
    lt, gt = id(TokenType.LT), id(TokenType.GT)
    depth = angles = 0
    previous = 0
    for token, kind in zip(tokens, kinds, strict=True):
        step = _STEP.get(kind, 0)
        if step > 0 or (kind == lt and previous in nested):
            depth += 1
            angles += kind == lt
            if depth > limit:
                message = (
                    f"brackets nest deeper than {limit} levels "
                    f"at line {token.line}, column {token.col}"
                )
                raise ParseError(
                    message,
                    errors=[{"description": message, "line": token.line, "col": token.col}],
                )
        elif step < 0 or (kind == gt and angles):
            depth = max(depth - 1, 0)
            angles -= kind == gt
        previous = kind


@cache
def _nested_type_ids() -> frozenset[int]:
    return frozenset(id(kind) for kind in Parser.NESTED_TYPE_TOKENS)


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
