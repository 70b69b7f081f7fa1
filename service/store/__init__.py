"""The store: tables, queries, migrations and the engine/session set-up (SQLite or PostgreSQL)."""
