"""Principals and bearer tokens: random, stored hashed, shown once; listed, revoked, expiring."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from service.domain import Me, Page, Paged, Principal, TokenInfo, email_address, principal_name
from service.errors import InvalidInput, NotAuthenticated, NotAuthorized, NotFound
from service.store import queries as q
from service.store.tables import MemberRow, ProductRow, SubscriptionRow, TokenRow
from service.usecases.common import actor_row


def _checked(rule: Callable[[str], str], value: str, field: str) -> str:
    try:
        return rule(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field) from exc


def create_token(
    session: Session,
    *,
    email: str,
    name: str | None = None,
    admin: bool = False,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[Principal, str]:
    """A new token for the principal with this email (created if new); the token is shown once."""
    email = _checked(email_address, email.strip(), "email")
    if name:
        name = _checked(principal_name, name, "name")
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("a token must expire in the future", field="expires")
    principal = q.ensure_principal(session, email, now)
    if name:
        principal.name = name
    if admin:
        principal.is_admin = True
    token = secrets.token_urlsafe(32)
    session.add(
        TokenRow(
            principal_id=principal.id,
            token_hash=q.hash_token(token),
            name=name,
            created_at=now,
            expires_at=expires_at,
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
        after={
            "email": principal.email,
            "admin": principal.is_admin,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    session.flush()
    return q.to_principal(principal), token


def authenticate(
    session: Session | Connection, token: str | None, now: datetime | None = None
) -> Principal:
    """The principal holding this bearer token; NotAuthenticated when missing, unknown,
    revoked or (given `now`) expired."""
    return admitted(q.principal_for_token(session, required(token)), now)


def required(token: str | None) -> str:
    """The bearer token, or NotAuthenticated when there is none."""
    if not token:
        raise NotAuthenticated("a bearer token is required (Authorization: Bearer <token>)")
    return token


def admitted(found: q.Holder, now: datetime | None) -> Principal:
    """The holder of a token as the store read it; NotAuthenticated when there is none (an
    unknown or revoked token) or (given `now`) the token has expired."""
    if found is None:
        raise NotAuthenticated("the bearer token is not valid")
    principal, expires_at = found
    if now is not None and expires_at is not None and expires_at <= now:
        raise NotAuthenticated("the bearer token has expired", expired_at=expires_at)
    return principal


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        row.id, row.principal.email, row.name, row.created_at, row.expires_at, row.revoked_at
    )


def list_tokens(
    session: Session,
    *,
    actor: Principal | None,
    email: str | None = None,
    page: Page | None = None,
) -> Paged[TokenInfo]:
    """A page of tokens, oldest first (PAGE None: all): the caller's own; an admin (or the
    CLI, actor None) sees anyone's."""
    query = select(TokenRow)
    if actor is not None and not actor.is_admin:
        if email is not None and email.lower() != actor.email.lower():
            raise NotAuthorized("only an admin may list another principal's tokens")
        email = actor.email
    if email is not None:
        holder = q.principal_by_email(session, email)
        if holder is None:
            return Paged([])
        query = query.where(TokenRow.principal_id == holder.id)
    rows, after = q.rows_of_page(session, query, TokenRow.id, page)
    return Paged([_info(r) for r in rows], after)


def revoke_token(
    session: Session, *, actor: Principal | None, token_id: int, now: datetime
) -> TokenInfo:
    """Revoke a token (one's own; an admin or the CLI any); revoking twice changes nothing."""
    row = session.get(TokenRow, token_id)
    if row is None or (actor is not None and not actor.is_admin and row.principal_id != actor.id):
        raise NotFound(f"no token {token_id}", token=token_id)  # never confirm others' tokens
    if row.revoked_at is None:
        row.revoked_at = now
        q.audit(
            session,
            actor=actor_row(session, actor) if actor else None,
            action="token.revoke",
            entity="principal",
            entity_id=row.principal_id,
            product_id=None,
            now=now,
            after={"token": row.id},
        )
        session.flush()
    return _info(row)


def whoami(session: Session, actor: Principal) -> Me:
    """The caller as Steward knows them: roles on products and what they subscribe to."""
    roles = session.execute(
        select(ProductRow.name, MemberRow.role)
        .join(MemberRow, MemberRow.product_id == ProductRow.id)
        .where(MemberRow.principal_id == actor.id)
        .order_by(ProductRow.name)
    ).all()
    subscribed = session.scalars(
        select(ProductRow.name)
        .join(SubscriptionRow, SubscriptionRow.product_id == ProductRow.id)
        .where(SubscriptionRow.consumer_id == actor.id)
        .order_by(ProductRow.name)
        .distinct()
    ).all()
    return Me(
        email=actor.email,
        name=actor.name,
        is_admin=actor.is_admin,
        owner_of=tuple(n for n, r in roles if r == "owner"),
        maintainer_of=tuple(n for n, r in roles if r == "maintainer"),
        subscribed_to=tuple(subscribed),
    )
