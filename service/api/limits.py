"""Request bodies bounded while they stream in (413 before any route or token is looked at),
and `Content-Encoding: gzip` bodies decompressed under the same bound (a gzip bomb is a 413)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ErrorResponse = Callable[[int, str, str, dict[str, Any] | None], Any]
ENCODINGS = ("identity", "gzip")


class BodyLimit:
    """ASGI middleware: at most `default` bytes per request body (`per_path` overrides by path),
    counted as received and, for gzip bodies, again after decompression."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        per_path: Mapping[str, int],
        error: ErrorResponse,
    ) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path)
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a declared oversize body at once; bound the rest as it streams."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self.error(413, "too_large", _too_large(limit), {"limit": limit})(
                scope, receive, send
            )
            return
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ENCODINGS:
            message = f"Content-Encoding {encoding!r} is not accepted; send gzip or identity"
            await self.error(415, "unsupported_encoding", message, {"accepted": list(ENCODINGS)})(
                scope, receive, send
            )
            return
        if encoding == "gzip":
            scope = {**scope, "headers": _without(scope, (b"content-encoding", b"content-length"))}
        await self.app(scope, _Bounded(receive, limit, gzip=encoding == "gzip"), send)


def _too_large(limit: int) -> str:
    return f"the request body is larger than the {limit:,} bytes allowed"


def _without(scope: Scope, names: tuple[bytes, ...]) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in scope["headers"] if k.lower() not in names]


class _Bounded:
    """A `receive` that counts the body (raw and decompressed) and raises 413 past the limit."""

    def __init__(self, receive: Receive, limit: int, *, gzip: bool) -> None:
        self.receive = receive
        self.limit = limit
        self.raw = 0
        self.out = 0
        # 16 + MAX_WBITS: a gzip header and trailer around the deflate stream
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] != "http.request":
            return message
        body: bytes = message.get("body", b"")
        self.raw += len(body)
        if self.raw > self.limit:
            raise HTTPException(413, _too_large(self.limit))
        if self.inflate is None:
            return message
        try:
            # never inflate more than one byte past the limit, whatever the chunk expands to
            body = self.inflate.decompress(body, self.limit - self.out + 1)
        except zlib.error as exc:
            raise HTTPException(400, f"the gzip body cannot be decompressed: {exc}") from exc
        self.out += len(body)
        if self.out > self.limit or self.inflate.unconsumed_tail:
            raise HTTPException(413, _too_large(self.limit) + " once decompressed")
        if not message.get("more_body", False) and not self.inflate.eof:
            raise HTTPException(400, "the gzip body ends before its end")
        return {**message, "body": body}
