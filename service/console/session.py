"""The console's session: one signed cookie holding the token, and CSRF checks on every form.

The cookie is signed (itsdangerous), HttpOnly, SameSite=Lax and Secure behind https; it holds
the bearer token the person pasted and a random nonce. Every form carries an HMAC of that nonce;
a POST whose field does not match, or whose Origin is another site's, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from service.errors import NotAuthorized

COOKIE = "steward_session"
MAX_AGE = 12 * 3600
CSRF_FIELD = "csrf"


@dataclass(frozen=True, slots=True)
class SessionData:
    """What the cookie holds: the token (None before sign-in) and the form nonce."""

    nonce: str
    token: str | None = None
    fresh: bool = False  # made for this request: the response must set the cookie


def is_https(request: Request) -> bool:
    """Whether the browser reached us over https (directly or through a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return request.url.scheme == "https" or forwarded == "https"


class Sessions:
    """Reads, writes and checks the console's session cookie with one secret."""

    def __init__(self, secret: str) -> None:
        """A session codec signing with `secret`."""
        self._secret = secret.encode()
        self._codec = URLSafeTimedSerializer(secret, salt="steward-console-session")

    def load(self, request: Request) -> SessionData:
        """The request's session, or a fresh anonymous one when the cookie is missing or bad."""
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self._codec.loads(raw, max_age=MAX_AGE)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("n"), str):
                token = data.get("t")
                return SessionData(data["n"], token if isinstance(token, str) else None)
        return SessionData(secrets.token_urlsafe(16), fresh=True)

    def signed_in(self, token: str) -> SessionData:
        """A new session for a token (a new nonce: forms from before sign-in stop working)."""
        return SessionData(secrets.token_urlsafe(16), token, fresh=True)

    def csrf(self, data: SessionData) -> str:
        """The CSRF value forms of this session carry."""
        return hmac.new(self._secret, data.nonce.encode(), hashlib.sha256).hexdigest()

    def check(self, request: Request, data: SessionData, sent: str | None) -> None:
        """Refuse a POST from another site or without this session's CSRF value."""
        site = request.headers.get("sec-fetch-site")
        origin = request.headers.get("origin")
        own = {f"{scheme}://{request.url.netloc}" for scheme in ("http", "https")}
        if site == "cross-site" or (origin and origin not in own):
            raise NotAuthorized("refused: the form was sent from another site")
        if data.fresh or not sent or not hmac.compare_digest(sent, self.csrf(data)):
            raise NotAuthorized(
                "refused: the form's security token does not match your session; "
                "reload the page and try again"
            )

    def store(self, request: Request, response: Response, data: SessionData) -> None:
        """Set the cookie (Secure when the request came over https)."""
        value = self._codec.dumps({"n": data.nonce, "t": data.token})
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )

    def clear(self, response: Response) -> None:
        """Forget the session."""
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
