"""Column-level lineage and impact analysis over plain table -> column -> type mappings."""
