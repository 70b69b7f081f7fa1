"""Deliver a notice as a signed JSON POST (Steward's own fields, or Slack's incoming-webhook
blocks for a Slack URL) and verify such signatures."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from notifications.message import Message, Outcome, Status, iso_utc
from notifications.render import subject

SIGNATURE_HEADER = "X-Steward-Signature"
TIMESTAMP_HEADER = "X-Steward-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class UnsafeTarget(ValueError):
    """A webhook URL Steward will not post to: not http(s), or an address inside the network."""


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    """Where webhooks may go: public addresses, plus the host names and networks allowed here
    (`STEWARD_WEBHOOK_ALLOWED_HOSTS`, e.g. `hooks.internal,10.1.0.0/16`)."""

    allowed: tuple[str, ...] = ()

    def allows_name(self, host: str) -> bool:
        """Whether a host name is allowed by name (then it is not resolved and checked)."""
        return _norm(host) in {_norm(a) for a in self.allowed if not _network(a)}

    def allows_address(self, address: Address) -> bool:
        """Whether an inside address lies in an allowed network (or is an allowed address)."""
        networks = [n for n in (_network(a) for a in self.allowed) if n is not None]
        return any(address.version == n.version and address in n for n in networks)


def _norm(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(_norm(text), strict=False)
    except ValueError:
        return None


def inside(address: Address) -> str | None:
    """Which kind of non-public address this is (`loopback`, `private`, ...), None if public.

    >>> [inside(ipaddress.ip_address(a)) for a in ("169.254.169.254", "::1", "10.0.0.1", "8.8.8.8")]
    ['link-local', 'loopback', 'private', None]
    >>> inside(ipaddress.ip_address("::ffff:127.0.0.1")), inside(ipaddress.ip_address("224.0.0.1"))
    ('loopback', 'multicast')
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-global"


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for a host (raises OSError when none)."""
    return sorted(
        {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    )


def check_target(
    url: str, policy: TargetPolicy, *, resolve: Resolver | None = system_resolver
) -> list[Address]:
    """The addresses a webhook URL may be posted to; UnsafeTarget when any is inside.

    An allowed host name answers [] (post by name). With `resolve=None` a name that is not
    an address literal is not looked up (it is checked again, resolved, when sending).

    >>> check_target("http://169.254.169.254/latest/meta-data", TargetPolicy())
    Traceback (most recent call last):
    ...
    notifications.webhook.UnsafeTarget: webhook 169.254.169.254 is a link-local address; ...
    >>> check_target("http://[::1]:8231/x", TargetPolicy(("::1",)))
    [IPv6Address('::1')]
    """
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeTarget(f"{url!r} is not an http(s) URL")
    if policy.allows_name(host):
        return []
    try:
        addresses: list[Address] = [ipaddress.ip_address(_norm(host))]
    except ValueError:
        if resolve is None:
            return []
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    for address in addresses:
        kind = inside(address)
        if kind is not None and not policy.allows_address(address):
            shown = host if str(address) == _norm(host) else f"{host} resolves to {address}, which"
            raise UnsafeTarget(
                f"webhook {shown} is a {kind} address; Steward posts only to public addresses "
                "unless STEWARD_WEBHOOK_ALLOWED_HOSTS names the host"
            )
    return addresses


def payload(message: Message, *, now: datetime) -> dict[str, Any]:
    """The JSON body: the notice's fields plus a one-paragraph `text` for Slack-style receivers."""
    changes = [
        {
            "target": c.target,
            "table": c.table,
            "column": c.column,
            "kind": c.kind,
            "verdict": c.verdict,
            "reason": c.reason,
            "before": c.before,
            "after": c.after,
        }
        for c in message.changes
    ]
    lines = [f"*{subject(message)}*"]
    lines += [f"• `{c.target}` ({c.verdict}): {c.reason}" for c in message.changes]
    if message.touched:
        lines.append("Touches your: " + ", ".join(f"`{t}`" for t in message.touched))
    if message.change_request_url:
        lines.append(f"Change request: {message.change_request_url}")
    return {
        "text": "\n".join(lines),
        "notice_id": message.notice_id,
        "message_id": message.message_id,
        "kind": message.kind.value,
        "product": message.product,
        "old_version": message.old_version,
        "new_version": message.new_version,
        "proposed_at": _iso(message.proposed_at),
        "effective_at": _iso(message.effective_at),
        "sunset_at": _iso(message.sunset_at),
        "changes": changes,
        "touched": list(message.touched),
        "compatibility_views": [
            {"table": v.table, "name": v.name, "sql": v.sql, "warnings": list(v.warnings)}
            for v in message.views
        ],
        "rewrites": [
            {
                "subscription": r.subscription,
                "status": r.status,
                "sql": r.sql,
                "breaks": list(r.breaks),
            }
            for r in message.rewrites
        ],
        "acknowledge_url": message.acknowledge_url,
        "sent_at": iso_utc(now),
    }


SLACK_PREFIX = "slack+"
SLACK_HOSTS = ("hooks.slack.com",)
MAX_SLACK_CHANGES = 10  # Slack allows 50 blocks; a notice stays readable with fewer


def is_slack(url: str) -> bool:
    """Whether a webhook URL speaks Slack's incoming-webhook format: a Slack URL, or any URL
    written `slack+https://...` (Mattermost, Rocket.Chat and others accept the same format).

    >>> is_slack("https://hooks.slack.com/services/T0/B0/x"), is_slack("https://example.com/h")
    (True, False)
    >>> is_slack("slack+http://127.0.0.1:9000/hooks/x")
    True
    """
    if url.startswith(SLACK_PREFIX):
        return True
    return httpx.URL(url).host in SLACK_HOSTS


def target_url(url: str) -> str:
    """The URL to POST to (without the `slack+` marker).

    >>> target_url("slack+https://chat.example.com/hooks/x")
    'https://chat.example.com/hooks/x'
    """
    return url.removeprefix(SLACK_PREFIX)


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack's incoming-webhook body: a fallback `text` and blocks with the diff and links."""
    title = subject(message)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
    ]
    dates = [f"*{message.old_version}* → *{message.new_version}*"]
    if message.effective_at is not None:
        dates.append(f"effective {iso_utc(message.effective_at)}")
    if message.sunset_at is not None:
        dates.append(f"{message.old_version} retired {iso_utc(message.sunset_at)}")
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": " · ".join(dates)}})
    if message.note:
        who = f"{_slack_escape(message.note_author)}: " if message.note_author else ""
        quote = f"> {who}{_slack_escape(message.note)}"[:2900]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quote}})
    shown = message.changes[:MAX_SLACK_CHANGES]
    if shown:
        lines = [
            f"• `{_slack_escape(c.target)}` _{c.verdict}_: {_slack_escape(c.reason)}" for c in shown
        ]
        if len(message.changes) > len(shown):
            lines.append(f"…and {len(message.changes) - len(shown)} more")
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}}
        )
    if message.touched:
        touched = ", ".join(f"`{_slack_escape(t)}`" for t in message.touched)
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Touches: {touched}"[:2900]}],
            }
        )
    if message.change_request_url:
        link = f"<{message.change_request_url}|Open the change request>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
    return {"text": title, "blocks": blocks}


def _slack_escape(text: str) -> str:
    """Slack's three control characters escaped, so names and reasons show as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment is not None else None


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=` and the hex HMAC-SHA256 of the body.

    >>> sign("s3cret", b"{}")
    'sha256=adbde1ce40c89c14215687d5d762a47df6dfaefcfad61e2e86718ffc8498571b'
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether a received `X-Steward-Signature` header matches the body (constant-time compare).

    >>> body = b'{"kind": "sunset"}'
    >>> verify_signature("s3cret", body, sign("s3cret", body))
    True
    >>> verify_signature("s3cret", body + b" ", sign("s3cret", body))
    False
    """
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(secret, body), header)


def classify(status_code: int) -> Status:
    """An HTTP status as an outcome: 2xx delivered; 408, 429 and 5xx transient; other failed.

    >>> classify(204), classify(429), classify(503), classify(404)
    (<Status.DELIVERED: 'delivered'>, <Status.TRANSIENT: 'transient'>, <Status.TRANSIENT: 'transient'>, <Status.FAILED: 'failed'>)
    """
    if 200 <= status_code < 300:
        return Status.DELIVERED
    if status_code in (408, 429) or status_code >= 500:
        return Status.TRANSIENT
    return Status.FAILED


async def post_notice(
    client: httpx.AsyncClient,
    message: Message,
    *,
    now: datetime | None = None,
    policy: TargetPolicy | None = None,
) -> Outcome:
    """POST one notice to its webhook; never raises, the outcome says what happened.

    The host is resolved and every address checked against the policy first; the request then
    goes to the checked address (so a second lookup cannot point it inside), redirects are not
    followed, and of the answer only its status is kept, never the receiver's body.
    """
    if not message.webhook_url or not message.webhook_secret:
        raise ValueError(f"notice {message.notice_id} has no webhook URL and secret")
    moment = now or datetime.now(UTC)
    slack = is_slack(message.webhook_url)
    data = slack_payload(message) if slack else payload(message, now=moment)
    body = json.dumps(data, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(message.webhook_secret, body),
        TIMESTAMP_HEADER: str(int(moment.timestamp())),
        IDEMPOTENCY_HEADER: message.message_id,
        "User-Agent": "steward-notices",
    }
    url = httpx.URL(target_url(message.webhook_url))
    extensions: dict[str, Any] = {}
    try:
        addresses = await asyncio.to_thread(check_target, str(url), policy or TargetPolicy())
    except UnsafeTarget as exc:
        return _outcome(message, Status.FAILED, f"refused: {exc}", None)
    except OSError as exc:
        return _outcome(message, Status.TRANSIENT, f"cannot resolve {url.host}: {exc}", None)
    if addresses:  # pin the checked address; keep the name for Host, TLS SNI and certificate
        headers["Host"] = url.netloc.decode("ascii")
        extensions["sni_hostname"] = url.host
        url = url.copy_with(host=str(addresses[0]))
    try:
        response = await client.post(
            url, content=body, headers=headers, extensions=extensions, follow_redirects=False
        )
    except httpx.TransportError as exc:
        return _outcome(message, Status.TRANSIENT, f"{type(exc).__name__}: {exc}", None)
    code = response.status_code
    return _outcome(message, classify(code), status_detail(code), code)


def status_detail(code: int) -> str:
    """What is kept of a receiver's answer: its status code and the standard reason phrase
    (never the receiver's own phrase or its body).

    >>> status_detail(500), status_detail(299)
    ('500 Internal Server Error', '299')
    """
    return f"{code} {httpx.codes.get_reason_phrase(code)}".strip()


_STATUS_LINE = re.compile(r"^([1-5][0-9][0-9])(?: |:|$)")


def safe_detail(detail: str) -> str:
    """A webhook notice's stored error in the form this release writes: a receiver's answer as
    `status_detail` of its code, whatever older releases kept after it (its reason phrase,
    the first 200 characters of its body); Steward's own words (a refused or unresolved
    target, a transport error) as they are.

    >>> safe_detail("500 Internal Server Error: {'token': 's3cr3t'}")
    '500 Internal Server Error'
    >>> safe_detail("404 Whatever the receiver said"), safe_detail("ConnectError: refused")
    ('404 Not Found', 'ConnectError: refused')
    """
    found = _STATUS_LINE.match(detail)
    return status_detail(int(found.group(1))) if found else detail


def _outcome(message: Message, status: Status, detail: str, code: int | None) -> Outcome:
    return Outcome(message.notice_id, "webhook", status, message.message_id, detail, code)
