"""Schemas: the model, and readers for SQL DDL and ODCS v3 contracts."""

from service.schema.model import Column, ColumnType, ForeignKey, Schema, Table, TypeFamily

__all__ = ["Column", "ColumnType", "ForeignKey", "Schema", "Table", "TypeFamily"]
