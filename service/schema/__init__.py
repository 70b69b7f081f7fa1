"""Schemas: the model, and readers for SQL DDL and ODCS v3 contracts."""

from service.schema.ddl import parse_ddl
from service.schema.model import Column, ColumnType, ForeignKey, Schema, Table, TypeFamily
from service.schema.names import dialect_names, resolve_dialect
from service.schema.odcs import parse_contract
from service.schema.render import render_ddl, render_type
from service.schema.sniff import is_contract, parse_schema

__all__ = [
    "Column",
    "ColumnType",
    "ForeignKey",
    "Schema",
    "Table",
    "TypeFamily",
    "dialect_names",
    "is_contract",
    "parse_contract",
    "parse_ddl",
    "parse_schema",
    "render_ddl",
    "render_type",
    "resolve_dialect",
]
