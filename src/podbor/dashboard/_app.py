"""Building the dashboard's Starlette application, and serving it with uvicorn.

The application is the routes of :mod:`._routes` (and, with writes, :mod:`._write`) behind
two middlewares: the guard of :mod:`._security` (outermost: nothing runs for a request it
refuses) and gzip for large answers. Any error becomes JSON under ``/api/`` and a short text
elsewhere; no traceback is ever sent.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

import podbor
from podbor.dashboard._plots import plot_figure
from podbor.dashboard._routes import (
    ApiResponse,
    Context,
    compressed_plotly_js,
    error_response,
    fallback_routes,
    read_routes,
)
from podbor.dashboard._security import LOOPBACK_HOSTS, SecurityMiddleware, host_name
from podbor.dashboard._source import Source, open_source
from podbor.dashboard._write import write_routes
from podbor.exceptions import InvalidArgumentError
from podbor.storages import BaseStorage

__all__ = [
    "build_app",
    "check_token",
    "create_app",
    "dashboard_url",
    "run_server",
    "serve",
    "warn_if_exposed",
]

_logger = podbor.logging.get_logger(__name__)

_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]+")
_GZIP_MIN_BYTES = 1024
_GZIP_LEVEL = 1
"""Fast compression: a 10⁵-trial figure is megabytes of JSON, which gzip's default level 9 takes
~0.2 s to compress on every request (level 1: ~20 ms, 10 % larger)."""


def create_app(
    storage: BaseStorage | str,
    *,
    allow_write: bool = False,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> Starlette:
    """The dashboard's ASGI application over ``storage`` (see :func:`podbor.dashboard.create_app`)."""
    return build_app(
        open_source(storage), allow_write=allow_write, token=token, allowed_hosts=allowed_hosts
    )


def build_app(
    source: Source,
    *,
    allow_write: bool = False,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> Starlette:
    """The application over an opened :class:`~._source.Source`.

    Args:
        source: The storage served.
        allow_write: Mount the write routes (refused for a snapshot, with a warning).
        token: The access token every request must carry; None for none.
        allowed_hosts: Host names accepted besides the loopback names (``"*"``: any).

    Raises:
        InvalidArgumentError: For a token that is empty or holds characters a cookie or URL
            cannot carry as they are.
    """
    check_token(token)
    if allow_write and source.snapshot:
        _logger.warning(
            f"{source.label} is an Optuna-format storage, served from a snapshot read once: "
            "it is shown read-only, whatever --allow-write says."
        )
        allow_write = False
    ctx = Context.create(source, allow_write=allow_write)
    routes = [*read_routes(), *(write_routes() if allow_write else []), *fallback_routes()]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SecurityMiddleware,
                token=token,
                csrf_token=ctx.csrf_token,
                allowed_hosts=list(allowed_hosts or ()),
            ),
            Middleware(GZipMiddleware, minimum_size=_GZIP_MIN_BYTES, compresslevel=_GZIP_LEVEL),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.dashboard = ctx
    return app


def check_token(token: str | None) -> None:
    """Refuse a token that a cookie or a URL could not carry unchanged.

    Raises:
        InvalidArgumentError: For an empty token or one with other characters than letters,
            digits and ``. _ ~ + / = -``.
    """
    if token is not None and (not isinstance(token, str) or not _TOKEN.fullmatch(token)):
        raise InvalidArgumentError(
            "The dashboard's token must be a non-empty string of letters, digits and "
            "'._~+/=-' (e.g. from `python -c 'import secrets; print(secrets.token_urlsafe())'`)."
        )


async def _http_error(request: Request, exc: Exception) -> Response:
    """A routing error (404, 405): JSON under ``/api/``, text elsewhere."""
    assert isinstance(exc, HTTPException)
    status, detail = exc.status_code, exc.detail
    writes = request.app.state.dashboard.allow_write
    if status == 405 and not writes and request.method not in ("GET", "HEAD"):
        status = 404  # the write routes do not exist at all
        detail = "No such route: writes are disabled (start the dashboard with --allow-write)."
    if request.url.path.startswith("/api/"):
        return ApiResponse({"error": detail}, status, headers=exc.headers)
    return PlainTextResponse(detail, status, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    """An error no handler caught: one line, logged with its traceback at DEBUG."""
    return error_response(exc)


# -- serving ------------------------------------------------------------------------------------
def run_server(
    storage: BaseStorage | str,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    allow_write: bool = False,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> None:
    """Serve the dashboard until interrupted (see :func:`podbor.dashboard.run_server`)."""
    source = open_source(storage)
    app = build_app(
        source,
        allow_write=allow_write,
        token=token,
        allowed_hosts=[host, *(allowed_hosts or ())],
    )
    serve(
        app,
        host,
        port,
        on_ready=lambda url: _logger.info(
            f"The dashboard of {source.label} is at {dashboard_url(url, token)}"
        ),
    )


def _warm_up(ctx: Context) -> None:
    """Read every study once, then build each one's history figure: the first plot a study's
    page asks for, which at 10⁵ trials takes the server about a second. Errors are left to the
    requests, which report them."""
    ctx.monitors.warm_up()
    with contextlib.suppress(Exception):
        for monitor in ctx.monitors.studies():
            with contextlib.suppress(Exception):
                plot_figure(monitor, "history")


def serve(app: Any, host: str, port: int, *, on_ready: Callable[[str], None]) -> None:
    """Listen on ``host:port`` (0: a free port), call ``on_ready(url)``, serve until Ctrl-C.

    uvicorn logs only warnings and errors, with no access log; Ctrl-C (or SIGTERM) stops it
    after the requests in flight, and this function then returns normally. Once listening, a
    background thread reads every study once (:meth:`~._monitor.Monitors.warm_up`) and builds its
    history figure, so that the first page opened does not wait for a large study's first read.

    Raises:
        InvalidArgumentError: When the address cannot be listened on (e.g. the port is taken).
    """
    import uvicorn

    warn_if_exposed(host)
    sock = _listen(host, port)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    bound = sock.getsockname()[1]
    name = host_name(host) if host_name(host).startswith("[") else host
    ctx = getattr(getattr(app, "state", None), "dashboard", None)
    if isinstance(ctx, Context):  # read the studies while the user opens the page
        threading.Thread(
            target=_warm_up, args=(ctx,), name="dashboard-warm-up", daemon=True
        ).start()
    threading.Thread(target=compressed_plotly_js, name="dashboard-gzip", daemon=True).start()
    on_ready(f"http://{name}:{bound}/")
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has stopped
        pass
    finally:
        sock.close()


def warn_if_exposed(host: str) -> None:
    """Log a warning when ``host`` is not a loopback address (others may reach the server)."""
    if host_name(host) not in LOOPBACK_HOSTS:
        _logger.warning(
            f"The dashboard listens on {host}, beyond this machine: anyone who reaches it sees "
            "the studies. Use --token (or PODBOR_DASHBOARD_TOKEN), and --allowed-hosts for the "
            "names it is reached by."
        )


def dashboard_url(url: str, token: str | None) -> str:
    """``url`` with ``?token=...`` when a token is set (the address to open)."""
    return url if token is None else f"{url}?token={quote(token, safe='')}"


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening (so that the printed address answers at
    once: connections queue until uvicorn accepts them)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(2048)
        except OSError:
            sock.close()
            raise
    except OSError as err:
        raise InvalidArgumentError(
            f"The dashboard cannot listen on {host}:{port}: {err.strerror or err}."
        ) from err
    sock.set_inheritable(True)
    return sock
