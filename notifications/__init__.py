"""Rendering and delivering notices by email and webhook."""
