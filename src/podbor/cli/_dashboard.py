"""``podbor dashboard``: serve the live web dashboard over a storage until Ctrl-C.

The storage is opened without creating or changing anything (see
:mod:`podbor.dashboard._source`): a missing SQLite file, an empty or foreign database and an
older schema are refused with a one-line error; an Optuna-format database or journal is read
once and served read-only. Once the server listens, its address alone is printed to stdout (with
``?token=...`` when a token is set: opening it stores the token in a cookie); ``--port 0``
picks a free port. Ctrl-C stops the server and the command exits with 0.
"""

from __future__ import annotations

import argparse
import os
import sys

from podbor.cli._common import Command, invalid_option
from podbor.storages import BaseStorage

TOKEN_ENV_VAR = "PODBOR_DASHBOARD_TOKEN"
"""The environment variable read when ``--token`` is not given."""


def _dashboard(args: argparse.Namespace, storage: BaseStorage) -> None:
    """Serve the dashboard over the opened storage until interrupted; print nothing after."""
    from podbor.dashboard._app import build_app, dashboard_url, serve

    app = build_app(
        args.source,
        allow_write=args.allow_write,
        token=args.token,
        allowed_hosts=[args.host, *args.allowed_hosts],
    )

    def ready(url: str) -> None:  # stdout: the address alone, for scripts; stderr: the rest
        snapshot = " (an Optuna-format snapshot, read-only)" if args.source.snapshot else ""
        print(f"podbor dashboard of {args.source.label}{snapshot}", file=sys.stderr, flush=True)
        print(dashboard_url(url, args.token), flush=True)
        print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)

    serve(app, args.host, args.port, on_ready=ready)


def _prepare(args: argparse.Namespace) -> None:
    """Check the options and Starlette/uvicorn before the storage is opened."""
    from podbor.dashboard import _require

    _require()
    from podbor.dashboard._app import check_token

    if not 0 <= args.port <= 65535:
        raise invalid_option("--port", "a port number from 0 (any free port) to 65535", args.port)
    if args.token is None:
        args.token = os.environ.get(TOKEN_ENV_VAR) or None
    check_token(args.token)  # its message does not show the token
    args.allowed_hosts = [h.strip() for h in (args.allowed_hosts or "").split(",") if h.strip()]

    def opener(url: str) -> BaseStorage:
        from podbor.dashboard._source import open_source

        source = open_source(url)
        args.source = source
        return source.storage

    args.opener = opener


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--host``, ``--port``, ``--allow-write``, ``--token``, ``--allowed-hosts``."""
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to listen on (default: %(default)s; another one prints a warning)",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="the port (default: %(default)s; 0: any free port)"
    )
    parser.add_argument(
        "--allow-write",
        action="store_true",
        help="offer the actions that change the storage: delete a study, notes, tell, enqueue",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"an access token every request must carry (default: ${TOKEN_ENV_VAR})",
    )
    parser.add_argument(
        "--allowed-hosts",
        default="",
        metavar="H,H",
        help="more host names the server may be reached by (Host header; '*': any)",
    )
    parser.set_defaults(prepare=_prepare, needs_existing=True)


DASHBOARD_COMMANDS: tuple[Command, ...] = (
    (
        "dashboard",
        "Serve a live web dashboard over the storage's studies (until Ctrl-C).",
        _dashboard,
        _add_arguments,
    ),
)
"""The dashboard command."""
