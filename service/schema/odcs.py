"""parse_contract: read an ODCS v3 data contract (YAML) into a Schema.

The contract is validated against the official ODCS JSON schema, vendored beside this
module (`odcs-json-schema-v3.2.0.json`, as shipped by the MIT-licensed PyPI package
`open-data-contract-standard` 3.2.0; its `apiVersion` enum accepts v3.0.0 to v3.2.0).
Validation runs on jsonschema-rs (compiled once per process, about a microsecond per
property); only a contract it refuses is validated again by `jsonschema`, whose
`best_match` names the most relevant error. Neither, nor YAML, is imported until a
contract is read, so a DDL-only `steward diff` does not pay for them.
Each `schema` object is a table; each property a column. A `physicalType` is read with the
dialect's canonical type table (the `dialect` argument, else the first SQL server's type);
a `logicalType` alone maps to a type family. Plain names (`order_id`) resolve like unquoted
identifiers of the dialect; other names are kept as written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from service.errors import SchemaParseError
from service.schema.canonical import TypeReader, reader_for
from service.schema.contract_yaml import contract_loader
from service.schema.model import Column, ColumnType, ForeignKey, Schema, Table, TypeFamily
from service.schema.names import GENERIC, Fold, folds, resolve_dialect, sqlglot_dialect
from service.schema.odcs_terms import (
    enum_values,
    quality_rules,
    service_levels,
    value_constraints,
)
from service.schema.tokens import build_type

if TYPE_CHECKING:
    import jsonschema
    import jsonschema_rs

SCHEMA_FILE = "odcs-json-schema-v3.2.0.json"
MAX_NODES = 200_000
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")

# ODCS server `type` -> sqlglot dialect.
SERVER_DIALECTS = {
    "athena": "athena",
    "bigquery": "bigquery",
    "clickhouse": "clickhouse",
    "databricks": "databricks",
    "dremio": "dremio",
    "duckdb": "duckdb",
    "exasol": "exasol",
    "hive": "hive",
    "mysql": "mysql",
    "oracle": "oracle",
    "postgres": "postgres",
    "postgresql": "postgres",
    "presto": "presto",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "sqlserver": "tsql",
    "synapse": "tsql",
    "teradata": "teradata",
    "trino": "trino",
}

# ODCS logicalType -> (canonical name, family) when no physicalType says more.
LOGICAL_TYPES = {
    "string": ("VARCHAR", TypeFamily.STRING),
    "date": ("DATE", TypeFamily.DATE),
    "timestamp": ("TIMESTAMP", TypeFamily.TIMESTAMP),
    "time": ("TIME", TypeFamily.TIME),
    "number": ("DECIMAL", TypeFamily.DECIMAL),
    "integer": ("BIGINT", TypeFamily.INTEGER),
    "boolean": ("BOOLEAN", TypeFamily.BOOLEAN),
    "object": ("STRUCT", TypeFamily.STRUCT),
    "array": ("ARRAY", TypeFamily.ARRAY),
    "map": ("MAP", TypeFamily.MAP),
}


def _require_logical_type(schema: dict[str, Any]) -> None:
    # The 3.2.0 schema's `if: {properties: {logicalType: {const: map}}}` clauses lack
    # `required: [logicalType]`, so a property without a logicalType (optional in ODCS)
    # matched every clause and had to carry a `map`. Require the key in each `if`.
    for clause in schema["$defs"]["SchemaBaseProperty"].get("allOf", ()):
        condition = clause.get("if")
        if isinstance(condition, dict):
            condition.setdefault("required", ["logicalType"])


@cache
def _odcs_schema() -> dict[str, Any]:
    text = resources.files("service.schema").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    _require_logical_type(schema)
    return schema


#: the keywords of a subschema that evaluate no property of the object they apply to
_INERT = frozenset({"type", "description", "required", "title", "$comment"})


def _evaluated(subschema: dict[str, Any]) -> set[str] | None:
    """The property names a passing `if` subschema marks evaluated, or None when unknown."""
    if set(subschema) - _INERT - {"properties", "anyOf"}:
        return None
    found = set(subschema.get("properties", {}))
    for branch in subschema.get("anyOf", ()):
        names = _evaluated(branch)
        if names is None:
            return None
        found |= names
    return found


def _names_for_unevaluated(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """The schema with a definition's `unevaluatedProperties: false` restated as names.

    ODCS 3.2.0's `SchemaBaseProperty` (every property of every schema object) closes itself
    with `unevaluatedProperties: false` over its `properties`, a `$ref` to `SchemaElement`
    and one `if`/`then` per logicalType; jsonschema-rs pays about 4 microseconds a property
    collecting those annotations. The same verdict, read off the schema: a key is allowed
    when some subschema always evaluates it (listed in `propertyNames`), and a key only a
    `then` evaluates is allowed when one of those clauses' `if` holds. The parents that
    `$ref` the definition and close themselves too are then closed already (every key of a
    valid instance is evaluated by the reference) and drop their own. Anything in the
    definition this reading does not cover leaves the schema as it is (slower, same verdict).
    The schema given is not changed (the new one shares what it does not change), so
    `jsonschema`, which names the error of a refused contract, reads it as published.
    """
    defs = dict(schema["$defs"])
    base = defs[name]
    if base.get("unevaluatedProperties") is not False or set(base) - _INERT - {
        "properties",
        "allOf",
        "unevaluatedProperties",
    }:
        return schema
    always = set(base.get("properties", {}))
    clauses: list[tuple[dict[str, Any], set[str]]] = []
    for clause in base.get("allOf", ()):
        ref = clause.get("$ref", "")
        if set(clause) == {"$ref"} and ref.startswith("#/$defs/") and ref[8:] in defs:
            target = defs[ref[8:]]
            if set(target) - _INERT - {"properties"}:
                return schema
            always |= set(target.get("properties", {}))
        elif set(clause) == {"if", "then"} and not set(clause["then"]) - _INERT - {"properties"}:
            evaluated = _evaluated(clause["if"])
            if evaluated is None:
                return schema
            clauses.append((clause["if"], evaluated | set(clause["then"].get("properties", {}))))
        else:
            return schema
    sometimes: dict[str, list[dict[str, Any]]] = {}
    for condition, names in clauses:
        for key in sorted(names - always):
            sometimes.setdefault(key, []).append(condition)
    closed = {k: v for k, v in base.items() if k != "unevaluatedProperties"}
    closed["propertyNames"] = {"enum": sorted(always | set(sometimes))}
    closed["allOf"] = [
        *base.get("allOf", ()),
        *({"anyOf": [{"not": {"required": [key]}}, *ifs]} for key, ifs in sometimes.items()),
    ]
    defs[name] = closed
    for key, parent in defs.items():
        if parent.get("$ref") == f"#/$defs/{name}" and parent.get("unevaluatedProperties") is False:
            defs[key] = {k: v for k, v in parent.items() if k != "unevaluatedProperties"}
    return {**schema, "$defs": defs}


@cache
def _fast_validator() -> jsonschema_rs.Draft201909Validator:
    import jsonschema_rs

    schema = _names_for_unevaluated(_odcs_schema(), "SchemaBaseProperty")
    # Formats are annotations in draft 2019-09, as `jsonschema` treats them by default.
    return jsonschema_rs.Draft201909Validator(schema, validate_formats=False)


@cache
def _validator() -> jsonschema.Draft201909Validator:
    import jsonschema

    return jsonschema.Draft201909Validator(_odcs_schema())


def contract_error(data: dict[str, Any]) -> jsonschema.ValidationError | None:
    """The most relevant way `data` breaks the ODCS v3 schema, or None when it is valid."""
    try:
        if _fast_validator().is_valid(data):
            return None
    except ValueError:  # a value JSON has no form for (a YAML integer key): ask jsonschema
        pass
    from jsonschema.exceptions import best_match

    found: jsonschema.ValidationError | None = best_match(_validator().iter_errors(data))
    return found


def _count_nodes(data: Any, limit: int) -> int:
    # YAML aliases share nodes, so a small document can stand for a huge tree ("billion
    # laughs"); count what validation would walk, and stop early.
    seen, stack = 0, [data]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            break
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return seen


def load_contract(
    text: str, *, source: str | None = None, max_bytes: int = 1_000_000
) -> dict[str, Any]:
    """The contract's YAML as a dict, validated against the ODCS v3 JSON schema."""
    if len(text) > max_bytes or len(text.encode("utf-8", "replace")) > max_bytes:
        raise SchemaParseError(
            f"input is larger than the {max_bytes:,} bytes allowed", source=source
        )
    import yaml

    try:
        data = yaml.load(text, Loader=contract_loader())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        line = mark.line + 1 if mark is not None else None
        snippet = (
            text.splitlines()[line - 1].strip() if line and line <= len(text.splitlines()) else None
        )
        raise SchemaParseError(
            f"invalid YAML: {problem}",
            line=line,
            column=mark.column + 1 if mark is not None else None,
            snippet=snippet,
            source=source,
        ) from e
    except RecursionError as e:
        raise SchemaParseError("the YAML nests too deeply to be read", source=source) from e
    if not isinstance(data, dict):
        raise SchemaParseError("an ODCS contract must be a YAML mapping", source=source)
    if _count_nodes(data, MAX_NODES) > MAX_NODES:
        raise SchemaParseError(
            f"the contract expands to more than {MAX_NODES:,} values (YAML aliases?)", source=source
        )
    try:
        error = contract_error(data)
    except RecursionError as e:
        raise SchemaParseError("the contract nests too deeply to be read", source=source) from e
    if error is not None:
        raise SchemaParseError(
            f"not a valid ODCS v3 contract at {error.json_path}: {error.message}", source=source
        )
    return data


def _contract_dialect(data: dict[str, Any], dialect: str | None) -> str:
    if dialect:
        return resolve_dialect(dialect)
    for server in data.get("servers") or ():
        found = SERVER_DIALECTS.get(str(server.get("type", "")).lower())
        if found:
            return found
    return GENERIC


def parse_contract(
    text: str,
    *,
    source: str | None = None,
    dialect: str | None = None,
    max_bytes: int = 1_000_000,
) -> Schema:
    """Read an ODCS v3 data contract (YAML) into a Schema; each schema object is a table.

    >>> contract = '''
    ... apiVersion: v3.0.2
    ... kind: DataContract
    ... id: orders
    ... version: 1.0.0
    ... status: active
    ... servers: [{server: prod, type: postgresql, host: db, port: 5432, database: shop, schema: public}]
    ... schema:
    ...   - name: orders
    ...     properties:
    ...       - {name: order_id, physicalType: int4, primaryKey: true}
    ...       - {name: note, logicalType: string, description: Free text}
    ... '''
    >>> s = parse_contract(contract)
    >>> s.dialect, s.tables[0].primary_key, [str(c.type) for c in s.tables[0].columns]
    ('postgres', ('order_id',), ['INT', 'string'])
    """
    data = load_contract(text, source=source, max_bytes=max_bytes)
    name = _contract_dialect(data, dialect)
    reader = _ContractReader(name, reader_for(name, folds(name)[0]), source)
    tables: dict[str, Table] = {}
    by_object: dict[str, str] = {}
    for obj in data.get("schema") or ():
        table = reader.table(obj)
        if table.name in tables:
            raise SchemaParseError(f"schema object {table.name} appears twice", source=source)
        tables[table.name] = table
        for alias in (obj["name"], obj.get("physicalName")):
            if alias:
                by_object[str(alias)] = table.name
    if not tables:
        raise SchemaParseError("the contract declares no schema objects", source=source)

    def element(text: str) -> tuple[str, str | None] | None:
        # An SLA `element` names a schema object, or an object and one of its properties.
        if text in by_object:
            return by_object[text], None
        obj, _, prop = text.strip().rpartition(".")
        table = tables.get(by_object.get(obj, ""))
        column = reader.fold(prop, not PLAIN.fullmatch(prop)) if table else None
        if table is None or table.column(column or "") is None:
            return None
        return table.name, column

    slas = service_levels(data, list(tables), element)
    return Schema(dialect=name, tables=tuple(replace(t, slas=slas[n]) for n, t in tables.items()))


@dataclass
class _ContractReader:
    """Reads the schema objects of one contract in one dialect."""

    dialect: str
    types: TypeReader
    source: str | None
    fold: Fold = field(init=False)
    table_fold: Fold = field(init=False)
    # physicalType text -> its canonical type: a contract repeats a few spellings many times
    physical: dict[str, ColumnType | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.fold, self.table_fold = folds(self.dialect)

    def _name(self, obj: dict[str, Any], table: bool = False) -> str:
        raw = str(obj.get("physicalName") or obj["name"])
        if not table:
            return self.fold(raw, not PLAIN.fullmatch(raw))
        return ".".join(self.table_fold(p, not PLAIN.fullmatch(p)) for p in raw.split("."))

    def table(self, obj: dict[str, Any]) -> Table:
        """One ODCS schema object as a Table."""
        name = self._name(obj, table=True)
        columns: list[Column] = []
        keys: list[tuple[int, int, str]] = []
        partitions: list[tuple[int, int, str]] = []
        uniques: set[tuple[str, ...]] = set()
        fks: set[ForeignKey] = set()
        seen: set[str] = set()
        for i, prop in enumerate(obj.get("properties") or ()):
            col = self._name(prop)
            if col in seen:
                raise SchemaParseError(
                    f"property {col} appears twice in {name}", source=self.source
                )
            seen.add(col)
            if prop.get("primaryKey"):
                keys.append((int(prop.get("primaryKeyPosition", -1)), i, col))
            if prop.get("partitioned"):
                partitions.append((int(prop.get("partitionKeyPosition", -1)), i, col))
            if prop.get("unique"):
                uniques.add((col,))
            if "relationships" in prop:
                fks.update(self._relationships(col, prop))
            quality = value_constraints(prop) if "logicalTypeOptions" in prop else ()
            if "quality" in prop:
                quality += quality_rules(prop["quality"])
            columns.append(
                Column(
                    name=col,
                    type=self.type_of(prop),
                    nullable=not prop.get("required", False),
                    comment=prop.get("description"),
                    position=i,
                    enum=enum_values(prop) if "enum" in prop else (),
                    deprecated=bool(prop.get("deprecated")),
                    quality=quality,
                )
            )
        fks.update(self._table_relationships(obj))
        pk = {k[2] for k in keys}
        columns = [c if c.name not in pk else _not_null(c) for c in columns]
        return Table(
            name=name,
            columns=tuple(columns),
            primary_key=tuple(k[2] for k in sorted(keys, key=_position_order)),
            uniques=frozenset(uniques),
            foreign_keys=frozenset(fks),
            comment=obj.get("description"),
            partition_by=tuple(p[2] for p in sorted(partitions, key=_position_order)),
            deprecated=bool(obj.get("deprecated")),
            quality=quality_rules(obj.get("quality")),
        )

    def _part(self, name: str, table: bool = False) -> str:
        return (self.table_fold if table else self.fold)(name, not PLAIN.fullmatch(name))

    def _relationships(self, col: str, prop: dict[str, Any]) -> set[ForeignKey]:
        """Foreign keys of a property's `relationships` (shorthand `table.column` targets)."""
        found = set()
        for rel in prop.get("relationships") or ():
            fk = self._foreign_key((col,), rel.get("to"))
            if fk is not None:
                found.add(fk)
        return found

    def _table_relationships(self, obj: dict[str, Any]) -> set[ForeignKey]:
        """Foreign keys of a schema object's `relationships` (`from` and `to`, composite too)."""
        found = set()
        for rel in obj.get("relationships") or ():
            source = rel.get("from")
            sources = [source] if isinstance(source, str) else source
            if not isinstance(sources, list) or not all(
                isinstance(x, str) and "." in x and "/" not in x for x in sources
            ):
                continue  # fully qualified (id-based) references are not resolved here
            fk = self._foreign_key(
                tuple(self._part(x.rsplit(".", 1)[1]) for x in sources), rel.get("to")
            )
            if fk is not None:
                found.add(fk)
        return found

    def _foreign_key(self, columns: tuple[str, ...], target: Any) -> ForeignKey | None:
        targets = [target] if isinstance(target, str) else target
        if not isinstance(targets, list) or len(targets) != len(columns):
            return None
        if not all(isinstance(t, str) and "." in t and "/" not in t for t in targets):
            return None  # fully qualified (id-based) references are not resolved here
        tables = {t.rsplit(".", 1)[0] for t in targets}
        if len(tables) != 1:
            return None
        ref_table = ".".join(self._part(p, table=True) for p in tables.pop().split("."))
        return ForeignKey(
            columns, ref_table, tuple(self._part(t.rsplit(".", 1)[1]) for t in targets)
        )

    def type_of(self, prop: dict[str, Any]) -> ColumnType:
        """The canonical type of a property: physicalType if readable, else its logicalType."""
        physical = prop.get("physicalType")
        if physical:
            text = str(physical)
            if text not in self.physical:
                self.physical[text] = self._physical(text)
            found = self.physical[text]
            if found is not None:
                return found
        return self._logical(prop, physical)

    def _physical(self, text: str) -> ColumnType | None:
        """The canonical type a physicalType spells, or None when it reads as no known type."""
        try:
            dt = build_type(text, self.dialect, sqlglot_dialect(self.dialect))
        except (ParseError, TokenError, ValueError):
            return None
        if dt.this is exp.DataType.Type.USERDEFINED:
            return None
        return self.types.read(dt)

    def _logical(self, prop: dict[str, Any], physical: Any) -> ColumnType:
        logical = prop.get("logicalType")
        options = prop.get("logicalTypeOptions") or {}
        if logical not in LOGICAL_TYPES:
            text = str(physical or logical or "")
            return ColumnType(name=text.upper(), family=TypeFamily.OTHER, sql=text)
        name, family = LOGICAL_TYPES[logical]
        bits = None
        fmt = str(options.get("format", ""))
        if logical == "integer" and re.fullmatch(r"[iu]\d+", fmt):
            bits = int(fmt[1:])
        if logical == "number" and fmt in ("f32", "f64"):
            name, family, bits = ("REAL" if fmt == "f32" else "DOUBLE"), TypeFamily.FLOAT, None
        if logical == "timestamp" and options.get("timezone"):
            name, family = "TIMESTAMPTZ", TypeFamily.TIMESTAMP_TZ
        args: tuple[ColumnType, ...] = ()
        fields: tuple[tuple[str, ColumnType], ...] = ()
        if logical == "array" and isinstance(prop.get("items"), dict):
            args = (self.type_of(prop["items"]),)
        if logical == "object":
            fields = tuple((self._name(p), self.type_of(p)) for p in prop.get("properties") or ())
        return ColumnType(
            name=name,
            family=family,
            length=options.get("maxLength") if logical == "string" else None,
            precision=(32 if fmt == "f32" else 64) if family is TypeFamily.FLOAT else None,
            bits=bits,
            unsigned=fmt.startswith("u") and bits is not None,
            args=args,
            fields=fields,
            sql=str(physical or logical),
            logical=str(logical),
        )


def _position_order(key: tuple[int, int, str]) -> tuple[int, int]:
    position, index, _ = key
    return (position if position >= 0 else 1_000_000, index)


def _not_null(col: Column) -> Column:
    return replace(col, nullable=False)
