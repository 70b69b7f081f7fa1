"""The console's pages and forms, each calling the same use cases as the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from service.console.graph import impact_svg
from service.console.render import ConsoleRoute, console_of, status_of
from service.console.session import CSRF_FIELD
from service.console.views import (
    STATE_WORDS,
    ChangeLine,
    ImpactView,
    Moment,
    change_lines,
    impact_view,
    may_acknowledge,
    roles,
    schema_rows,
)
from service.domain import MAX_PAGE, ChangeRequest, Page, State, parse_duration
from service.errors import NotAuthenticated, StewardError
from service.store.outbox import expand_pending
from service.usecases import catalogue, changes, comments, inbox, products, subscriptions
from service.usecases.auth import authenticate, whoami
from service.usecases.common import stored_schema
from service.usecases.notices import visible_notices

router = APIRouter(prefix="/ui", route_class=ConsoleRoute, include_in_schema=False)
Csrf = Annotated[str | None, Form(alias=CSRF_FIELD)]
DONE = {
    "signed-in": "You are signed in.",
    "subscribed": "Subscribed.",
    "unsubscribed": "Unsubscribed.",
    "approve": "Approved.",
    "reject": "Rejected.",
    "acknowledge": "Acknowledged.",
    "withdraw": "Withdrawn.",
    "release": "Released.",
    "comment": "Comment posted.",
    "proposed": "Change request submitted.",
}


@dataclass(frozen=True, slots=True)
class Preview:
    """What submitting would create: the change request, its diff, impact and graph."""

    cr: ChangeRequest
    lines: list[ChangeLine]
    impact: ImpactView
    graph: Markup


def _see(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done", ""))


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> Response:
    """The sign-in form."""
    console = console_of(request)
    viewer = console.viewer(request)
    return console.page(request, viewer, "sign_in.html.j2", next=_next(request))


def _next(request: Request, value: str | None = None) -> str:
    target = value or request.query_params.get("next") or "/ui"
    return target if target.startswith("/ui") and not target.startswith("//") else "/ui"


@router.post("/sign-in")
def sign_in(
    request: Request,
    token: Annotated[str, Form(max_length=500)],
    csrf: Csrf = None,
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Check the token as the API does; on success a new session cookie."""
    console = console_of(request)
    viewer = console.viewer(request)
    console.sessions.check(request, viewer.session, csrf)
    try:
        with console.ctx.db.reading() as session:
            authenticate(session, token.strip() or None, console.clock())
    except NotAuthenticated as exc:
        return console.page(
            request,
            viewer,
            "sign_in.html.j2",
            status=401,
            next=_next(request, next),
            error=exc.message,
        )
    response = _see(_next(request, next), "signed-in")
    console.sessions.store(request, response, console.sessions.signed_in(token.strip()))
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Csrf = None) -> Response:
    """Forget the session."""
    console = console_of(request)
    console.sessions.check(request, console.viewer(request).session, csrf)
    response = RedirectResponse("/ui/sign-in", status_code=303)
    console.sessions.clear(response)
    return response


@router.get("", response_class=HTMLResponse)
def catalogue_page(request: Request) -> Response:
    """The catalogue: every product, or those matching the search."""
    console = console_of(request)
    viewer = console.viewer(request)
    viewer.me  # noqa: B018 - sign-in first
    query = request.query_params.get("q", "")[: catalogue.MAX_QUERY]
    with console.ctx.db.reading() as session:
        entries = catalogue.search_products(session, query)
    return console.page(
        request, viewer, "catalogue.html.j2", query=query, entries=entries, done=_done(request)
    )


@router.get("/products/{name}", response_class=HTMLResponse)
def product_page(request: Request, name: str) -> Response:
    """One product: people, policy, versions, schema, subscribers, change requests, Subscribe."""
    console = console_of(request)
    viewer = console.viewer(request)
    me = viewer.me
    now = console.clock()
    with console.ctx.db.reading() as session:
        product = products.get_product(session, name)
        versions = products.list_versions(session, name).items
        subs = subscriptions.list_subscriptions(session, name, me, ALL)[0].items
        crs = changes.list_change_requests(
            session, product=name, state=None, now=now, page=ALL, viewer=me
        ).items
    current = versions[-1]
    rows = schema_rows(stored_schema(current.source, product.dialect), product.dialect)
    return console.page(
        request,
        viewer,
        "product.html.j2",
        product=product,
        versions=versions,
        rows=rows,
        subscriptions=subs,
        mine=[s for s in subs if s.consumer_email == me.email],
        change_requests=crs,
        roles=roles(product, me.email),
        done=_done(request),
    )


@router.post("/products/{name}/subscribe")
def subscribe(
    request: Request,
    name: str,
    csrf: Csrf = None,
    column: Annotated[list[str] | None, Form()] = None,
    sql: Annotated[str | None, Form()] = None,
    email: Annotated[str | None, Form()] = None,
    webhook: Annotated[str | None, Form()] = None,
    all_changes: Annotated[str | None, Form()] = None,
) -> Response:
    """Subscribe the signed-in person: ticked columns, or the columns a query reads, or all."""
    console = console_of(request)
    me = console.checked(request, console.viewer(request), csrf)
    channels = (["email"] if email else []) + ([webhook.strip()] if webhook else [])
    with console.ctx.db.writing() as session:
        subscriptions.subscribe(
            session,
            actor=me,
            product=name,
            columns=column or None,
            sql=sql.strip() if sql and sql.strip() and not column else None,
            version=None,
            channels=channels or None,
            all_changes=bool(all_changes),
            limits=console.ctx.limits,
            now=console.clock(),
            runner=console.ctx.worker,
        )
    return _see(f"/ui/products/{name}", "subscribed")


@router.post("/subscriptions/{subscription_id}/unsubscribe")
def unsubscribe(
    request: Request,
    subscription_id: int,
    csrf: Csrf = None,
    back: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    """Delete one of the signed-in person's subscriptions."""
    console = console_of(request)
    me = console.checked(request, console.viewer(request), csrf)
    with console.ctx.db.writing() as session:
        subscriptions.unsubscribe(
            session, actor=me, subscription_id=subscription_id, now=console.clock()
        )
    return _see(_next(request, back), "unsubscribed")


def _timeline(cr: ChangeRequest, notices: list[Moment], extra: list[Moment]) -> list[Moment]:
    moments = [Moment(cr.created_at, "Proposed", f"by {cr.proposer}")]
    if cr.decided_at:
        verb = {State.REJECTED: "Rejected", State.WITHDRAWN: "Withdrawn"}.get(cr.state, "Approved")
        moments.append(Moment(cr.decided_at, verb, f"by {cr.approver}" if cr.approver else ""))
    moments += notices + extra
    if cr.released_at:
        moments.append(Moment(cr.released_at, "Released", f"as version {cr.target_version}"))
    dated = sorted((m for m in moments if m.at), key=lambda m: m.at or cr.created_at)
    return dated + [m for m in moments if m.at is None]


@router.get("/change-requests/{cr_id}", response_class=HTMLResponse)
def change_request_page(request: Request, cr_id: int) -> Response:
    """The review page."""
    console = console_of(request)
    viewer = console.viewer(request)
    me = viewer.me
    now = console.clock()
    expand_pending(console.ctx.db, cr_id)  # a notice batch not yet written out shows as rows
    with console.ctx.db.reading() as session:
        cr = changes.get_change_request(session, cr_id, now, me)
        remarks = comments.list_comments(session, cr_id).items
        product = products.get_product(session, cr.product)
        versions = products.list_versions(session, cr.product).items
        # The notices as the API shows them to this viewer (others' only to owners and admins).
        notices = [
            Moment(
                n.delivered_at or n.due_at,
                f"{n.kind.capitalize()} notice {n.state}",
                f"{n.channel} to {recipient}"
                + (f", {n.attempts} attempt(s)" if n.attempts else "")
                + (f": {n.last_error}" if n.last_error else ""),
                n.state,
            )
            for n, recipient in visible_notices(session, cr_id, me, ALL).items
        ]
    base = next((v for v in versions if v.version == cr.base_version), None)
    extra: list[Moment] = []
    if cr.earliest_effective_at and cr.state in (State.PROPOSED, State.SCHEDULED):
        extra.append(Moment(cr.earliest_effective_at, "Earliest effective date", ""))
        if cr.state is State.SCHEDULED:
            for ahead in product.reminders:
                extra.append(
                    Moment(
                        cr.earliest_effective_at - parse_duration(ahead),
                        "Reminder due",
                        f"{ahead} before the effective date",
                    )
                )
    elif cr.breaking and cr.state is State.SCHEDULED:
        extra.append(
            Moment(None, "Effective date", "set once every deprecation notice is delivered")
        )
    if base and base.sunset_at:
        extra.append(Moment(base.sunset_at, "Sunset", f"of version {base.version}"))
    lines = change_lines(cr.changes)
    impact = impact_view(cr.impact)
    my_roles = roles(product, me.email)
    return console.page(
        request,
        viewer,
        "change_request.html.j2",
        cr=cr,
        product=product,
        state_words=STATE_WORDS[cr.state],
        lines=lines,
        impact=impact,
        graph=impact_svg(lines, impact),
        comments=remarks,
        timeline=_timeline(cr, notices, extra),
        may_decide="owner" in my_roles and cr.state is State.PROPOSED,
        may_release="owner" in my_roles and cr.state is State.SCHEDULED,
        may_acknowledge=may_acknowledge(cr, me.email),
        done=_done(request),
    )


ACTIONS = {
    "approve": changes.approve,
    "reject": changes.reject,
    "acknowledge": changes.acknowledge,
    "withdraw": changes.withdraw,
    "release": changes.release,
}


# A page shows a product's subscribers and change requests whole (the most a page holds).
ALL = Page(limit=MAX_PAGE)

# The decisions that carry the comment box's text as their reason (audited, sent on).
TAKE_REASON = frozenset({"approve", "reject", "withdraw"})

# The actions that may release a version (and so re-diff the other open change request).
RELEASING = frozenset({"approve", "release"})


@router.post("/change-requests/{cr_id}/comment")
def comment(
    request: Request,
    cr_id: int,
    csrf: Csrf = None,
    body: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    """Comment on a change request: the API's use case (participants told, audited)."""
    console = console_of(request)
    me = console.checked(request, console.viewer(request), csrf)
    with console.ctx.db.writing() as session:
        comments.add_comment(session, actor=me, cr_id=cr_id, body=body, now=console.clock())
    return _see(f"/ui/change-requests/{cr_id}", "comment")


@router.post("/change-requests/{cr_id}/{action}")
def act(
    request: Request,
    cr_id: int,
    action: str,
    csrf: Csrf = None,
    comment: Annotated[str | None, Form(max_length=10_000)] = None,
) -> Response:
    """Approve, reject, acknowledge, withdraw or release: the API's use case, the same checks."""
    console = console_of(request)
    me = console.checked(request, console.viewer(request), csrf)
    operation = ACTIONS.get(action)
    if operation is None:
        return RedirectResponse(f"/ui/change-requests/{cr_id}", status_code=303)
    kwargs: dict[str, Any] = {}
    if comment and comment.strip() and action in TAKE_REASON:
        kwargs["reason"] = comment.strip()  # kept as the decision's reason, told to the proposer
    if action in RELEASING:  # a release re-diffs the other open change against the app's lineage
        console.ctx.lineage.top_up(console.ctx.db)
        kwargs["lineage"] = console.ctx.lineage
    with console.ctx.db.writing() as session:
        operation(session, actor=me, cr_id=cr_id, now=console.clock(), **kwargs)
    return _see(f"/ui/change-requests/{cr_id}", action)


@router.get("/waiting", response_class=HTMLResponse)
def waiting_page(request: Request) -> Response:
    """What waits for me: decisions, acknowledgements, failed deliveries; my subscriptions."""
    console = console_of(request)
    viewer = console.viewer(request)
    me = viewer.me
    with console.ctx.db.reading() as session:
        waiting = inbox.waiting_for(session, actor=me, now=console.clock())
        mine = [
            s
            for name in whoami(session, me).subscribed_to
            for s in subscriptions.list_subscriptions(session, name, me, ALL)[0].items
            if s.consumer_email == me.email
        ]
    return console.page(
        request, viewer, "waiting.html.j2", waiting=waiting, mine=mine, done=_done(request)
    )


@router.get("/products/{name}/propose", response_class=HTMLResponse)
def propose_page(request: Request, name: str) -> Response:
    """The propose form, with the current schema to start from."""
    console = console_of(request)
    viewer = console.viewer(request)
    viewer.me  # noqa: B018 - sign-in first
    with console.ctx.db.reading() as session:
        product = products.get_product(session, name)
        _version, ddl = products.get_version(session, name, "current")
    return console.page(
        request, viewer, "propose.html.j2", product=product, schema=ddl, summary="", preview=None
    )


@router.post("/products/{name}/propose")
def propose(
    request: Request,
    name: str,
    schema_text: Annotated[str, Form(alias="schema")],
    summary: Annotated[str, Form(max_length=500)] = "",
    intent: Annotated[str, Form()] = "preview",
    csrf: Csrf = None,
) -> Response:
    """Preview (the propose use case in a transaction rolled back) or submit a new schema."""
    console = console_of(request)
    viewer = console.viewer(request)
    me = console.checked(request, viewer, csrf)
    ctx = console.ctx
    with ctx.db.reading() as session:
        ctx.lineage.refresh(session)
        product = products.get_product(session, name)
    error: str | None = None
    status = 200
    preview: Preview | None = None
    try:
        database = ctx.db.writing() if intent == "submit" else ctx.db.reading()
        with database as session:
            cr = changes.propose(
                session,
                actor=me,
                product=name,
                schema=schema_text,
                renames=None,
                summary=summary.strip() or "(no summary)",
                limits=ctx.limits,
                now=console.clock(),
                lineage=ctx.lineage,
                runner=ctx.worker,
            )
        if intent == "submit":
            return _see(f"/ui/change-requests/{cr.id}", "proposed")
        lines = change_lines(cr.changes)
        impact = impact_view(cr.impact)
        preview = Preview(cr, lines, impact, impact_svg(lines, impact))
    except StewardError as exc:
        error, status = exc.message, status_of(exc)
    return console.page(
        request,
        viewer,
        "propose.html.j2",
        status=status,
        product=product,
        schema=schema_text,
        summary=summary,
        preview=preview,
        error=error,
    )
