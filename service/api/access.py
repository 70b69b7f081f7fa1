"""Who may call each route: ONE table, rendered into docs/api.md and tested cell by cell
(tests/integration/test_authorization.py). `python -m service.api.access` prints it."""

from __future__ import annotations

from typing import Final, Literal

Cell = Literal["yes", "own", "no", "hidden", "login"]
ROLES = (
    "anonymous",
    "admin",
    "owner",
    "other_owner",
    "maintainer",
    "subscriber",
    "other_consumer",
)
ROLE_WORDS = {
    "anonymous": "no token",
    "admin": "an admin",
    "owner": "an owner of the product",
    "other_owner": "an owner of another product",
    "maintainer": "a maintainer of the product",
    "subscriber": "a consumer subscribed to the product (and reached by the change)",
    "other_consumer": "any other token",
}
CELL_WORDS = {
    "yes": "allowed (2xx)",
    "own": "allowed, but only the caller's own records are listed (2xx)",
    "no": "403 `forbidden`",
    "hidden": "404 `not_found` (another's record is never confirmed)",
    "login": "401 `unauthenticated`",
}

_: Final[Cell] = "login"
ANYONE: tuple[Cell, ...] = (_, "yes", "yes", "yes", "yes", "yes", "yes")
ADMINS: tuple[Cell, ...] = (_, "yes", "no", "no", "no", "no", "no")
OWNERS: tuple[Cell, ...] = (_, "no", "yes", "no", "no", "no", "no")
OWNERS_AND_ADMINS: tuple[Cell, ...] = (_, "yes", "yes", "no", "no", "no", "no")
SEE_OWN: tuple[Cell, ...] = (_, "yes", "yes", "own", "own", "own", "own")

#: route ("METHOD /path" as in the OpenAPI schema) -> one cell per role, in ROLES order
ACCESS: dict[str, tuple[Cell, ...]] = {
    "GET /health": ("yes", "yes", "yes", "yes", "yes", "yes", "yes"),
    "POST /products": ADMINS,
    "GET /products": ANYONE,
    "GET /products/{name}": ANYONE,
    "GET /products/{name}/versions": ANYONE,
    "GET /products/{name}/versions/{version}": ANYONE,
    "POST /products/{name}/subscriptions": ANYONE,
    "GET /products/{name}/subscriptions": SEE_OWN,
    "DELETE /subscriptions/{subscription_id}": (_, "no", "no", "no", "no", "yes", "no"),
    "POST /products/{name}/change-requests": (_, "no", "yes", "no", "yes", "no", "no"),
    "POST /change-requests/{cr_id}/approve": OWNERS,
    "POST /change-requests/{cr_id}/reject": OWNERS,
    "POST /change-requests/{cr_id}/withdraw": OWNERS,
    "POST /change-requests/{cr_id}/acknowledge": (_, "no", "no", "no", "no", "yes", "no"),
    "POST /change-requests/{cr_id}/release": OWNERS,
    "GET /change-requests/{cr_id}": ANYONE,
    "GET /change-requests": ANYONE,
    "GET /change-requests/{cr_id}/notices": SEE_OWN,
    "POST /lineage/sql": ADMINS,
    "POST /lineage/dbt": ADMINS,
    "POST /api/v1/lineage": ADMINS,
    "POST /diff": ANYONE,
    "PATCH /products/{name}": OWNERS_AND_ADMINS,
    "POST /products/{name}/retire": OWNERS_AND_ADMINS,
    "POST /products/{name}/check": ANYONE,
    "POST /change-requests/{cr_id}/comments": ANYONE,
    "GET /change-requests/{cr_id}/comments": ANYONE,
    "GET /change-requests/{cr_id}/migration": SEE_OWN,
    "GET /me": ANYONE,
    "GET /tokens": (_, "yes", "own", "own", "own", "own", "own"),
    "DELETE /tokens/{token_id}": (_, "yes", "hidden", "hidden", "hidden", "yes", "hidden"),
    "GET /audit": ADMINS,
    "GET /audit?product={name}": OWNERS_AND_ADMINS,
}


def render() -> str:
    """The table as markdown, as docs/api.md shows it."""
    head = "| route | " + " | ".join(r.replace("_", " ") for r in ROLES) + " |"
    rule = "| --- |" + " --- |" * len(ROLES)
    rows = [f"| `{route}` | " + " | ".join(cells) + " |" for route, cells in ACCESS.items()]
    roles = [f"- **{r.replace('_', ' ')}**: {w}" for r, w in ROLE_WORDS.items()]
    cells = [f"`{c}` {w}" for c, w in CELL_WORDS.items()]
    return "\n".join([head, rule, *rows, "", *roles, "", "Cells: " + "; ".join(cells) + "."])


if __name__ == "__main__":
    print(render())
