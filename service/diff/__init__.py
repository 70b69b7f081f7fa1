"""The diff engine: every difference between two schemas, classified for readers and writers."""

from service.diff.model import Bump, Change, ChangeKind, ChangeSet, Verdict

__all__ = ["Bump", "Change", "ChangeKind", "ChangeSet", "Verdict"]
