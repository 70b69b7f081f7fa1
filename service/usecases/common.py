"""Helpers the operations share: the caller's row, cached schema parsing, limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import ParamSpec, Protocol, TypeVar

from sqlalchemy.orm import Session

from service.diff.compare import Comparison, compare
from service.domain import Principal
from service.errors import NotAuthenticated
from service.schema import parse_schema
from service.schema.model import Schema
from service.store import queries as q
from service.store.tables import PrincipalRow, ProductRow
from service.workflow import ADMIN

T = TypeVar("T")
P = ParamSpec("P")


class Runner(Protocol):
    """Where heavy pure work runs: in this process, or a worker with a deadline (the API's)."""

    def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`function(*args, **kwargs)`, wherever this runner runs it."""
        ...


class Inline:
    """Run in this process (the CLI's and the tests' default)."""

    def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`function(*args, **kwargs)` here and now."""
        return function(*args, **kwargs)


@dataclass(frozen=True, slots=True)
class Limits:
    """Input size limits taken from the settings."""

    max_schema_bytes: int = 1_000_000
    max_sql_bytes: int = 1_000_000
    max_manifest_bytes: int = 50_000_000


def actor_row(session: Session, actor: Principal) -> PrincipalRow:
    """The caller's row in this session."""
    row = session.get(PrincipalRow, actor.id)
    if row is None:
        raise NotAuthenticated("the token's principal no longer exists")
    return row


def roles_of(product: ProductRow, actor: Principal) -> set[str]:
    """The caller's roles on a product (owner, maintainer), and admin when the caller is one."""
    roles = q.roles_on(product, actor.id)
    if actor.is_admin:
        roles.add(ADMIN)
    return roles


@lru_cache(maxsize=256)
def stored_schema(source: str, dialect: str) -> Schema:
    """A stored version's schema, parsed again from its source (cached: versions never change)."""
    return parse_schema(source, dialect=dialect, source="stored version", max_bytes=1 << 62)


def compare_with_stored(
    source: str, schema: str, *, dialect: str, renames: dict[str, str] | None, max_bytes: int
) -> Comparison:
    """`compare` a schema text with a stored version's source (parsed once per process): the
    unit the API runs in a worker, under its deadline, wherever a new schema meets the current."""
    return compare(
        stored_schema(source, dialect),
        schema,
        dialect=dialect,
        renames=renames,
        max_bytes=max_bytes,
    )
