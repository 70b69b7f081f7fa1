"""Principals and bearer tokens: random, stored hashed, shown once."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from service.domain import Principal
from service.errors import InvalidInput, NotAuthenticated
from service.store import queries as q
from service.store.tables import TokenRow


def create_token(
    session: Session,
    *,
    email: str,
    name: str | None = None,
    admin: bool = False,
    now: datetime,
) -> tuple[Principal, str]:
    """A new token for the principal with this email (created if new); the token is shown once."""
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise InvalidInput(f"not an email address: {email!r}", field="email")
    principal = q.ensure_principal(session, email, now)
    if name:
        principal.name = name
    if admin:
        principal.is_admin = True
    token = secrets.token_urlsafe(32)
    session.add(
        TokenRow(
            principal_id=principal.id, token_hash=q.hash_token(token), name=name, created_at=now
        )
    )
    q.audit(
        session,
        actor=None,
        action="token.create",
        entity="principal",
        entity_id=principal.id,
        product_id=None,
        now=now,
        after={"email": principal.email, "admin": principal.is_admin},
    )
    session.flush()
    return q.to_principal(principal), token


def authenticate(session: Session | Connection, token: str | None) -> Principal:
    """The principal holding this bearer token; NotAuthenticated when missing or unknown."""
    if not token:
        raise NotAuthenticated("a bearer token is required (Authorization: Bearer <token>)")
    principal = q.principal_for_token(session, token)
    if principal is None:
        raise NotAuthenticated("the bearer token is not valid")
    return principal
