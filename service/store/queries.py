"""Loading and saving rows; never commits (the caller's one transaction does)."""

from __future__ import annotations

import hashlib
import json
from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from service.diff import Verdict, decide_verdicts
from service.domain import (
    ChangeRequest,
    Page,
    Principal,
    Product,
    Role,
    State,
    Subscription,
    Version,
)
from service.errors import InvalidInput, NotFound
from service.impact import Impact
from service.store.tables import (
    NOTICE_BATCHES,
    TZ,
    AcknowledgementRow,
    AuditRow,
    ChangeRequestRow,
    JsonText,
    MemberRow,
    NoticeBatchRow,
    NoticeRow,
    PrincipalRow,
    ProductRow,
    SubscriptionRow,
    TokenRow,
    VersionRow,
)

R = TypeVar("R")


def keyset(query: Select[Any], key: Any, page: Page, *, descending: bool = False) -> Select[Any]:
    """`query` ordered by `key`, after the page's cursor, one more than the page holds (to know
    whether another page follows)."""
    if page.after is not None:
        wanted = key.type.python_type
        fits = isinstance(page.after, wanted) and not (
            isinstance(page.after, int) and not 0 <= page.after < 2**63
        )
        if not fits:  # a cursor of another list, or made up: never a database error
            raise InvalidInput("cursor is not one this API gave out", field="cursor")
        query = query.where(key < page.after if descending else key > page.after)
    return query.order_by(key.desc() if descending else key).limit(page.limit + 1)


def page_of(
    rows: Sequence[R], page: Page, key: Callable[[R], str | int]
) -> tuple[list[R], str | int | None]:
    """The rows of this page and the cursor of the next (None when this is the last)."""
    if len(rows) <= page.limit:
        return list(rows), None
    kept = list(rows[: page.limit])
    return kept, key(kept[-1])


def rows_of_page(
    session: Session, query: Select[Any], key: Any, page: Page | None
) -> tuple[list[Any], str | int | None]:
    """The rows of QUERY on PAGE in `key` order (`keyset` + `page_of` for rows with an `id`
    key), and the cursor of the next page; PAGE None: every row, no next page (the console's
    and the CLI's whole lists)."""
    if page is None:
        return list(session.scalars(query.order_by(key)).all()), None
    found = session.scalars(keyset(query, key, page)).all()
    return page_of(found, page, lambda r: int(r.id))


def hash_token(token: str) -> str:
    """The sha256 hex digest under which a bearer token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# The reads every request makes (the caller, a product) are built once and run on the
# session's connection as plain rows: SQLAlchemy then reuses their compiled form, and no ORM
# identity map or relationship loading is paid for values that leave the transaction anyway.
_PRINCIPAL_BY_TOKEN = (
    select(
        PrincipalRow.id,
        PrincipalRow.email,
        PrincipalRow.name,
        PrincipalRow.is_admin,
        PrincipalRow.webhook_url,
        TokenRow.expires_at,
    )
    .join(TokenRow, TokenRow.principal_id == PrincipalRow.id)
    .where(TokenRow.token_hash == bindparam("token_hash"), TokenRow.revoked_at.is_(None))
    .limit(1)
)
_CURRENT_VERSION_NUMBER = (
    select(VersionRow.major, VersionRow.minor, VersionRow.patch)
    .where(VersionRow.product_id == ProductRow.id)
    .order_by(VersionRow.major.desc(), VersionRow.minor.desc(), VersionRow.patch.desc())
    .limit(1)
)
# The product's row once per member (role and email; one row with NULLs when it has none)
# and its current version.
_PRODUCT_COLUMNS = (
    ProductRow.id,
    ProductRow.name,
    ProductRow.description,
    ProductRow.dialect,
    ProductRow.notice_period,
    ProductRow.sunset_period,
    ProductRow.require_distinct_approver,
    ProductRow.defining_sql,
    ProductRow.created_at,
    ProductRow.reminders,
    ProductRow.waive_notice_without_readers,
    ProductRow.slas,
    ProductRow.retired_at,
    _CURRENT_VERSION_NUMBER.with_only_columns(VersionRow.major).scalar_subquery().label("major"),
    _CURRENT_VERSION_NUMBER.with_only_columns(VersionRow.minor).scalar_subquery().label("minor"),
    _CURRENT_VERSION_NUMBER.with_only_columns(VersionRow.patch).scalar_subquery().label("patch"),
    MemberRow.role,
    PrincipalRow.email,
)
# One statement (so one snapshot, even without a transaction).
_PRODUCT_BY_NAME = (
    select(*_PRODUCT_COLUMNS)
    .outerjoin(MemberRow, MemberRow.product_id == ProductRow.id)
    .outerjoin(PrincipalRow, PrincipalRow.id == MemberRow.principal_id)
    .where(ProductRow.name == bindparam("name"))
    .order_by(MemberRow.position)
)
# The busiest read in one round trip: the token's principal (no row: no such token), joined
# with the product's rows (NULLs: no such product).
_WHO = _PRINCIPAL_BY_TOKEN.subquery("who")
_PRODUCT_FOR_TOKEN = (
    select(*(c.label(f"who_{c.name}") for c in _WHO.c), *_PRODUCT_COLUMNS)
    .select_from(_WHO)
    .outerjoin(ProductRow, ProductRow.name == bindparam("name"))
    .outerjoin(MemberRow, MemberRow.product_id == ProductRow.id)
    .outerjoin(PrincipalRow, PrincipalRow.id == MemberRow.principal_id)
    .order_by(MemberRow.position)
)

#: a token's principal and the token's expiry, as read (None: no such unrevoked token)
Holder = tuple[Principal, datetime | None] | None


def principal_for_token(session: Session | Connection, token: str) -> Holder:
    """The principal holding this (unrevoked) token and the token's expiry, or None (one
    statement: a plain connection will do; whether it has expired is the caller's check)."""
    connection = session.connection() if isinstance(session, Session) else session
    found = connection.execute(_PRINCIPAL_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    return None if found is None else _holder(*found)


def _holder(
    pid: int, email: str, name: str | None, is_admin: Any, webhook_url: str | None, expires: Any
) -> Holder:
    """The holder of a token from the columns of `_PRINCIPAL_BY_TOKEN`."""
    return Principal(pid, email, name, bool(is_admin), webhook_url), expires


def product_by_name(session: Session | Connection, name: str) -> Product:
    """One product with its owners, maintainers and current version number, in one statement."""
    connection = session.connection() if isinstance(session, Session) else session
    return _product_of(connection.execute(_PRODUCT_BY_NAME, {"name": name}).all(), name)


@dataclass(frozen=True, slots=True)
class _Plain:
    """A statement compiled once for one dialect, to be read through the driver's cursor."""

    sql: str
    #: the parameters' order for a positional paramstyle (SQLite's `?`), else None
    order: tuple[str, ...] | None
    defaults: dict[str, Any]
    #: each column's result processor (the column types' own: UTC datetimes, JSON text)
    processors: tuple[Callable[[Any], Any] | None, ...]
    row: Callable[..., Any]


_PLAIN: dict[tuple[int, str], _Plain] = {}


def _row_type(fields: list[str]) -> Any:
    return namedtuple("Row", fields)


def _plain(statement: Select[Any], dialect: Dialect) -> _Plain:
    found = _PLAIN.get((id(statement), dialect.name))
    if found is None:
        compiled = statement.compile(dialect=dialect)
        columns = list(statement.selected_columns)
        found = _PLAIN[(id(statement), dialect.name)] = _Plain(
            sql=str(compiled),
            order=tuple(compiled.positiontup) if compiled.positiontup else None,
            defaults={k: b.effective_value for k, b in compiled.binds.items() if not b.required},
            processors=tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            ),
            row=_row_type([str(c.key) for c in columns])._make,
        )
    return found


def plain_rows(connection: Connection, statement: Select[Any], params: dict[str, Any]) -> list[Any]:
    """The rows of STATEMENT (a module-level one: compiled once per dialect) with PARAMS (plain
    strings and numbers), read through the driver's own cursor, each column processed by its
    type as SQLAlchemy would; rows are named tuples. For the busiest read: SQLAlchemy's
    execution context and result objects cost about 150 us a statement on PostgreSQL (most
    of what the read adds to a request). A driver error is raised as SQLAlchemy raises it,
    the connection invalidated when it is gone (so `Database.read` replaces it)."""
    dialect = connection.dialect
    plain = _plain(statement, dialect)
    values = {**plain.defaults, **params}
    args: Any = tuple(values[k] for k in plain.order) if plain.order else values
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(plain.sql, args)
        fetched = cursor.fetchall()
    except dialect.loaded_dbapi.Error as exc:
        gone = dialect.is_disconnect(exc, dbapi, cursor)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            plain.sql, args, exc, dialect.loaded_dbapi.Error, connection_invalidated=gone
        ) from exc
    finally:
        cursor.close()
    processors = plain.processors
    return [
        plain.row([v if f is None else f(v) for f, v in zip(processors, raw, strict=True)])
        for raw in fetched
    ]


def holder_and_product(
    connection: Connection, token: str, name: str
) -> tuple[Holder, Callable[[], Product]]:
    """`principal_for_token` and `product_by_name` in ONE statement (one round trip, read by
    `plain_rows`): the holder, and the product to read once the holder is admitted
    (NotFound raised then, so an unknown token is refused before a missing product is
    named)."""
    rows = plain_rows(
        connection, _PRODUCT_FOR_TOKEN, {"token_hash": hash_token(token), "name": name}
    )
    if not rows:
        return None, lambda: _product_of([], name)
    first = rows[0]
    holder = _holder(*first[: len(_WHO.c)])
    found: Sequence[Any] = () if first.id is None else rows
    return holder, lambda: _product_of(found, name)


def _product_of(rows: Sequence[Any], name: str) -> Product:
    """The product the rows of `_PRODUCT_COLUMNS` describe (NotFound: none)."""
    if not rows:
        raise NotFound(f"no product named {name!r}", product=name)
    first = rows[0]
    if first.major is None:  # every product is created with 1.0.0
        raise NotFound("product has no version", product_id=first.id)
    return Product(
        id=first.id,
        name=first.name,
        description=first.description,
        dialect=first.dialect,
        owners=tuple(r.email for r in rows if r.role == Role.OWNER),
        maintainers=tuple(r.email for r in rows if r.role == Role.MAINTAINER),
        notice_period=first.notice_period,
        sunset_period=first.sunset_period,
        require_distinct_approver=bool(first.require_distinct_approver),
        defining_sql=first.defining_sql,
        current_version=f"{first.major}.{first.minor}.{first.patch}",
        created_at=first.created_at,
        reminders=tuple(first.reminders),
        waive_notice_without_readers=bool(first.waive_notice_without_readers),
        slas=tuple(sorted((str(k), str(v)) for k, v in (first.slas or {}).items())),
        retired_at=first.retired_at,
    )


def principal_by_email(session: Session, email: str) -> PrincipalRow | None:
    """The principal with this email (case-insensitive), or None."""
    return session.scalars(
        select(PrincipalRow).where(func.lower(PrincipalRow.email) == email.lower())
    ).first()


def ensure_principal(session: Session, email: str, now: datetime) -> PrincipalRow:
    """The principal with this email, created (without tokens) if new."""
    row = principal_by_email(session, email)
    if row is None:
        row = PrincipalRow(email=email, is_admin=False, created_at=now)
        session.add(row)
        session.flush()
    return row


def product_row(session: Session, name: str, *, for_update: bool = False) -> ProductRow:
    """The product with this name; `for_update` locks its row (PostgreSQL) for one writer."""
    query = select(ProductRow).where(ProductRow.name == name)
    if for_update:  # and read afresh: a row the session loaded before may be out of date
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(query).first()
    if row is None:
        raise NotFound(f"no product named {name!r}", product=name)
    return row


def roles_on(product: ProductRow, principal_id: int) -> set[str]:
    """The roles (owner, maintainer) a principal holds on a product."""
    return {m.role for m in product.members if m.principal_id == principal_id}


def version_rows(session: Session, product_id: int) -> Sequence[VersionRow]:
    """A product's versions, oldest first."""
    return session.scalars(
        select(VersionRow)
        .where(VersionRow.product_id == product_id)
        .order_by(VersionRow.major, VersionRow.minor, VersionRow.patch)
    ).all()


def current_version_row(session: Session, product_id: int) -> VersionRow:
    """A product's newest published version."""
    row = session.scalars(
        select(VersionRow)
        .where(VersionRow.product_id == product_id)
        .order_by(VersionRow.major.desc(), VersionRow.minor.desc(), VersionRow.patch.desc())
        .limit(1)
    ).first()
    if row is None:  # every product is created with 1.0.0
        raise NotFound("product has no version", product_id=product_id)
    return row


def current_versions(session: Session, product_ids: Sequence[int]) -> dict[int, VersionRow]:
    """The newest version of each of these products."""
    best: dict[int, VersionRow] = {}
    rows = session.scalars(select(VersionRow).where(VersionRow.product_id.in_(product_ids)))
    for row in rows:
        old = best.get(row.product_id)
        if old is None or (row.major, row.minor, row.patch) > (old.major, old.minor, old.patch):
            best[row.product_id] = row
    return best


def subscription_rows(session: Session, product_id: int) -> Sequence[SubscriptionRow]:
    """A product's subscriptions, oldest first."""
    return session.scalars(
        select(SubscriptionRow)
        .where(SubscriptionRow.product_id == product_id)
        .order_by(SubscriptionRow.id)
    ).all()


@dataclass(frozen=True, slots=True)
class SubscriptionRead:
    """What one subscription reads and where its consumer is told, as a plain value."""

    id: int
    consumer_id: int
    email: str
    #: The columns read (None: all of them).
    columns: frozenset[str] | None
    all_changes: bool
    #: The consumer's SQL, when they registered it (the columns were learnt from it).
    sql: str | None
    channels: tuple[str, ...]

    @property
    def by_sql(self) -> bool:
        """Were the columns learnt from the consumer's SQL?"""
        return self.sql is not None


def subscriptions_changed(session: Session, product_id: int) -> None:
    """Move the product's subscriptions generation, in the transaction that adds or removes one
    of its subscriptions (the update locks the product's row until commit)."""
    session.execute(
        update(ProductRow)
        .where(ProductRow.id == product_id)
        .values(subscriptions_generation=ProductRow.subscriptions_generation + 1)
        .execution_options(synchronize_session=False)
    )


def subscription_reads(session: Session, product_id: int) -> list[SubscriptionRead]:
    """Each subscription of the product, oldest first, with its consumer's email, channels and
    SQL.

    Plain rows, not ORM objects, read once per operation: a product may have thousands of
    subscribers (a proposal's impact and its notices share one read).
    """
    rows = session.execute(
        select(
            SubscriptionRow.id,
            SubscriptionRow.consumer_id,
            PrincipalRow.email,
            cast(SubscriptionRow.columns, Text),
            SubscriptionRow.all_changes,
            SubscriptionRow.sql,
            cast(SubscriptionRow.channels, Text),
        )
        .join(PrincipalRow, PrincipalRow.id == SubscriptionRow.consumer_id)
        .where(SubscriptionRow.product_id == product_id)
        .order_by(SubscriptionRow.id)
    )
    # The JSON lists as stored text, each distinct one decoded once: thousands of
    # subscriptions share a few dozen column lists and a few channel lists.
    columns: dict[str | None, frozenset[str] | None] = {None: None}
    channels: dict[str | None, tuple[str, ...]] = {None: ()}
    found = []
    for i, p, e, cols, a, s, chans in rows:
        if cols not in columns:
            read = json.loads(cols)
            columns[cols] = frozenset(read) if read else None
        if chans not in channels:
            channels[chans] = tuple(json.loads(chans) or ())
        found.append(SubscriptionRead(i, p, e, columns[cols], bool(a), s or None, channels[chans]))
    return found


def open_change_request(
    session: Session, product_id: int, *, breaking: bool = True
) -> ChangeRequestRow | None:
    """The product's open breaking (or, with `breaking=False`, compatible) change request."""
    slot = ChangeRequestRow.open_product_id if breaking else ChangeRequestRow.compatible_product_id
    return session.scalars(select(ChangeRequestRow).where(slot == product_id)).first()


def open_change_requests(session: Session, product_id: int) -> Sequence[ChangeRequestRow]:
    """Every open change request of a product (at most one breaking and one compatible)."""
    return session.scalars(
        select(ChangeRequestRow)
        .where(
            (ChangeRequestRow.open_product_id == product_id)
            | (ChangeRequestRow.compatible_product_id == product_id)
        )
        .order_by(ChangeRequestRow.id)
    ).all()


def change_request_row(session: Session, cr_id: int) -> ChangeRequestRow:
    """The change request with this id."""
    row = session.get(ChangeRequestRow, cr_id)
    if row is None:
        raise NotFound(f"no change request {cr_id}", change_request=cr_id)
    return row


def acknowledgement_rows(session: Session, cr_id: int) -> Sequence[AcknowledgementRow]:
    """Acknowledgements of a change request."""
    return session.scalars(
        select(AcknowledgementRow).where(AcknowledgementRow.change_request_id == cr_id)
    ).all()


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who one notice goes to: the principal (None: an address no principal holds), by what."""

    principal_id: int | None
    channel: str
    address: str


def recipients_json(recipients: Sequence[Recipient]) -> str:
    """Recipients as the outbox statement (and a batch row) carries them: one JSON list."""
    return json.dumps([[r.principal_id, r.address, r.channel] for r in recipients])


def insert_notices(
    session: Session,
    *,
    change_request_id: int,
    kind: str,
    state: str,
    now: datetime,
    recipients: Sequence[Recipient] | str,
    batch: str,
    note: str | None = None,
    note_author: str | None = None,
) -> None:
    """One outbox row per recipient, in ONE statement whatever their number: the recipients go
    as one JSON parameter (RECIPIENTS, or their `recipients_json`) that the database unfolds
    (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL) into an INSERT ... SELECT.
    Row N's Message-ID is `<BATCH.N.crID.KIND@steward>`: unique, from one random part per
    batch."""
    payload = recipients if isinstance(recipients, str) else recipients_json(recipients)
    param = bindparam("recipients", payload, type_=String)
    principal_id: ColumnElement[Any]
    address: ColumnElement[Any]
    channel: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        each = (
            func.jsonb_array_elements(cast(param, JSONB))
            .table_valued("value", with_ordinality="n")
            .render_derived()
        )
        item = each.c.value.op("->>")
        principal_id = cast(item(0), Integer)
        address, channel = item(1), item(2)
        number = cast(each.c.n - 1, Text)
    else:
        each = func.json_each(param).table_valued("key", "value")
        principal_id = func.json_extract(each.c.value, "$[0]")
        address = func.json_extract(each.c.value, "$[1]")
        channel = func.json_extract(each.c.value, "$[2]")
        number = cast(each.c.key, Text)
    message_id = (
        literal(f"<{batch}.", String)
        + number
        + literal(f".cr{change_request_id}.{kind}@steward>", String)
    )
    at = literal(now, TZ)
    rows = select(
        literal(change_request_id, Integer), principal_id, address, channel,
        literal(kind, String), at, literal(state, String), literal(0, Integer), at,
        message_id, at, literal(note, Text), literal(note_author, String),
    ).select_from(each)  # fmt: skip
    columns = [
        "change_request_id", "recipient_id", "recipient", "channel", "kind", "due_at", "state",
        "attempts", "next_attempt_at", "message_id", "created_at", "note", "note_author",
    ]  # fmt: skip
    session.execute(insert(NoticeRow).from_select(columns, rows))


def insert_notice_batch(
    session: Session,
    *,
    change_request_id: int,
    kind: str,
    state: str,
    now: datetime,
    recipients: Sequence[Recipient],
    batch: str,
    note: str | None = None,
    note_author: str | None = None,
) -> None:
    """The same notices as `insert_notices`, as one batch row (`outbox.expand` writes them);
    the session is marked so that the door expands it once the transaction has committed."""
    session.add(
        NoticeBatchRow(
            change_request_id=change_request_id,
            kind=kind,
            state=state,
            batch=batch,
            recipients=recipients_json(recipients),
            note=note,
            note_author=note_author,
            created_at=now,
        )
    )
    session.info[NOTICE_BATCHES] = True


def notice_batch_pending(session: Session, cr_id: int, kind: str) -> bool:
    """Whether a batch of this change request's notices of KIND is not written out yet."""
    found = session.scalar(
        select(NoticeBatchRow.id)
        .where(NoticeBatchRow.change_request_id == cr_id, NoticeBatchRow.kind == kind)
        .limit(1)
    )
    return found is not None


def notice_rows(session: Session, cr_id: int, kind: str | None = None) -> Sequence[NoticeRow]:
    """Notices of a change request, optionally of one kind."""
    query = select(NoticeRow).where(NoticeRow.change_request_id == cr_id)
    if kind is not None:
        query = query.where(NoticeRow.kind == kind)
    return session.scalars(query.order_by(NoticeRow.id)).all()


def audit(
    session: Session,
    *,
    actor: PrincipalRow | None,
    action: str,
    entity: str,
    entity_id: int | None,
    product_id: int | None,
    now: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one audit record (in the caller's transaction)."""
    session.add(
        AuditRow(
            at=now,
            actor_id=actor.id if actor else None,
            actor=actor.email if actor else "system",
            action=action,
            entity=entity,
            entity_id=entity_id,
            product_id=product_id,
            before=before,
            after=after,
        )
    )


def to_principal(row: PrincipalRow) -> Principal:
    """The domain value of a principal row."""
    return Principal(row.id, row.email, row.name, row.is_admin, row.webhook_url)


def to_version(row: VersionRow) -> Version:
    """The domain value of a version row."""
    return Version(
        version=row.version,
        schema=row.schema_json,
        source=row.source,
        published_at=row.published_at,
        deprecated_at=row.deprecated_at,
        sunset_at=row.sunset_at,
        change_request_id=row.change_request_id,
    )


def to_product(row: ProductRow, current: VersionRow | str) -> Product:
    """The domain value of a product row with its current version."""
    return Product(
        id=row.id,
        name=row.name,
        description=row.description,
        dialect=row.dialect,
        owners=tuple(m.principal.email for m in row.members if m.role == Role.OWNER),
        maintainers=tuple(m.principal.email for m in row.members if m.role == Role.MAINTAINER),
        notice_period=row.notice_period,
        sunset_period=row.sunset_period,
        require_distinct_approver=row.require_distinct_approver,
        defining_sql=row.defining_sql,
        current_version=current if isinstance(current, str) else current.version,
        created_at=row.created_at,
        reminders=tuple(row.reminders),
        waive_notice_without_readers=row.waive_notice_without_readers,
        slas=tuple(sorted((str(k), str(v)) for k, v in (row.slas or {}).items())),
        retired_at=row.retired_at,
    )


def to_subscription(row: SubscriptionRow, product: str) -> Subscription:
    """The domain value of a subscription row."""
    return Subscription(
        id=row.id,
        product=product,
        consumer_id=row.consumer_id,
        consumer_email=row.consumer.email,
        columns=tuple(row.columns) if row.columns is not None else None,
        sql=row.sql,
        version=row.version,
        channels=tuple(row.channels),
        all_changes=row.all_changes,
        created_at=row.created_at,
    )


def impact_of_row(cr: ChangeRequestRow) -> Impact:
    """The change request's stored impact, read back as its type (once per loaded row)."""
    # An operation reads it several times; kept on the row's state, keyed by the stored JSON.
    stored: Any = cr.impact or {}
    info = inspect(cr).info
    cached = info.get("impact")
    if isinstance(cached, tuple) and cached[0] is stored:
        found: Impact = cached[1]
        return found
    impact = (
        Impact.model_validate_json(stored)
        if isinstance(stored, str)
        else Impact.model_validate(stored)
    )
    info["impact"] = (stored, impact)
    return impact


def set_impact(cr: ChangeRequestRow, impact: Impact) -> None:
    """Store IMPACT on the row; what reads it back in this operation gets IMPACT itself (a
    proposal's answer, its notices and its view need not validate thousands of readers again)."""
    stored: Any = JsonText(impact.to_stored_json())  # serialised once, by pydantic
    cr.impact = stored
    inspect(cr).info["impact"] = (stored, impact)


def to_change_request(
    row: ChangeRequestRow,
    *,
    earliest_effective_at: datetime | None,
    acknowledged_by: tuple[str, ...],
    awaiting: tuple[str, ...],
) -> ChangeRequest:
    """The domain value of a change request row with its derived dates and acknowledgements."""
    decision = decide_verdicts(Verdict(c["verdict"]) for c in row.changes)
    return ChangeRequest(
        id=row.id,
        product=row.product.name,
        state=State(row.state),
        summary=row.summary,
        bump=row.bump,
        breaking=decision.breaking,
        unknown=decision.unknown,
        base_version=row.base_version,
        target_version=row.target_version,
        changes=list(row.changes),
        impact=impact_of_row(row),
        proposer=row.proposer.email,
        approver=row.approver.email if row.approver else None,
        created_at=row.created_at,
        decided_at=row.decided_at,
        released_at=row.released_at,
        earliest_effective_at=earliest_effective_at,
        acknowledged_by=acknowledged_by,
        awaiting_acknowledgement=awaiting,
        source=row.source,
        decision_reason=row.decision_reason,
        kind=row.kind,
        waive_notice_without_readers=row.product.waive_notice_without_readers,
        migration=dict(row.migration) if row.migration else None,
    )
