"""Alembic migrations of the store (run with `service.store.db.migrate`)."""
