"""Deprecation (RFC 9745), Sunset (RFC 8594) and successor-version Link headers for a version."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime
from urllib.parse import quote

from service.domain import SemVer, Version


def deprecation_headers(
    product: str, found: Version, versions: Sequence[Version]
) -> dict[str, str]:
    """The headers a GET of a deprecated version answers with; empty for a current version.

    >>> from datetime import datetime, UTC
    >>> t = datetime(2026, 3, 1, tzinfo=UTC)
    >>> old = Version("1.0.0", {}, "", t, deprecated_at=t, sunset_at=t)
    >>> new = Version("2.0.0", {}, "", t)
    >>> deprecation_headers("sales.orders", old, [old, new])["Sunset"]
    'Sun, 01 Mar 2026 00:00:00 GMT'
    """
    if found.deprecated_at is None:
        return {}
    headers = {"Deprecation": f"@{int(found.deprecated_at.timestamp())}"}
    if found.sunset_at is not None:
        headers["Sunset"] = format_datetime(found.sunset_at, usegmt=True)
    url = successor_url(product, found, versions)
    if url is not None:
        headers["Link"] = f'<{url}>; rel="successor-version"'
    return headers


def successor_url(product: str, found: Version, versions: Sequence[Version]) -> str | None:
    """The path of the next version after `found`, or None for the newest."""
    this = SemVer.parse(found.version)
    later = sorted(SemVer.parse(v.version) for v in versions)
    successor = next((v for v in later if v > this), None)
    if successor is None:
        return None
    return f"/products/{quote(product, safe='')}/versions/{successor}"
