"""Steward: schema evolution and change management for data products."""

__version__ = "0.1.0"
