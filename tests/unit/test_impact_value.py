"""The impact value: stored as JSON and read back as the same type; older stored forms read."""

from __future__ import annotations

from service.impact import Contact, Impact, Reader


def _impact() -> Impact:
    return Impact(
        readers=(
            Reader(
                kind="subscription",
                name="subscription:3",
                subscription=3,
                by="sql",
                reads=("shop.orders.amount",),
                changes=(0,),
                kinds=("column_removed",),
                contacts=(Contact(email="fin@example.com", role="subscriber"),),
            ),
            Reader(
                kind="product",
                name="analytics.revenue",
                product="analytics.revenue",
                reads=("shop.orders.amount",),
                depth=2,
                path=("shop.orders", "v", "analytics.revenue"),
                contacts=(Contact(email="ana@example.com", role="product owner"),),
            ),
            Reader(
                kind="view",
                name="finance.big",
                breaking=False,
                contacts=(Contact(email="owner@example.com", role="owner of the changed product"),),
                warning="view finance.big has no known contact",
            ),
        ),
        warnings=("view finance.big has no known contact",),
    )


def test_the_stored_form_reads_back_as_the_same_value() -> None:
    impact = _impact()
    stored = impact.to_stored()
    assert set(stored) == {"readers", "warnings"}
    assert Impact.model_validate(stored) == impact


def test_the_derived_views_follow_the_readers() -> None:
    impact = _impact()
    assert [s.consumer for s in impact.subscriptions] == ["fin@example.com"]
    assert [(p.product, p.owners, p.depth) for p in impact.downstream_products] == [
        ("analytics.revenue", ("ana@example.com",), 2)
    ]
    assert impact.consumers == ("fin@example.com",)
    assert impact.products_to_acknowledge == ("analytics.revenue",)
    assert impact.recipients == ("ana@example.com", "fin@example.com", "owner@example.com")
    assert impact.told(breaking_only=True) == ("ana@example.com", "fin@example.com")


def test_the_api_form_carries_the_views_and_reads_back() -> None:
    shown = _impact().model_dump(mode="json")
    assert shown["recipients"] == ["ana@example.com", "fin@example.com", "owner@example.com"]
    assert Impact.model_validate(shown) == _impact()


def test_an_impact_stored_before_readers_existed_reads_as_readers() -> None:
    older = {
        "subscriptions": [
            {
                "subscription": 1,
                "consumer": "c@example.com",
                "columns": ["shop.orders.amount"],
                "changes": ["column_removed"],
                "breaking": True,
            }
        ],
        "downstream_products": [
            {
                "product": "analytics.revenue",
                "owners": ["o@example.com"],
                "columns": ["shop.orders.amount"],
                "changes": ["column_removed"],
                "breaking": True,
            }
        ],
        "consumers": ["c@example.com"],
        "lineage": None,
    }
    impact = Impact.model_validate(older)
    assert [(r.kind, r.emails) for r in impact.readers] == [
        ("subscription", ("c@example.com",)),
        ("product", ("o@example.com",)),
    ]
    assert impact.consumers == ("c@example.com",)
    assert impact.products_to_acknowledge == ("analytics.revenue",)
