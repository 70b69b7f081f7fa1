"""OpenLineage run events into the lineage graph: datasets, schema and columnLineage facets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from lineage.model import Contact
from lineage.names import column_name, table_name

if TYPE_CHECKING:
    from lineage.graph import LineageGraph

#: columnLineage transformation subtypes -> how the column is used.
SUBTYPE_USE = {
    "FILTER": "filtered",
    "JOIN": "joined",
    "GROUP_BY": "grouped",
    "SORT": "ordered",
    "WINDOW": "windowed",
    "CONDITIONAL": "filtered",
}


#: OpenLineage dataset namespace schemes (naming spec) -> the sqlglot dialect that names them.
NAMESPACE_DIALECTS = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "snowflake": "snowflake",
    "bigquery": "bigquery",
    "mysql": "mysql",
    "redshift": "redshift",
    "trino": "trino",
    "presto": "presto",
    "sqlserver": "tsql",
    "mssql": "tsql",
    "oracle": "oracle",
    "databricks": "databricks",
    "hive": "hive",
    "spark": "spark",
    "duckdb": "duckdb",
    "teradata": "teradata",
    "clickhouse": "clickhouse",
    "athena": "athena",
}


def dataset_dialect(dataset: Mapping[str, Any], default: str | None) -> str | None:
    """The dialect a dataset's name is written in: its namespace's scheme (``postgres://h:5432``
    is Postgres), else DEFAULT. Each dataset keeps its own, whatever came before it."""
    namespace = str(dataset.get("namespace") or "").strip().lower()
    scheme = namespace.split("://", 1)[0] if namespace else ""
    return NAMESPACE_DIALECTS.get(scheme, default)


def _name(dataset: Mapping[str, Any], dialect: str | None) -> str:
    """The resolved name of a dataset (its `name`; the namespace says where, not what)."""
    return table_name(str(dataset["name"]), dialect)


def _schema(dataset: Mapping[str, Any], dialect: str | None) -> dict[str, str] | None:
    """Top-level fields of the dataset's schema facet, if it has one."""
    facet = (dataset.get("facets") or {}).get("schema")
    if not facet:
        return None
    return {
        column_name(str(field["name"]), dialect): str(field.get("type") or "")
        for field in facet.get("fields", [])
    }


def _how(input_field: Mapping[str, Any]) -> str:
    """`projected` for a DIRECT transformation (or none given), else the INDIRECT subtype's use."""
    transformations = input_field.get("transformations") or []
    if not transformations:
        return "projected"
    for transformation in transformations:
        if str(transformation.get("type", "")).upper() == "DIRECT":
            return "projected"
    subtype = str(transformations[0].get("subtype", "")).upper()
    return SUBTYPE_USE.get(subtype, "read")


def job_contacts(job: Mapping[str, Any]) -> tuple[Contact, ...]:
    """The owners a job declares in its `ownership` facet (``{"owners": [{"name", "type"}]}``).

    An owner's name may carry a scheme (``user:``, ``team:``, ``mailto:``); when what follows
    is an email address it is the contact's email, else the contact has only a name.

    >>> job_contacts({"facets": {"ownership": {"owners": [{"name": "user:ada@example.com"}]}}})
    (Contact(email='ada@example.com', name='user:ada@example.com', role='job owner'),)
    """
    facet = (job.get("facets") or {}).get("ownership") or {}
    found = []
    for owner in facet.get("owners") or []:
        name = str(owner.get("name") or "").strip() if isinstance(owner, Mapping) else ""
        if not name:
            continue
        bare = name.rsplit(":", 1)[-1].strip()
        email = bare if _EMAIL.fullmatch(bare) else None
        found.append(Contact(email, name, "job owner"))
    return tuple(found)


_EMAIL = re.compile(r"[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+")


def _job_name(job: Mapping[str, Any]) -> str | None:
    """``namespace/name`` of a job (None when it has neither)."""
    return f"{job.get('namespace', '')}/{job.get('name', '')}".strip("/") or None


def ingest_event(graph: LineageGraph, event: Mapping[str, Any]) -> None:
    """Add an event's inputs (with schemas) and outputs (with column lineage when given).

    A job that writes no dataset is itself the reader of its inputs (every column of them).
    """
    job = event.get("job") or {}
    inputs = []
    for dataset in event.get("inputs") or []:
        dialect = dataset_dialect(dataset, graph.dialect)
        name = graph.resolve(_name(dataset, dialect))
        inputs.append(name)
        schema = _schema(dataset, dialect)
        if schema is not None and not graph.columns_of(name):
            graph.add_table(name, schema)
        else:
            graph._ensure(name)
    outputs = event.get("outputs") or []
    for dataset in outputs:
        _add_output(graph, dataset, inputs, job)
    reader = _job_name(job)
    if not outputs and inputs and reader:
        graph.add_object(
            reader, "job", [], star_tables=inputs, job=reader, contacts=job_contacts(job)
        )


def _add_output(
    graph: LineageGraph, dataset: Mapping[str, Any], inputs: list[str], job: Mapping[str, Any]
) -> None:
    """One output dataset; without a columnLineage facet it is kept at table level."""
    dialect = dataset_dialect(dataset, graph.dialect)
    name = graph.resolve(_name(dataset, dialect))
    facets = dataset.get("facets") or {}
    lineage_facet = facets.get("columnLineage")
    schema = _schema(dataset, dialect)
    projections: dict[str, set[tuple[str, str]]] = {}
    uses: set[tuple[str, str, str]] = set()
    fields: Mapping[str, Any] = (lineage_facet or {}).get("fields") or {}
    for output, spec in fields.items():
        target = projections.setdefault(column_name(output, dialect), set())
        for field in spec.get("inputFields") or []:
            field_dialect = dataset_dialect(field, dialect)
            source = (
                graph.resolve(_name(field, field_dialect)),
                column_name(str(field["field"]), field_dialect),
            )
            how = _how(field)
            if how == "projected":
                target.add(source)
            else:
                uses.add((*source, how))
    for field in (lineage_facet or {}).get("dataset") or []:
        field_dialect = dataset_dialect(field, dialect)
        source = (
            graph.resolve(_name(field, field_dialect)),
            column_name(str(field["field"]), field_dialect),
        )
        uses.add((*source, _how(field)))
    columns = list(schema) if schema is not None else list(projections) or None
    graph.add_object(
        name,
        "table",
        columns,
        projections=projections,
        uses=uses,
        tables=inputs,
        opaque=lineage_facet is None,
        job=_job_name(job),
        contacts=job_contacts(job),
    )
