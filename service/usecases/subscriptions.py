"""Subscriptions: a consumer names the columns (or the SQL) it reads of a product."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notifications.webhook import TargetPolicy, UnsafeTarget, check_target, target_url
from service.domain import (
    Page,
    Paged,
    Principal,
    SemVer,
    Subscription,
    masked,
    subscription_fingerprint,
)
from service.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from service.store import queries as q
from service.store.tables import SubscriptionRow
from service.usecases.common import Inline, Limits, Runner, actor_row, roles_of, stored_schema
from service.usecases.reads import columns_read, resolve_columns
from service.workflow import may

EMAIL = "email"
WEBHOOK_SCHEMES = ("http", "https", "slack+http", "slack+https")


def _channels(channels: list[str] | None, policy: TargetPolicy) -> list[str]:
    """`email` or a webhook URL (http/https) to a public address (or one the policy allows)
    per channel; default: email. A name that does not resolve now is checked when sending."""
    if not channels:
        return [EMAIL]
    for channel in channels:
        if channel == EMAIL:
            continue
        url = urlparse(channel)
        if url.scheme not in WEBHOOK_SCHEMES or not url.netloc:
            raise InvalidInput(
                f"channel {channel!r} is neither 'email' nor an http(s) webhook URL "
                "(slack+https://... for a Slack-compatible chat webhook)",
                field="channels",
            )
        try:
            check_target(target_url(channel), policy)
        except UnsafeTarget as exc:
            raise InvalidInput(str(exc), field="channels") from exc
        except (OSError, UnicodeError):
            continue
    return list(dict.fromkeys(channels))


def subscribe(
    session: Session,
    *,
    actor: Principal,
    product: str,
    columns: list[str] | None,
    sql: str | None,
    version: str | None,
    channels: list[str] | None,
    all_changes: bool,
    limits: Limits,
    now: datetime,
    webhook_policy: TargetPolicy | None = None,
    runner: Runner | None = None,
) -> Subscription:
    """Subscribe the caller to a product, reading the named columns, the SQL's columns, or all
    (the SQL is read by `runner`: the API's worker with a deadline)."""
    row = q.product_row(session, product)
    current = q.current_version_row(session, row.id)
    schema = stored_schema(current.source, row.dialect)
    if columns is not None and sql is not None:
        raise InvalidInput("give either columns or sql, not both", field="columns")
    read: list[str] | None = None
    if columns is not None:
        if not columns:
            raise InvalidInput("columns must name at least one column (omit it for all)")
        read = resolve_columns(columns, schema)
    elif sql is not None:
        if len(sql.encode()) > limits.max_sql_bytes:
            raise InvalidInput(f"sql is larger than {limits.max_sql_bytes:,} bytes", field="sql")
        read = sorted((runner or Inline()).run(columns_read, sql, row.dialect, [schema]))
        if not read:
            raise InvalidInput(
                f"the SQL reads no column of product {product!r}",
                field="sql",
                tables=[t.name for t in schema.tables],
            )
    if version is not None:
        wanted = SemVer.parse(version)
        known = {(v.major, v.minor, v.patch) for v in q.version_rows(session, row.id)}
        if (wanted.major, wanted.minor, wanted.patch) not in known:
            raise InvalidInput(f"product {product!r} has no version {version}", field="version")
    consumer = actor_row(session, actor)
    chosen = _channels(channels, webhook_policy or TargetPolicy())
    fingerprint = subscription_fingerprint(read, sql, version, chosen, all_changes)
    sub = SubscriptionRow(
        product_id=row.id,
        consumer_id=consumer.id,
        columns=read,
        sql=sql,
        version=version,
        channels=chosen,
        all_changes=all_changes,
        fingerprint=fingerprint,
        created_at=now,
    )
    try:
        with session.begin_nested():  # the store refuses a duplicate, even one a racer wrote
            session.add(sub)
            q.subscriptions_changed(session, row.id)
    except IntegrityError as exc:
        first = session.scalars(
            select(SubscriptionRow.id).where(
                SubscriptionRow.product_id == row.id,
                SubscriptionRow.consumer_id == consumer.id,
                SubscriptionRow.fingerprint == fingerprint,
            )
        ).first()
        if first is None:
            raise
        raise Conflict(
            f"you already have this subscription to {product!r}: #{first}", subscription=first
        ) from exc
    result = q.to_subscription(sub, row.name)
    q.audit(
        session,
        actor=consumer,
        action="subscription.create",
        entity="subscription",
        entity_id=sub.id,
        product_id=row.id,
        now=now,
        after={
            "columns": read,
            "channels": [masked(c) for c in sub.channels],
            "all_changes": all_changes,
        },
    )
    return result


def unsubscribe(session: Session, *, actor: Principal, subscription_id: int, now: datetime) -> None:
    """Delete one of the caller's own subscriptions."""
    sub = session.get(SubscriptionRow, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id}", subscription=subscription_id)
    if sub.consumer_id != actor.id:
        raise NotAuthorized("only the consumer who subscribed may delete a subscription")
    q.audit(
        session,
        actor=actor_row(session, actor),
        action="subscription.delete",
        entity="subscription",
        entity_id=sub.id,
        product_id=sub.product_id,
        now=now,
        before={"columns": sub.columns, "channels": [masked(c) for c in sub.channels]},
    )
    session.delete(sub)
    q.subscriptions_changed(session, sub.product_id)
    session.flush()


def list_subscriptions(
    session: Session, product: str, viewer: Principal, page: Page | None = None
) -> tuple[Paged[Subscription], int]:
    """A page of the product's subscriptions the viewer may see, oldest first, and how many it
    has in all.

    Its owners and admins see every one, anyone else only their own; webhook URLs are
    masked except to the consumer who gave them.
    """
    page = page or Page()
    row = q.product_row(session, product)
    query = select(SubscriptionRow).where(SubscriptionRow.product_id == row.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if not may("read_subscribers", roles_of(row, viewer)):
        query = query.where(SubscriptionRow.consumer_id == viewer.id)
    found = session.scalars(q.keyset(query, SubscriptionRow.id, page)).all()
    subs, after = q.page_of(found, page, lambda s: s.id)
    return Paged([_as_seen(q.to_subscription(s, row.name), viewer) for s in subs], after), total


def _as_seen(sub: Subscription, viewer: Principal) -> Subscription:
    if sub.consumer_id == viewer.id:
        return sub
    return replace(sub, channels=tuple(masked(c) for c in sub.channels))
