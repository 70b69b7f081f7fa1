"""Large request bodies read, and their answers written, in a worker process.

For `POST /diff` the two schema texts are the whole body (up to 2 MB): decoding it, checking
it against `DiffIn` (strict types, no control characters) and encoding the report cost the
API's event loop tens of milliseconds per request, time in which no other request (not
even `/health`) is answered. Here the API only moves bytes: the worker decodes, validates,
compares and encodes, under the same deadline as the comparison.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from service.api.schemas import DiffIn
from service.diff.compare import compare_report
from service.errors import StewardError


class InvalidBody(StewardError):
    """A body its model refuses, found in a worker; the API answers it as any request that
    fails validation (`details["errors"]` are pydantic's errors, without inputs)."""

    code = "invalid_input"


def _encode(data: Any) -> bytes:
    # as Starlette's JSONResponse renders
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def diff_answer(raw: bytes, max_bytes: int) -> bytes:
    """The JSON answer of `POST /diff` for its raw body: `steward diff --format json`'s
    report (InvalidBody when the body is no valid DiffIn)."""
    try:
        body = DiffIn.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise InvalidBody("the request body is not valid", errors=errors) from None
    report = compare_report(
        body.old, body.new, dialect=body.dialect, renames=body.renames or {}, max_bytes=max_bytes
    )
    return _encode(report)


def json_body(model: type[Any]) -> dict[str, Any]:
    """The OpenAPI `requestBody` of a route that reads MODEL's JSON itself (in a worker)."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
