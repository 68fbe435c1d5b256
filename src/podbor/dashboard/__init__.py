"""A live web dashboard over a podbor storage: ``podbor dashboard --storage URL``.

The server (Starlette, served by uvicorn) answers a JSON API and the page that calls it; the
plots come from the same data builders as :mod:`podbor.visualization`. It only reads unless
``allow_write`` is given; see ``ARCHITECTURE.md`` for the API and its security.

Starlette and uvicorn are imported when a function here is called: ``pip install
'podbor[dashboard]'`` installs them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from podbor.storages import BaseStorage

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["create_app", "run_server"]

_INSTALL = "pip install 'podbor[dashboard]'"


def _require() -> None:
    """Raise an ImportError naming the install command when Starlette or uvicorn is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise ImportError(
            f"The dashboard needs Starlette and uvicorn ({err.name} is missing): {_INSTALL}"
        ) from err


def create_app(
    storage: BaseStorage | str,
    *,
    allow_write: bool = False,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> Starlette:
    """The dashboard as an ASGI application, to serve with any ASGI server or to test.

    Args:
        storage: A storage object, or the URL of a podbor or Optuna database or journal file
            (an Optuna-format one is read once and served read-only).
        allow_write: Offer the write routes (delete a study, notes, tell and enqueue trials).
        token: An access token that every request must carry (``Authorization: Bearer T``,
            or the cookie ``GET /?token=T`` sets); None for none.
        allowed_hosts: Host names accepted in the ``Host`` header besides ``127.0.0.1``,
            ``localhost`` and ``[::1]`` (``"*"``: any).

    Returns:
        The Starlette application.

    Raises:
        ImportError: Without Starlette or uvicorn.
        InvalidArgumentError: For a storage that cannot be opened without changing it (a
            missing file, a foreign database, an older schema) or a token a cookie cannot
            carry.

    Example:
        >>> import podbor
        >>> from starlette.testclient import TestClient
        >>> storage = podbor.storages.InMemoryStorage()
        >>> study = podbor.create_study(storage=storage, study_name="demo")
        >>> client = TestClient(create_app(storage), base_url="http://localhost")
        >>> [s["name"] for s in client.get("/api/studies").json()["studies"]]
        ['demo']
    """
    _require()
    from podbor.dashboard._app import create_app as create

    return create(storage, allow_write=allow_write, token=token, allowed_hosts=allowed_hosts)


def run_server(
    storage: BaseStorage | str,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    allow_write: bool = False,
    token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> None:
    """Serve the dashboard at ``http://host:port/`` until Ctrl-C.

    The address is logged once the server listens. ``host`` is accepted in the ``Host``
    header; a host other than the loopback logs a warning (use ``token`` there).

    Args:
        storage: A storage object or URL, as for :func:`create_app`.
        host: The address to listen on.
        port: The port; 0 picks a free one.
        allow_write: Offer the write routes.
        token: The access token every request must carry; None for none.
        allowed_hosts: More host names accepted in the ``Host`` header (``"*"``: any).

    Raises:
        ImportError: Without Starlette or uvicorn.
        InvalidArgumentError: As :func:`create_app`, or when the address cannot be listened
            on.
    """
    _require()
    from podbor.dashboard._app import run_server as run

    run(
        storage,
        host,
        port,
        allow_write=allow_write,
        token=token,
        allowed_hosts=allowed_hosts,
    )
