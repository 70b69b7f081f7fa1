"""Each consumer's SQL rewritten for the NEW schema, or the lines where it breaks and why.

A consumer's query was written against OLD. It is resolved the way lineage resolves what a
query reads (`lineage.sql`: tables isolated under one-part names, sqlglot's qualify and
scopes; `lineage.names`: partial names and per-dialect folding), so every column the
consumer wrote is tied to the OLD table and column it reads. Then, on the consumer's own
tree: renamed columns and tables get their new names (a projection keeps its output name
through an alias), retyped columns are cast back to their OLD type, and `SELECT *` over a
reshaped table is expanded from OLD's columns. Removed columns and tables, and types that
do not cast back, are breaks. A rewrite is offered only after it resolves against NEW.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema

from lineage.names import NameIndex, fold_columns
from lineage.names import table_name as lineage_table_name
from lineage.sql import _isolate_tables, analyse  # one resolution of what a query reads
from lineage.statements import statements
from service.diff.model import ChangeKind
from service.errors import SchemaParseError
from service.migrate.fates import ColumnFate, TableFate
from service.migrate.model import Break, Consumer, Status
from service.migrate.spelling import cast, identifier, write
from service.schema.model import Schema
from service.schema.names import GENERIC, folds
from service.schema.render import needs_quotes

MID = "steward_mid"


@dataclass(frozen=True, slots=True)
class Names:
    """One schema's table names (resolved as lineage resolves partial names) and columns."""

    index: NameIndex
    columns: dict[str, list[str]]

    @classmethod
    def of(cls, schema: Schema) -> Names:
        """The names of SCHEMA."""
        index = NameIndex()
        index.add_all(schema.by_name)
        return cls(index, {t.name: list(t.column_names) for t in schema.tables})

    def resolve(self, name: str) -> str:
        """The table a reference means, or the reference as written."""
        return self.index.resolve(name) or name


@dataclass(frozen=True, slots=True)
class Context:
    """What rewriting needs of OLD and NEW, built once for every consumer of one change."""

    dialect: str
    fates: dict[str, TableFate]
    old: Names
    new: Names

    @property
    def lineage_dialect(self) -> str | None:
        """The dialect as lineage and sqlglot take it (None: sqlglot's default)."""
        return None if self.dialect == GENERIC else self.dialect


def context(old: Schema, new: Schema, fates: Iterable[TableFate]) -> Context:
    """The rewriting context of one change."""
    return Context(old.dialect, {f.name: f for f in fates}, Names.of(old), Names.of(new))


def rewrite(file: str, sql: str, ctx: Context) -> Consumer:
    """One consumer's SQL file rewritten for NEW, unchanged, or where it breaks.

    Raises SchemaParseError when the SQL does not parse (bad input, not a break).
    """
    try:
        found = statements(sql, ctx.lineage_dialect)
    except RecursionError as deep:
        raise SchemaParseError(
            "cannot read the consumer's SQL: it is nested too deeply", source=file
        ) from deep
    for statement in found:
        if statement.expression is None:
            error = statement.error
            detail = error.errors[0] if isinstance(error, ParseError) and error.errors else {}
            raise SchemaParseError(
                f"cannot read the consumer's SQL: {error}".splitlines()[0],
                dialect=ctx.dialect,
                line=detail.get("line"),
                column=detail.get("col"),
                source=file,
            )
    breaks: list[Break] = []
    changed = False
    written = []
    for statement in found:
        tree = statement.expression
        assert tree is not None
        query = tree.expression if isinstance(tree, exp.Create) else tree
        try:
            if isinstance(query, exp.Query):
                edit = _Rewriter(query, ctx)
                edit.run()
                breaks += edit.breaks
                changed = changed or edit.changed
                if edit.changed and not edit.breaks:
                    breaks += _verify(file, query, ctx)
            written.append(write(tree, ctx.dialect))
        except RecursionError:
            line = _line(tree)
            breaks.append(Break(line, "", "the query is nested too deeply to be rewritten"))
    if breaks:
        ordered = sorted(breaks, key=lambda b: (b.line or 0, b.column))
        return Consumer(file, Status.BREAKS, None, tuple(ordered))
    if not changed:
        return Consumer(file, Status.UNCHANGED)
    text = ";\n\n".join(written) + (";" if sql.rstrip().endswith(";") else "")
    return Consumer(file, Status.REWRITTEN, text)


def _verify(file: str, query: exp.Query, ctx: Context) -> list[Break]:
    """The rewritten query qualified against NEW: every column it reads must exist there."""
    checked = analyse(
        file,
        "query",
        query,
        dialect=ctx.lineage_dialect,
        resolve=ctx.new.resolve,
        columns_of=ctx.new.columns.get,
    )
    # A column lineage cannot place (unqualified beside a table of another product) is not
    # one the rewrite touched; a column NEW lacks, or SQL that does not qualify, is.
    return [
        Break(w.line, "", f"the rewritten SQL does not resolve against the new schema: {w.reason}")
        for w in checked.warnings
        if checked.opaque and not w.reason.endswith("is ambiguous or unknown")
    ]


def _line(node: exp.Expr) -> int | None:
    for part in (node, *node.find_all(exp.Identifier)):
        line = part.meta.get("line")
        if isinstance(line, int):
            return line
    return None


def _lookup(scope: Scope, name: str) -> exp.Table | Scope | None:
    current: Scope | None = scope
    while current is not None:
        if name in current.sources:
            source: exp.Table | Scope = current.sources[name]
            return source
        current = current.parent
    return None


class _Rewriter:
    """Rewrites one query in place: names, casts, stars; collects the breaks."""

    def __init__(self, query: exp.Query, ctx: Context) -> None:
        self.query = query
        self.ctx = ctx
        self.dialect = ctx.dialect
        self.folds = folds(ctx.dialect)
        self.breaks: list[Break] = []
        self.changed = False

    def table_of(self, table: exp.Table, ctes: set[str]) -> TableFate | None:
        if not isinstance(table.this, exp.Identifier) or (not table.db and table.name in ctes):
            return None
        name = self.ctx.old.resolve(lineage_table_name(table, self.ctx.lineage_dialect))
        return self.ctx.fates.get(name)

    def run(self) -> None:
        ctes = {cte.alias_or_name for cte in self.query.find_all(exp.CTE)}
        tables = {
            id(t): fate for t in self.query.find_all(exp.Table) if (fate := self.table_of(t, ctes))
        }
        if not tables:
            return
        self.expand_stars(tables)
        reads = self.reads()
        for column in list(self.query.find_all(exp.Column)):
            read = reads.get(column.meta.pop(MID, None))
            if read is not None:
                self.column(column, *read)
        for table in list(self.query.find_all(exp.Table)):
            fate = tables.get(id(table))
            if fate is not None:
                self.table(table, fate)

    def expand_stars(self, tables: dict[int, TableFate]) -> None:
        """`SELECT *` (or `t.*`) over a reshaped or renamed table: OLD's columns, written out."""
        for select in list(self.query.find_all(exp.Select)):
            sources = [
                s.this for s in (select.args.get("from_"), *(select.args.get("joins") or [])) if s
            ]
            projections: list[exp.Expr] = []
            expanded = False
            for projection in select.expressions:
                qualifier = projection.table if isinstance(projection, exp.Column) else None
                if not projection.is_star:
                    projections.append(projection)
                    continue
                for source in sources:
                    if qualifier and source.alias_or_name != qualifier:
                        continue
                    fate = tables.get(id(source)) if isinstance(source, exp.Table) else None
                    name = source.args["alias"].this if source.alias else source.this
                    named = isinstance(name, exp.Identifier) and (len(sources) > 1 or qualifier)
                    prefix = name.copy() if named else None
                    if fate is None or not (fate.star_changed or fate.new is None):
                        projections.append(exp.Column(this=exp.Star(), table=prefix))
                        continue
                    expanded = True
                    for col in fate.old.columns:
                        ident = identifier(col.name, self.dialect)
                        ident.meta["line"] = _line(projection)
                        projections.append(exp.Column(this=ident, table=prefix and prefix.copy()))
            if expanded:
                select.set("expressions", projections)
                self.changed = True

    def reads(self) -> dict[int, tuple[TableFate, ColumnFate]]:
        """For each column node of the consumer's tree, the OLD table and column it reads."""
        columns = list(self.query.find_all(exp.Column))
        for i, column in enumerate(columns):
            column.meta[MID] = i
        copy = normalize_identifiers(self.query.copy(), dialect=self.ctx.lineage_dialect)
        synthetic, schema = _isolate_tables(copy, self.ctx.old.resolve, self.ctx.old.columns.get)
        fold_columns(copy, self.ctx.lineage_dialect)
        found: dict[int, tuple[TableFate, ColumnFate]] = {}
        try:
            mapping = MappingSchema(
                dict(schema.items()), dialect=self.ctx.lineage_dialect, normalize=False
            )
            qualified = qualify(
                copy,
                dialect=self.ctx.lineage_dialect,
                schema=mapping,
                validate_qualify_columns=False,
                identify=False,
                quote_identifiers=False,
            )
            root = build_scope(qualified)
        except (SqlglotError, ValueError, KeyError) as error:
            self.breaks.append(Break(_line(self.query), "", f"does not resolve: {error}"))
            return found
        for scope in root.traverse() if root else ():
            for column in scope.columns:
                mid = column.meta.get(MID)
                source = _lookup(scope, column.table) if column.table else None
                if mid is None or not isinstance(source, exp.Table):
                    continue
                fate = self.ctx.fates.get(synthetic.get(source.name, ""))
                read = fate.column(column.name) if fate else None
                if fate is not None and read is not None:
                    found[mid] = (fate, read)
        return found

    def spell(self, name: str, written: exp.Identifier, *, table: bool = False) -> exp.Identifier:
        """NEW's name written as the consumer wrote the old one (case, quotes) where it can."""
        fold = self.folds[1 if table else 0]
        if written.args.get("quoted"):
            return exp.to_identifier(name, quoted=True)  # a resolved name, quoted, is itself
        if not needs_quotes(name, self.dialect, table):
            text = str(written.this)
            candidate = name.upper() if text.isupper() else name.lower() if text.islower() else name
            if text[:1].isupper() and text[1:].islower():
                candidate = name.capitalize()
            if fold(candidate, False) == name:
                return exp.to_identifier(candidate)
        return identifier(name, self.dialect, table=table)

    def column(self, column: exp.Column, fate: TableFate, read: ColumnFate) -> None:
        written = column.sql(dialect=self.ctx.lineage_dialect, copy=False)
        line = _line(column)
        if fate.new is None:
            reason = fate.removal.reason if fate.removal else f"table {fate.name} was removed"
            self.breaks.append(Break(line, written, reason))
            return
        if read.new is None:
            reason = read.removal.reason if read.removal else f"column {read.old.name} was removed"
            self.breaks.append(Break(line, written, reason))
            return
        change = read.type_change
        recast = change is not None and change.kind is ChangeKind.COLUMN_TYPE_CHANGED
        if recast and not read.castable:
            assert change is not None
            self.breaks.append(
                Break(line, written, f"{change.reason} No cast gives back the old values.")
            )
            return
        if not read.renamed and not recast:
            return
        original = column.this.copy()
        if read.renamed:
            column.set("this", self.spell(read.new.name, column.this))
        node: exp.Expr = column
        if recast:
            node = cast(column.copy(), read.old.type, self.dialect)
            column.replace(node)
        if node.arg_key == "expressions" and isinstance(node.parent, exp.Select):
            node.replace(exp.alias_(node.copy(), original))
        self.changed = True

    def table(self, table: exp.Table, fate: TableFate) -> None:
        if not fate.renamed or fate.new is None:
            return
        if not table.alias:
            table.set("alias", exp.TableAlias(this=table.this.copy()))
        keys = ("catalog", "db", "this")
        written = [table.args.get(k) for k in keys]
        parts = fate.new.name.split(".")
        for key in keys:
            table.set(key, None)
        for key, part, before in zip(
            keys[-len(parts) :], parts, written[-len(parts) :], strict=True
        ):
            if isinstance(before, exp.Identifier):
                table.set(key, self.spell(part, before, table=True))
            else:
                table.set(key, identifier(part, self.dialect, table=True))
        self.changed = True
