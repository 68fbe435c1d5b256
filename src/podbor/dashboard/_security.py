"""The dashboard's guard: an ASGI middleware in front of every route.

It checks, in this order:

* the ``Host`` header, against the loopback names, the host the server binds and
  ``allowed_hosts`` (a page on another name reaching a local server is DNS rebinding);
* the access token, when one is set: ``Authorization: Bearer T`` or the cookie
  :data:`TOKEN_COOKIE`; ``GET /?token=T`` sets the cookie and redirects to ``/``, so that the
  token leaves the address bar and the browser history;
* for a request that may change something (any method but GET, HEAD and OPTIONS), when writes
  are enabled: the ``X-CSRF-Token`` header and, when present, the ``Origin`` header, which
  must name the same host.

Every response gets the security headers of :data:`SECURITY_HEADERS`. Starlette is imported
only by the modules that build the application; this one speaks plain ASGI.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "CSRF_HEADER",
    "LOOPBACK_HOSTS",
    "SECURITY_HEADERS",
    "TOKEN_COOKIE",
    "SecurityMiddleware",
    "host_name",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "podbor_dashboard_token"
"""The cookie that carries the access token once ``/?token=T`` was opened."""

CSRF_HEADER = "x-csrf-token"
"""The header a write request carries, holding ``/api/config``'s ``csrf_token``."""

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
"""Host names always accepted (with any port)."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
"""Headers added to every response: no foreign or inline script, no framing, no sniffing, no
referrer. ``'unsafe-eval'`` is there for plotly.js alone: its WebGL traces (``scattergl``, used
past 2,000 points) compile their shaders' draw calls with ``new Function``; without it plotly
shows "WebGL is not supported" and the page falls back to slow SVG."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNAUTHORIZED_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>podbor dashboard</title>"
    "<link rel='icon' href='data:,'></head>"  # no /favicon.ico request, refused in turn
    "<body><h1>Access token needed</h1><p>This dashboard needs its access token. Open the "
    "address that <code>podbor dashboard</code> printed when it started (it ends with "
    "<code>?token=...</code>).</p></body></html>"
)


def host_name(host: str) -> str:
    """The name part of a ``Host`` header or bind address, lowercased, without the port.

    An IPv6 address keeps (or gets) its brackets, as a ``Host`` header writes it.

    Example:
        >>> host_name("LocalHost:8080"), host_name("[::1]:80"), host_name("::1")
        ('localhost', '[::1]', '[::1]')
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    if host.count(":") > 1:  # a bare IPv6 address (a bind address)
        return f"[{host}]"
    return host.partition(":")[0]


class SecurityMiddleware:
    """Host check, access token and CSRF check in front of an ASGI application.

    Args:
        app: The application behind the guard.
        token: The access token; None to need none.
        csrf_token: The token write requests must carry; None when writes are disabled (the
            write routes then do not exist, and nothing is checked here).
        allowed_hosts: Host names accepted besides the loopback names (``"*"``: any).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        csrf_token: str | None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.app = app
        self._token = token
        self._csrf_token = csrf_token
        hosts = {host_name(h) for h in allowed_hosts if h.strip()}
        self._any_host = "*" in hosts
        self._hosts = frozenset(hosts | LOOPBACK_HOSTS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing to check
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self._any_host and host_name(host) not in self._hosts:
            await _respond(send, scope, 400, "Invalid Host header")
            return
        if self._token is not None and not await self._authorized(scope, headers, send):
            return
        if self._csrf_token is not None and scope["method"] not in _SAFE_METHODS:
            refusal = self._csrf_refusal(headers, host)
            if refusal is not None:
                await _respond(send, scope, 403, refusal)
                return
        await self.app(scope, receive, send)

    async def _authorized(self, scope: Scope, headers: dict[str, str], send: Send) -> bool:
        """Whether the request carries the token; if not, the refusal (or redirect) is sent."""
        assert self._token is not None
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        at_root = scope["path"] == "/" and scope["method"] in ("GET", "HEAD")
        if at_root and "token" in query and _same(query["token"][-1], self._token):
            await _redirect_with_cookie(send, self._token)  # the token leaves the address bar
            return False
        given = _bearer(headers.get("authorization", "")) or _cookie(headers.get("cookie", ""))
        if given is not None and _same(given, self._token):
            return True
        what = "a wrong access token" if given is not None or "token" in query else "no token"
        await _respond(
            send,
            scope,
            401,
            f"The dashboard needs its access token and the request carried {what}: send "
            "'Authorization: Bearer TOKEN', or open the address `podbor dashboard` printed.",
            page=_UNAUTHORIZED_PAGE,
        )
        return False

    def _csrf_refusal(self, headers: dict[str, str], host: str) -> str | None:
        """Why a write request is refused (CSRF token, Origin); None when it may go on."""
        assert self._csrf_token is not None
        given = headers.get(CSRF_HEADER)
        if given is None:
            return "A write request needs the X-CSRF-Token header (csrf_token of /api/config)."
        if not _same(given, self._csrf_token):
            return "The X-CSRF-Token header is wrong: reload the page to get the current one."
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.strip().lower():
            return f"The request's Origin {origin[:200]!r} does not match its Host {host[:200]!r}."
        return None


def _headers(scope: Scope) -> dict[str, str]:
    """The request's headers, names lowercased (the last one of a repeated name wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _bearer(value: str) -> str | None:
    """The token of ``Authorization: Bearer T``; None for no or another scheme."""
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _cookie(value: str) -> str | None:
    """The access token cookie's value; None when absent or unreadable."""
    try:
        jar: SimpleCookie = SimpleCookie(value)
    except Exception:  # a malformed Cookie header: as if absent
        return None
    morsel = jar.get(TOKEN_COOKIE)
    return morsel.value if morsel is not None else None


def _same(given: str, expected: str) -> bool:
    """Compare tokens in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _with_security_headers(send: Send) -> Send:
    """``send`` that adds :data:`SECURITY_HEADERS` to the response's start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {name.lower() for name, _ in message.get("headers", [])}
            extra = [h for h in SECURITY_HEADERS if h[0] not in present]
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return sending


async def _respond(
    send: Send, scope: Scope, status: int, message: str, *, page: str | None = None
) -> None:
    """Send an error: JSON ``{"error": message}`` for ``/api/...``, else ``page`` (or text)."""
    if scope["path"].startswith("/api/") or page is None:
        body = json.dumps({"error": message}).encode("utf-8")
        content_type = b"application/json"
    else:
        body = page.encode("utf-8")
        content_type = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect_with_cookie(send: Send, token: str) -> None:
    """Answer ``/?token=T``: set the token cookie and send the browser to ``/``."""
    cookie = f"{TOKEN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", b"/"),
                (b"set-cookie", cookie.encode("latin-1")),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
