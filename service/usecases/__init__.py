"""The operations the doors (API, CLI, scheduler) share; each is ONE transaction with its audit.

Functions take a Session and never commit: the caller's `Database.writing()` block does.
"""
