"""What one SQL statement reads, column by column: sqlglot's qualify, build_scope and lineage."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.lineage import Node, lineage, to_node
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from lineage.model import LineageWarning
from lineage.names import NameIndex, fold_columns
from lineage.statements import parse_one

#: The clause of a SELECT a column sits in -> how the query uses it.
CLAUSE_USE = {
    "where": "filtered",
    "having": "filtered",
    "qualify": "filtered",
    "joins": "joined",
    "group": "grouped",
    "order": "ordered",
}
Resolve = Callable[[str], str]
ColumnsOf = Callable[[str], list[str] | None]


@dataclass
class QueryLineage:
    """The columns a query produces, the upstream columns each comes from, and the rest it reads."""

    name: str
    kind: str
    columns: list[str] = field(default_factory=list)
    projections: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    uses: set[tuple[str, str, str]] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)
    star_tables: set[str] = field(default_factory=set)
    opaque: bool = False
    warnings: list[LineageWarning] = field(default_factory=list)

    def reads(self) -> tuple[set[tuple[str, str, str]], set[str]]:
        """What the query reads: (table, column, how) for each named column, and the tables
        it reads every column of (through a star, or all of them when it does not resolve)."""
        named = set(self.uses)
        named |= {(t, c, "projected") for cols in self.projections.values() for t, c in cols}
        return named, self.star_tables | (self.tables if self.opaque else set())


class QueryError(ValueError):
    """SQL that is no query lineage can read: it does not parse, it is not a SELECT, or it
    names a column that tables whose columns are all known lack."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column


def parse_query(sql: str, dialect: str | None) -> exp.Query:
    """The query of a SELECT (or of a `CREATE VIEW ... AS SELECT`); QueryError otherwise."""
    try:
        tree = parse_one(sql, dialect)  # refuses too deep nesting before sqlglot recurses
    except (ParseError, SqlglotError) as error:
        found = getattr(error, "errors", None) or [{}]
        reason = found[0].get("description") or str(error).splitlines()[0]
        raise QueryError(reason, found[0].get("line"), found[0].get("col")) from error
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        tree = tree.expression
    if not isinstance(tree, exp.Query):
        raise QueryError("not a query: expected SELECT ...")
    return tree


def columns_read(
    sql: str, dialect: str | None, tables: Mapping[str, Iterable[str]]
) -> set[tuple[str, str]]:
    """Every (table, column) of TABLES (resolved names -> columns) that a query reads.

    Read means anywhere: projected, filtered, joined, grouped, ordered, in a window, or
    through `*`. A query that does not resolve is a QueryError when it reads only TABLES
    (their columns are all known, so the query is wrong), else it reads every column of the
    tables it names. Table references resolve by `lineage.names`' rule (exact, else the one
    suffix match).

    >>> sorted(columns_read(
    ...     "SELECT o.id FROM shop.orders AS o WHERE amount > 0",
    ...     "postgres",
    ...     {"shop.orders": ["id", "amount", "note"]},
    ... ))
    [('shop.orders', 'amount'), ('shop.orders', 'id')]
    >>> columns_read("SELECT total FROM shop.orders", "postgres", {"shop.orders": ["id"]})
    Traceback (most recent call last):
    lineage.sql.QueryError: column total not found in shop.orders
    """
    known = {name: list(columns) for name, columns in tables.items()}
    index = NameIndex()
    index.add_all(known)
    query = parse_query(sql, dialect)
    result = analyse(
        "query",
        "consumer",
        query,
        dialect=dialect,
        resolve=lambda name: index.resolve(name) or name,
        columns_of=known.get,
    )
    if result.opaque and result.tables and result.tables <= known.keys():
        warning = result.warnings[0]
        raise QueryError(warning.reason, warning.line)
    named, whole = result.reads()
    found = {(table, column) for table, column, _ in named}
    found |= {(table, column) for table in whole for column in known.get(table, ())}
    return {(table, column) for table, column in found if column in known.get(table, ())}


def analyse(
    name: str,
    kind: str,
    query: exp.Query,
    *,
    dialect: str | None,
    resolve: Resolve,
    columns_of: ColumnsOf,
    declared: list[str] | None = None,
    origin: str | None = None,
    line: int | None = None,
) -> QueryLineage:
    """Column lineage of one query: outputs, their upstream columns, filters/joins, stars."""
    result = QueryLineage(name=name, kind=kind)
    while isinstance(query, exp.Subquery) and isinstance(query.this, exp.Query):
        query = query.this  # `CREATE VIEW v AS (SELECT ...)`, as dbt compiles models
    query = normalize_identifiers(query.copy(), dialect=dialect)
    synthetic, schema = _isolate_tables(query, resolve, columns_of)
    fold_columns(query, dialect)
    own = next((key for key, table in synthetic.items() if table == name), None)
    if own is not None and own not in schema:
        # An object that reads itself (dbt's `{{ this }}` in an incremental model, INSERT INTO
        # t ... FROM t) before its columns are known has, for this reading, those it names.
        named = {column.name for column in query.find_all(exp.Column) if not column.is_star}
        schema[own] = dict.fromkeys(sorted(named), "UNKNOWN")
    result.tables = set(synthetic.values())
    result.star_tables = _star_tables(query, synthetic)
    try:
        mapping = MappingSchema(dict(schema.items()), dialect=dialect, normalize=False)
        qualified = qualify(
            query,
            dialect=dialect,
            schema=mapping,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
        root = build_scope(qualified)
        if root is None:
            raise SqlglotError("not a query")
        unresolved = _check_columns(root, synthetic, schema)
        if unresolved:
            result.opaque = True
            result.warnings.append(
                LineageWarning(unresolved[1], origin, unresolved[0] or line, name)
            )
        _uses(root, synthetic, mapping, dialect, result)
        _projections(root, qualified, mapping, synthetic, dialect, result)
    except (SqlglotError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        result.opaque = True
        result.warnings.append(LineageWarning(f"does not resolve: {error}", origin, line, name))
    if own is not None:
        _no_self_reads(result)
    if declared:
        if result.columns and len(declared) == len(result.columns):
            result.projections = {
                new: result.projections.get(old, set())
                for new, old in zip(declared, result.columns, strict=True)
            }
        result.columns = list(declared)
    return result


def _no_self_reads(result: QueryLineage) -> None:
    """What an object reads of itself is no input of it (an incremental model's `{{ this }}`)."""
    own = result.name
    result.tables.discard(own)
    result.star_tables.discard(own)
    result.uses = {use for use in result.uses if use[0] != own}
    result.projections = {
        output: {source for source in sources if source[0] != own}
        for output, sources in result.projections.items()
    }


def _isolate_tables(
    query: exp.Expr, resolve: Resolve, columns_of: ColumnsOf
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Rename each physical table to a one-part synthetic name, so one flat schema serves all."""
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    synthetic: dict[str, str] = {}
    by_name: dict[str, str] = {}
    schema: dict[str, dict[str, str]] = {}
    for table in list(query.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier) or (not table.db and table.name in ctes):
            continue
        canonical = resolve(".".join(part.name for part in table.parts))
        key = by_name.get(canonical)
        if key is None:
            key = by_name[canonical] = f"_{len(by_name)}_"
            synthetic[key] = canonical
            known = columns_of(canonical)
            if known:
                schema[key] = dict.fromkeys(known, "UNKNOWN")
        if not table.alias:
            table.set("alias", exp.TableAlias(this=table.this.copy()))
        table.set("this", exp.to_identifier(key))
        table.set("db", None)
        table.set("catalog", None)
    return synthetic, schema


def _star_tables(query: exp.Expr, synthetic: dict[str, str]) -> set[str]:
    """Tables whose every column reaches the query's output through `SELECT *` or `t.*`.

    Such a reader sees every added or removed column. A star is followed into a CTE or a
    subquery only when that one's output is itself a star: `WITH source AS (SELECT * FROM t),
    renamed AS (SELECT id AS order_id FROM source) SELECT * FROM renamed`, as dbt staging
    models read, outputs only the columns `renamed` names, so it reads no column of `t` wide.
    """
    ctes = {cte.alias_or_name: cte.this for cte in query.find_all(exp.CTE)}
    return _output_stars(query, synthetic, ctes, frozenset())


def _output_stars(
    query: exp.Expr, synthetic: dict[str, str], ctes: dict[str, exp.Expr], seen: frozenset[str]
) -> set[str]:
    """Tables read through a star that is part of this query's (or its union branches') output."""
    while isinstance(query, exp.Subquery):
        query = query.this
    if isinstance(query, exp.SetOperation):
        return _output_stars(query.left, synthetic, ctes, seen) | _output_stars(
            query.right, synthetic, ctes, seen
        )
    if not isinstance(query, exp.Select):
        return set()
    found: set[str] = set()
    sources = [query.args.get("from_"), *(query.args.get("joins") or [])]
    for projection in query.expressions:
        if isinstance(projection, exp.Star):
            qualifier = None
        elif isinstance(projection, exp.Column) and projection.is_star:
            qualifier = projection.table
        else:
            continue
        for source in filter(None, sources):
            this = source.this
            if qualifier and this.alias_or_name != qualifier:
                continue
            if isinstance(this, exp.Subquery):
                found |= _output_stars(this, synthetic, ctes, seen)
            elif isinstance(this, exp.Table) and this.name in synthetic:
                found.add(synthetic[this.name])
            elif isinstance(this, exp.Table) and this.name in ctes and this.name not in seen:
                found |= _output_stars(ctes[this.name], synthetic, ctes, seen | {this.name})
    return found


def _source(scope: Scope, table: str) -> exp.Table | Scope | None:
    """The source a column qualifier names, looking outwards for correlated references."""
    current: Scope | None = scope
    while current is not None:
        if table in current.sources:
            source: exp.Table | Scope = current.sources[table]
            return source
        current = current.parent
    return None


def _check_columns(
    root: Scope, synthetic: dict[str, str], schema: dict[str, dict[str, str]]
) -> tuple[int | None, str] | None:
    """The first column that names no source or a column its table lacks: (line, reason)."""
    for scope in root.traverse():
        named = [key for key in scope.sources if key]
        aliases = {select.alias_or_name for select in getattr(scope.expression, "selects", [])}
        for column in scope.columns:
            line = column.this.meta.get("line") if isinstance(column.this, exp.Identifier) else None
            if not column.table:
                if len(named) != 1:
                    if column.name in aliases and _clause(column, scope) not in (None, "windowed"):
                        continue
                    return line, f"column {column.name} is ambiguous or unknown"
                column.set("table", exp.to_identifier(named[0]))
            source = _source(scope, column.table)
            if isinstance(source, Scope):
                if not _outputs(source, column.name):
                    return line, f"column {column.name} not found in {column.table}"
                continue
            if not isinstance(source, exp.Table):
                continue
            known = schema.get(source.name)
            if known is not None and column.name not in known:
                return line, f"column {column.name} not found in {synthetic[source.name]}"
    return None


def _outputs(scope: Scope, column: str) -> bool:
    """Whether a CTE or subquery outputs a column (or may: it selects `*` or is no SELECT).

    sqlglot's lineage takes a column a CTE lacks as derived from all of the CTE's outputs;
    such a query is reported as unresolved instead.
    """
    query = scope.expression
    if not isinstance(query, exp.Select | exp.SetOperation):
        return True
    return any(_is_star(select) or select.alias_or_name == column for select in query.selects)


def _leaves(
    node: Node, synthetic: dict[str, str], result: QueryLineage, dialect: str | None
) -> set[tuple[str, str]]:
    """Physical (table, column) pairs at the bottom of one lineage node; stars noted as such.

    A column asked of a `SELECT *` over a table whose columns are unknown (a dbt source that
    declares none, read as `WITH source AS (SELECT * FROM raw)`) ends in a star leaf: the
    column it stands for is the one asked of the star, so that is the column read.
    """
    found: set[tuple[str, str]] = set()
    stack: list[tuple[Node, Node | None]] = [(node, None)]
    while stack:
        leaf, parent = stack.pop()
        if isinstance(leaf.source, exp.Lateral) and isinstance(leaf.source.this, exp.Subquery):
            found |= _lateral_leaves(leaf, synthetic)
            continue
        stack += [(child, leaf) for child in leaf.downstream]
        if leaf.downstream or not isinstance(leaf.source, exp.Table):
            continue
        table = synthetic.get(leaf.source.name)
        if table is None:
            continue
        if leaf.name.endswith("*"):
            if parent is not None and _is_star(parent.expression):
                found.add((table, _leaf_column(parent.name, dialect)))
            else:
                result.star_tables.add(table)
        elif '"' in leaf.name or "`" in leaf.name or "[" in leaf.name:
            found.add((table, _leaf_column(leaf.name, dialect)))
        else:
            found.add((table, leaf.name.split(".")[1] if "." in leaf.name else leaf.name))
    return found


def _is_star(projection: exp.Expr) -> bool:
    """Whether a projection is `*` or `t.*`."""
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and projection.is_star
    )


def _leaf_column(name: str, dialect: str | None) -> str:
    """The upstream column of a quoted lineage leaf (`"o"."customer"."email"` reads customer).

    sqlglot writes leaf names in its own dialect; the query's dialect is the fallback.
    """
    for read in (None, dialect):
        try:
            parsed: exp.Expr = exp.maybe_parse(name, dialect=read)
        except SqlglotError:
            continue
        column = parsed if isinstance(parsed, exp.Column) else parsed.find(exp.Column)
        if column is not None:
            return column.name
    return name


def _lateral_leaves(node: Node, synthetic: dict[str, str]) -> set[tuple[str, str]]:
    """Physical columns behind an output of a LATERAL subquery or CROSS APPLY.

    sqlglot's lineage follows only the correlated references out of such a subquery, so
    the output's expression is read here: its columns qualified by the subquery's tables.
    """
    inner = node.source.this
    while isinstance(inner, exp.Subquery):
        inner = inner.this
    if not isinstance(inner, exp.Select):
        return set()
    wanted = node.name.rpartition(".")[2].strip('"`[]')
    tables = {
        table.alias_or_name: synthetic[table.name]
        for table in inner.find_all(exp.Table)
        if table.name in synthetic
    }
    found: set[tuple[str, str]] = set()
    for select in inner.selects:
        if select.alias_or_name != wanted:
            continue
        for column in select.find_all(exp.Column):
            table = tables.get(column.table) or (
                next(iter(tables.values())) if len(tables) == 1 else None
            )
            if table is not None:
                found.add((table, column.name))
    return found


def _clause(column: exp.Column, scope: Scope) -> str | None:
    """How a column is used in its scope, or None when it only feeds a projection."""
    node: exp.Expr | None = column
    how: str | None = None
    while node is not None and node is not scope.expression:
        parent = node.parent
        if isinstance(parent, exp.Window) and node.arg_key in ("partition_by", "order"):
            how = "windowed"
        if parent is scope.expression:
            if node.arg_key == "expressions":
                return how
            return CLAUSE_USE.get(node.arg_key or "", "read")
        node = parent
    return how


def _uses(
    root: Scope,
    synthetic: dict[str, str],
    schema: MappingSchema,
    dialect: str | None,
    result: QueryLineage,
) -> None:
    """Columns read outside projections: WHERE, JOIN ON, GROUP BY, HAVING, ORDER BY, windows."""
    for scope in root.traverse():
        for column in scope.columns:
            how = _clause(column, scope)
            if how is None or not column.table:
                continue
            source = _source(scope, column.table)
            if isinstance(source, exp.Table) and source.name in synthetic:
                result.uses.add((synthetic[source.name], column.name, how))
            elif isinstance(source, Scope):
                node = to_node(column.name, source, dialect, schema, trim_selects=False)
                for table, name in _leaves(node, synthetic, result, dialect):
                    result.uses.add((table, name, how))


def _projections(
    root: Scope,
    qualified: exp.Expr,
    schema: MappingSchema,
    synthetic: dict[str, str],
    dialect: str | None,
    result: QueryLineage,
) -> None:
    """Each output column and the upstream columns that flow into it (sqlglot's lineage)."""
    selects = qualified.selects if isinstance(qualified, exp.Query) else []
    names = [select.alias_or_name for select in selects if not select.is_star]
    if any(select.is_star for select in selects):
        for source in root.sources.values():
            if isinstance(source, exp.Table) and source.name in synthetic:
                result.star_tables.add(synthetic[source.name])
        nodes = {
            name: lineage(
                exp.column(exp.to_identifier(name, quoted=True)),
                qualified,
                schema,
                dialect=dialect,
                scope=root,
                trim_selects=False,
                copy=False,
            )
            for name in names
        }
    else:
        nodes = lineage(
            None, qualified, schema, dialect=dialect, scope=root, trim_selects=False, copy=False
        )
    result.columns = names
    result.projections = {
        name: _leaves(node, synthetic, result, dialect) for name, node in nodes.items()
    }
