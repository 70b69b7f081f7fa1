"""Schemas: the model, and readers for SQL DDL and ODCS v3 contracts."""

from service.schema.ddl import parse_ddl
from service.schema.model import Column, ColumnType, ForeignKey, Schema, Table, TypeFamily
from service.schema.names import dialect_names, resolve_dialect

__all__ = [
    "Column",
    "ColumnType",
    "ForeignKey",
    "Schema",
    "Table",
    "TypeFamily",
    "dialect_names",
    "parse_ddl",
    "resolve_dialect",
]
