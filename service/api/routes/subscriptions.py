"""Subscriptions of consumers to products."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from notifications.webhook import TargetPolicy
from service.api.deps import Caller, Ctx, PageQuery, next_page
from service.api.schemas import Id, ProductName, SubscriptionIn, SubscriptionOut
from service.usecases import subscriptions as uc

router = APIRouter(tags=["subscriptions"])
TOTAL_HEADER = "Steward-Subscriptions-Total"
TOTAL_TEXT = "How many subscriptions the product has, including those not shown to the caller."


@router.post("/products/{name}/subscriptions", status_code=201, response_model=SubscriptionOut)
def subscribe(name: ProductName, body: SubscriptionIn, ctx: Ctx, actor: Caller) -> SubscriptionOut:
    """Subscribe the caller to a product (all columns, named columns, or the columns SQL reads)."""
    with ctx.db.writing() as session:
        sub = uc.subscribe(
            session,
            actor=actor,
            product=name,
            columns=body.columns,
            sql=body.sql,
            version=body.version,
            channels=body.channels,
            all_changes=body.all_changes,
            limits=ctx.limits,
            now=ctx.clock(),
            webhook_policy=TargetPolicy(ctx.settings.webhook_allowed_hosts),
            runner=ctx.worker,
        )
    return SubscriptionOut.model_validate(sub)


@router.get(
    "/products/{name}/subscriptions",
    response_model=list[SubscriptionOut],
    responses={200: {"headers": {TOTAL_HEADER: {"description": TOTAL_TEXT}}}},
)
def list_subscriptions(
    name: ProductName,
    ctx: Ctx,
    actor: Caller,
    page: PageQuery,
    request: Request,
    response: Response,
) -> list[SubscriptionOut]:
    """A product's subscriptions, oldest first, a page at a time (`limit`, `cursor`): all of
    them for its owners and admins, else the caller's own (the header counts them all);
    webhook URLs are masked but to their consumer."""
    with ctx.db.reading() as session:
        found, total = uc.list_subscriptions(session, name, actor, page)
    response.headers[TOTAL_HEADER] = str(total)
    next_page(request, response, found.next_after)
    return [SubscriptionOut.model_validate(s) for s in found.items]


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def unsubscribe(subscription_id: Id, ctx: Ctx, actor: Caller) -> Response:
    """Delete one of the caller's own subscriptions."""
    with ctx.db.writing() as session:
        uc.unsubscribe(session, actor=actor, subscription_id=subscription_id, now=ctx.clock())
    return Response(status_code=204)
