"""migrate: OLD -> NEW with rename hints, as views, an alternative and rewritten consumers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from service.diff import diff_schemas
from service.errors import SchemaParseError
from service.migrate.alternative import alternative
from service.migrate.fates import fates
from service.migrate.model import Break, Consumer, Migration, Status
from service.migrate.rewrite import Context, context, rewrite
from service.migrate.views import compatibility_views
from service.schema.model import Schema


def migrate(
    old: Schema,
    new: Schema,
    *,
    renames: Mapping[str, str] | None = None,
    consumers: Iterable[tuple[str, str]] = (),
    old_major: int = 1,
    strict: bool = True,
) -> Migration:
    """The migration path from OLD to NEW for `consumers` ((name, SQL) pairs).

    `renames` are resolved hints as `diff_schemas` takes them; views are named after
    the OLD major version (`shop.orders_v1`), columns the alternative adds beside
    retyped ones after the next (`status_v2`). A consumer's SQL that does not parse raises
    SchemaParseError, or with `strict=False` is reported as breaking where it stops parsing.

    >>> from service.schema import parse_ddl
    >>> old = parse_ddl("CREATE TABLE shop.orders (id INT, amount INT)", "postgres")
    >>> new = parse_ddl("CREATE TABLE shop.orders (id INT, total INT)", "postgres")
    >>> plan = migrate(old, new, renames={"shop.orders.amount": "total"},
    ...                consumers=[("q.sql", "SELECT amount FROM shop.orders WHERE amount > 0")])
    >>> print(plan.views[0].sql)
    CREATE VIEW shop.orders_v1 AS
    SELECT
      id,
      total AS amount
    FROM shop.orders
    >>> print(plan.consumers[0].sql)
    SELECT
      total AS amount
    FROM shop.orders
    WHERE
      total > 0
    """
    hints = dict(renames or {})
    changes = diff_schemas(old, new, renames=hints)
    found = fates(old, new, changes, hints)
    ctx = context(old, new, found)
    return Migration(
        changes,
        tuple(compatibility_views(found, old.dialect, old_major)),
        alternative(old, new, changes, found, old_major + 1),
        tuple(_rewrite(name, sql, ctx, strict) for name, sql in consumers),
    )


def _rewrite(name: str, sql: str, ctx: Context, strict: bool) -> Consumer:
    try:
        return rewrite(name, sql, ctx)
    except SchemaParseError as error:
        if strict:
            raise
        return Consumer(name, Status.BREAKS, None, (Break(error.line, "", error.message),))
