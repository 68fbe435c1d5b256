"""The dashboard's read routes: the JSON API the page calls, and the page's files.

Handlers are plain (synchronous) functions: the storage blocks, and Starlette runs such
handlers in its thread pool. Each answer is JSON encoded by :func:`podbor.dashboard._json.dumps`
(non-finite floats as strings, numpy values as numbers). An error is ``{"error": message}``:
a wrong query argument is 400, an unknown study or trial 404, podbor's own errors 400 (a
finished trial told again: 409), anything else 500 with a one-line message; the traceback is
only logged (at DEBUG), never sent.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

import podbor
from podbor.dashboard._json import dumps, trial_detail, trial_row
from podbor.dashboard._monitor import NOTE_KEY, Monitors, StudyMonitor
from podbor.dashboard._source import Source
from podbor.dashboard._table import TableQueryError, query_trials
from podbor.exceptions import PodborError, UpdateFinishedTrialError
from podbor.trial import TrialState

__all__ = [
    "NOTE_KEY",
    "STATIC_DIR",
    "ApiResponse",
    "BadRequest",
    "Context",
    "api",
    "context",
    "error_response",
    "fallback_routes",
    "int_argument",
    "read_routes",
]

_logger = podbor.logging.get_logger(__name__)

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
"""The page's files (index.html, app.js, app.css)."""

_DEFAULT_LIMIT = 50
_MAX_SHOWN = 200  # characters of a wrong argument that an error message shows


@dataclass
class Context:
    """What every handler needs: the storage, its monitors and the server's settings.

    Attributes:
        source: The storage served, its label and whether it is a snapshot.
        monitors: One live snapshot per study.
        allow_write: Whether the write routes exist.
        csrf_token: The token write requests carry; None without writes.
    """

    source: Source
    monitors: Monitors
    allow_write: bool = False
    csrf_token: str | None = field(default=None)

    @classmethod
    def create(cls, source: Source, *, allow_write: bool) -> Context:
        """The context of a new application (a fresh CSRF token when writes are enabled)."""
        return cls(
            source,
            Monitors(source.storage),
            allow_write,
            secrets.token_urlsafe(32) if allow_write else None,
        )


class ApiResponse(JSONResponse):
    """A JSON response encoded as the API encodes everything (see :mod:`._json`)."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


class BadRequest(ValueError):
    """A query argument the API cannot use (answered with 400)."""


def context(request: Request) -> Context:
    """The application's :class:`Context`."""
    ctx: Context = request.app.state.dashboard
    return ctx


def error_response(err: BaseException) -> ApiResponse:
    """The JSON answer for an error raised by a handler (see the module's docstring)."""
    if isinstance(err, UpdateFinishedTrialError):
        status = 409
    elif isinstance(err, KeyError):  # no such study or trial (StudyNotFoundError too)
        status = 404
    elif isinstance(err, (BadRequest, TableQueryError, PodborError, ValueError)):
        status = 400
    else:
        _logger.debug("A dashboard request failed:", exc_info=err)
        kind = type(err).__name__
        return ApiResponse({"error": f"Internal error: {kind}: {_one_line(err)}"}, 500)
    return ApiResponse({"error": _one_line(err)}, status)


def _one_line(err: BaseException) -> str:
    """An error's message on one line (a KeyError's without its quotes)."""
    message = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def api(handler: Callable[[Request], Any]) -> Callable[[Request], Response]:
    """Turn ``handler`` (request → body) into an endpoint answering JSON, errors included."""

    @functools.wraps(handler)
    def endpoint(request: Request) -> Response:
        try:
            body = handler(request)
        except Exception as err:
            return error_response(err)
        return body if isinstance(body, Response) else ApiResponse(body)

    return endpoint


# -- arguments ------------------------------------------------------------------------------------
def int_argument(value: str | None, name: str, *, default: int | None = None) -> int:
    """A query or path argument that must be an integer.

    Raises:
        BadRequest: When it is missing (without a default) or not an integer.
    """
    if value is None or value == "":
        if default is None:
            raise BadRequest(f"The argument {name!r} is needed: an integer.")
        return default
    try:
        return int(value)
    except ValueError:
        raise BadRequest(
            f"The argument {name!r} must be an integer. Got {value[:_MAX_SHOWN]!r} instead."
        ) from None


def monitor_of(request: Request) -> StudyMonitor:
    """The monitor of the study the path names, refreshed (at most every half second).

    Raises:
        KeyError: For no such study (404).
    """
    study_id = int_argument(request.path_params["study_id"], "study_id")
    monitor = context(request).monitors.get(study_id)
    monitor.refresh()
    return monitor


# -- handlers ------------------------------------------------------------------------------------
@api
def _config(request: Request) -> dict[str, Any]:
    ctx = context(request)
    return {
        "version": podbor.__version__,
        "allow_write": ctx.allow_write,
        "csrf_token": ctx.csrf_token,
        "storage": ctx.source.label,
        "snapshot": ctx.source.snapshot,
    }


@api
def _studies(request: Request) -> dict[str, Any]:
    monitors = context(request).monitors.studies()
    return {"studies": [monitor.summary() for monitor in monitors]}  # each refreshes itself


@api
def _study(request: Request) -> dict[str, Any]:
    return monitor_of(request).details()


@api
def _trials(request: Request) -> dict[str, Any]:
    query = request.query_params
    monitor = monitor_of(request)
    body = query_trials(
        monitor,
        sort=query.get("sort") or "number",
        order=query.get("order") or "asc",
        filters=[f for f in query.getlist("filter") if f.strip()],
        offset=int_argument(query.get("offset"), "offset", default=0),
        limit=int_argument(query.get("limit"), "limit", default=_DEFAULT_LIMIT),
    )
    body.setdefault("cursor", monitor.cursor)
    return body


@api
def _trial(request: Request) -> dict[str, Any]:
    monitor = monitor_of(request)
    trial = monitor.trial(int_argument(request.path_params["number"], "number"))
    heartbeat = None
    if trial.state == TrialState.RUNNING:
        get_heartbeat = getattr(context(request).source.storage, "get_trial_heartbeat", None)
        if callable(get_heartbeat):
            heartbeat = get_heartbeat(trial._trial_id)
    return trial_detail(trial, heartbeat)


@api
def _changes(request: Request) -> dict[str, Any]:
    monitor = monitor_of(request)
    cursor = int_argument(request.query_params.get("cursor"), "cursor", default=0)
    new_cursor, reset, changed = monitor.changes(cursor)
    return {
        "cursor": new_cursor,
        "reset": reset,
        "rows": [trial_row(t) for t in changed],
        "summary": monitor.summary(),
    }


@api
def _plot(request: Request) -> dict[str, Any]:
    from podbor.dashboard._plots import PlotQueryError, plot_figure  # plotly: when first drawn

    monitor = monitor_of(request)
    query = request.query_params
    target = query.get("target")
    params = query.get("params")
    try:
        body = plot_figure(
            monitor,
            request.path_params["kind"],
            target=None if target in (None, "") else int_argument(target, "target"),
            params=None if params is None else [p for p in params.split(",") if p],
        )
    except PlotQueryError as err:
        raise BadRequest(str(err)) from None
    body.setdefault("cursor", monitor.cursor)
    return body


def _page(request: Request) -> Response:
    """The single page (its routes live in the URL's hash)."""
    path = os.path.join(STATIC_DIR, "index.html")
    if not os.path.isfile(path):
        return Response("The dashboard's page is missing from the package.", 500)
    return FileResponse(path, media_type="text/html", headers={"cache-control": "no-cache"})


def _plotly_js(request: Request) -> Response:
    """plotly.js from the installed plotly package (never fetched from the network), gzipped
    once per server (:func:`compressed_plotly_js`) rather than on every request."""
    path = plotly_js_path()
    if path is None:
        return Response("plotly is not installed: pip install 'podbor[dashboard]'", 404)
    # an hour without asking again (4.6 MB; an upgrade of plotly shows within the hour)
    headers = {"cache-control": "public, max-age=3600", "vary": "Accept-Encoding"}
    packed = _PLOTLY_GZ.get(path)
    if packed is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"  # the gzip middleware leaves it as it is
        return Response(packed, media_type="text/javascript", headers=headers)
    return FileResponse(path, media_type="text/javascript", headers=headers)


_PLOTLY_GZ: dict[str, bytes] = {}


def compressed_plotly_js() -> None:
    """Gzip plotly.min.js once, at full compression (a server calls this in the background
    when it starts: about a second of CPU that every later page load then saves; until it is
    done the file is sent as the middleware compresses it)."""
    path = plotly_js_path()
    if path is not None and path not in _PLOTLY_GZ:
        with open(path, "rb") as file:
            _PLOTLY_GZ[path] = gzip.compress(file.read(), compresslevel=9, mtime=0)


def plotly_js_path() -> str | None:
    """The file ``plotly.min.js`` of the installed plotly package; None without plotly."""
    spec = importlib.util.find_spec("plotly")  # found, not imported: plotly is slow to import
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(spec.submodule_search_locations[0], "package_data", "plotly.min.js")
    return path if os.path.isfile(path) else None


def _not_found(request: Request) -> Response:
    """Any other ``/api/...`` path: a JSON 404."""
    return ApiResponse({"error": f"No API route {request.url.path[:_MAX_SHOWN]!r}."}, 404)


def read_routes() -> list[BaseRoute]:
    """The routes that exist with or without writes."""
    study = "/api/studies/{study_id}"
    return [
        Route("/", _page, methods=["GET"]),
        Route("/api/config", _config, methods=["GET"]),
        Route("/api/studies", _studies, methods=["GET"]),
        Route(study, _study, methods=["GET"]),
        Route(f"{study}/trials", _trials, methods=["GET"]),
        Route(f"{study}/trials/{{number}}", _trial, methods=["GET"]),
        Route(f"{study}/changes", _changes, methods=["GET"]),
        Route(f"{study}/plots/{{kind}}", _plot, methods=["GET"]),
        Route("/static/plotly.min.js", _plotly_js, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def fallback_routes() -> list[BaseRoute]:
    """The last routes: any other ``/api/...`` path answers a JSON 404."""
    return [Route("/api/{rest:path}", _not_found, methods=["GET", "HEAD"])]
