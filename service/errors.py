"""The few named errors of Steward's core; the doors (API, CLI) render them."""

from __future__ import annotations

from typing import Any


class StewardError(Exception):
    """Base of every error Steward raises on purpose; carries a code and details."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt with its details when it crosses from a worker process back to the API.
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[StewardError], message: str, details: dict[str, Any]) -> StewardError:
    return cls(message, **details)


class SchemaParseError(StewardError):
    """A schema (DDL or contract) that cannot be read; names dialect, line, column, snippet."""

    code = "schema_parse_error"

    def __init__(
        self,
        message: str,
        *,
        dialect: str | None = None,
        line: int | None = None,
        column: int | None = None,
        snippet: str | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(
            message, dialect=dialect, line=line, column=column, snippet=snippet, source=source
        )
        self.dialect = dialect
        self.line = line
        self.column = column
        self.snippet = snippet
        self.source = source

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.source, self.line, self.column) if p is not None)
        prefix = f"{where}: " if where else ""
        dialect = f" [dialect {self.dialect}]" if self.dialect else ""
        snippet = f"\n  {self.snippet}" if self.snippet else ""
        return f"{prefix}{self.message}{dialect}{snippet}"


class InvalidInput(StewardError):
    """A request whose values are well-formed but not acceptable (422)."""

    code = "invalid_input"


class InvalidTransition(StewardError):
    """A change request action that its current state does not allow (409)."""

    code = "invalid_transition"


class NotAuthorized(StewardError):
    """The caller may not do this (403)."""

    code = "forbidden"


class NotAuthenticated(StewardError):
    """No valid credentials were given (401)."""

    code = "unauthenticated"


class NotFound(StewardError):
    """The named thing does not exist (404)."""

    code = "not_found"


class Conflict(StewardError):
    """The request conflicts with the current state, e.g. a name already taken (409)."""

    code = "conflict"


class Gone(StewardError):
    """The thing existed and is retired for good, e.g. a version after its sunset (410)."""

    code = "gone"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None, **details: Any):
        super().__init__(message, **details)
        self.headers = dict(headers or {})


class DeadlineExceeded(StewardError):
    """Work on an input that did not finish within the deadline, or crashed its worker (422)."""

    code = "deadline_exceeded"
