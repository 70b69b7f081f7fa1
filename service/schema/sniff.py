"""parse_schema: read a schema text as an ODCS contract or as SQL DDL, whichever it is."""

from __future__ import annotations

import re

from service.schema.ddl import parse_ddl
from service.schema.model import Schema
from service.schema.odcs import parse_contract

# A YAML (or JSON) document declaring `kind: DataContract` and an `apiVersion`.
KIND = re.compile(r"""^\s*["']?kind["']?\s*:\s*["']?DataContract\b""", re.MULTILINE)
_API = re.compile(r"""^\s*["']?apiVersion["']?\s*:""", re.MULTILINE)
_JSON_KIND = re.compile(r""""kind"\s*:\s*"DataContract\"""")


def is_contract(text: str) -> bool:
    """Whether a text looks like an ODCS data contract rather than SQL."""
    head = text[:200_000]
    return bool((KIND.search(head) and _API.search(head)) or _JSON_KIND.search(head))


def parse_schema(
    text: str,
    *,
    dialect: str | None,
    source: str | None = None,
    max_bytes: int = 1_000_000,
) -> Schema:
    """Read an ODCS v3 contract or SQL DDL (sniffed from the text) into a Schema.

    >>> parse_schema("CREATE TABLE t (a INT)", dialect="duckdb").tables[0].column_names
    ('a',)
    """
    if is_contract(text):
        return parse_contract(text, source=source, dialect=dialect, max_bytes=max_bytes)
    return parse_ddl(text, dialect, source=source, max_bytes=max_bytes)
