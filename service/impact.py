"""The impact of a change request as a typed value: every reader reached, and who is told.

One `Impact` is computed per change request (`service.usecases.impact`), stored
as JSON (`to_stored`) and read back as this type (`Impact.model_validate`); the API's
answer, the notices and the scheduler all read it through these fields, never by keys.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, computed_field, model_validator

#: Where a reader's contacts come from.
ContactRole = Literal[
    "subscriber", "product owner", "exposure owner", "job owner", "owner of the changed product"
]
#: How a subscription says what it reads.
ReadBy = Literal["columns", "sql", "all"]


class Value(BaseModel):
    """Base of the impact's values: frozen; unknown keys of older stored forms are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Contact(Value):
    """One person to be told of a reader's breakage: an email and why it is theirs."""

    email: str
    role: ContactRole


class Reader(Value):
    """One reader a change reaches: a subscription, a downstream product, a view, a dbt model
    or exposure, an OpenLineage job, or any object lineage knows, with who is to be told."""

    kind: str
    #: The lineage object (`subscription:<id>` for a subscription; the job for a job).
    name: str
    subscription: int | None = None
    by: ReadBy | None = None
    product: str | None = None
    job: str | None = None
    #: The `table.column`s (or whole tables) it reads that carry a change, as OLD names them.
    reads: tuple[str, ...] = ()
    #: Positions of the change request's changes that reach it.
    changes: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    breaking: bool = True
    stops_working: bool = False
    depth: int = 1
    path: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    #: Set when no contact of its own is known and the changed product's owners are told.
    warning: str | None = None

    @cached_property
    def emails(self) -> tuple[str, ...]:
        """The email addresses of its contacts."""
        return tuple(dict.fromkeys(c.email for c in self.contacts))


class SubscriptionReach(Value):
    """A subscription reached (the `impact.subscriptions` view of the readers)."""

    subscription: int
    consumer: str
    by: ReadBy | None
    columns: tuple[str, ...]
    changes: tuple[str, ...]
    breaking: bool


class ProductReach(Value):
    """A downstream product reached (the `impact.downstream_products` view of the readers)."""

    product: str
    owners: tuple[str, ...]
    columns: tuple[str, ...]
    changes: tuple[str, ...]
    breaking: bool
    depth: int
    via: tuple[str, ...]


class Impact(Value):
    """Every reader a change request reaches, nearest first, and what lineage could not resolve."""

    readers: tuple[Reader, ...] = ()
    warnings: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_older_form(cls, data: Any) -> Any:
        """Read an impact stored before readers existed (subscriptions and products only)."""
        if not isinstance(data, dict) or "readers" in data:
            return data
        readers: list[dict[str, Any]] = []
        for sub in data.get("subscriptions") or []:
            readers.append(
                {
                    "kind": "subscription",
                    "name": f"subscription:{sub['subscription']}",
                    "subscription": sub["subscription"],
                    "reads": sub.get("columns") or [],
                    "kinds": sub.get("changes") or [],
                    "breaking": bool(sub.get("breaking")),
                    "contacts": [{"email": sub["consumer"], "role": "subscriber"}],
                }
            )
        for product in data.get("downstream_products") or []:
            readers.append(
                {
                    "kind": "product",
                    "name": product["product"],
                    "product": product["product"],
                    "reads": product.get("columns") or [],
                    "kinds": product.get("changes") or [],
                    "breaking": bool(product.get("breaking")),
                    "path": product.get("via") or [],
                    "contacts": [
                        {"email": owner, "role": "product owner"}
                        for owner in product.get("owners") or []
                    ],
                }
            )
        return {"readers": readers, "warnings": []}

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def subscriptions(self) -> tuple[SubscriptionReach, ...]:
        """The subscriptions reached: consumer, columns read that change, kinds, breaking."""
        # Built from validated readers; validating is faster than `model_construct` here.
        return tuple(
            SubscriptionReach(
                subscription=r.subscription,
                consumer=r.emails[0] if r.emails else "",
                by=r.by,
                columns=r.reads,
                changes=r.kinds,
                breaking=r.breaking,
            )
            for r in self.readers
            if r.subscription is not None
        )

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def downstream_products(self) -> tuple[ProductReach, ...]:
        """The downstream products reached, directly or through other objects, and their owners."""
        return tuple(
            ProductReach(
                product=r.product,
                owners=r.emails,
                columns=r.reads,
                changes=r.kinds,
                breaking=r.breaking,
                depth=r.depth,
                via=r.path,
            )
            for r in self.readers
            if r.product is not None
        )

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def consumers(self) -> tuple[str, ...]:
        """Subscribers a breaking change reaches: they acknowledge before an early release."""
        return tuple(
            sorted(
                {
                    e
                    for r in self.readers
                    if r.subscription is not None and r.breaking
                    for e in r.emails
                }
            )
        )

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def products_to_acknowledge(self) -> tuple[str, ...]:
        """Downstream products a breaking change reaches (one owner acknowledges for each)."""
        return tuple(sorted({r.product for r in self.readers if r.product and r.breaking}))

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def recipients(self) -> tuple[str, ...]:
        """Everyone to be told, by email: each reader's contacts."""
        return self.told(breaking_only=False)

    # The views above are computed once per value (a product may have thousands of readers).

    def told(self, *, breaking_only: bool) -> tuple[str, ...]:
        """The emails of every reader's contacts (of readers a breaking change reaches only)."""
        return tuple(
            sorted({e for r in self.readers if r.breaking or not breaking_only for e in r.emails})
        )

    def reader(self, name: str) -> Reader | None:
        """The reader of this name (a lineage object, `subscription:<id>`, a job), if reached."""
        return next((r for r in self.readers if r.name == name), None)

    def to_stored(self) -> dict[str, Any]:
        """The JSON form kept in the store (readers and warnings; the views are derived)."""
        return self.model_dump(mode="json", exclude=_DERIVED)

    def to_stored_json(self) -> str:
        """`to_stored` as JSON text."""
        return self.model_dump_json(exclude=_DERIVED)


#: The views of an impact, derived from its readers: not stored.
_DERIVED = {
    "subscriptions", "downstream_products", "consumers", "products_to_acknowledge", "recipients"
}  # fmt: skip


__all__ = ["Contact", "ContactRole", "Impact", "ProductReach", "Reader", "SubscriptionReach"]
