"""The storage proxy's server: one gRPC method that runs a storage call and sends its result.

Workers that would each open the database (thousands of connections, each with its own cache)
talk to one process instead, which holds the only storage handle. The calls are podbor's
storage methods by name (:data:`METHODS`), their arguments and results JSON
(:mod:`._codec`); ``grpcio`` is imported only when a server starts.
"""

from __future__ import annotations

import bisect
import importlib
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._validation import check_instance
from podbor.logging import get_logger
from podbor.storages._base import BaseStorage
from podbor.storages._grpc._codec import decode, dumps, error_to_json

__all__ = [
    "METHODS",
    "SERVICE",
    "UNLIMITED",
    "import_grpc",
    "make_server",
    "run_grpc_proxy_server",
    "start_server",
]

SERVICE = "podbor.StorageProxy"
"""The gRPC service; its one method is ``Call``."""

METHODS = frozenset(
    {
        "check_trial_is_updatable",
        "claim_running_trial",
        "claim_waiting_trial",
        "create_new_study",
        "create_new_trial",
        "create_running_trial",
        "delete_study",
        "fail_stale_trials",
        "get_all_studies",
        "get_all_trials",
        "get_best_trial",
        "get_best_trial_only",
        "get_n_trials",
        "get_study_directions",
        "get_study_id_from_name",
        "get_study_name_from_id",
        "get_study_system_attrs",
        "get_study_trial_stats",
        "get_study_user_attrs",
        "get_trial",
        "get_trial_heartbeat",
        "get_trial_id_from_study_id_trial_number",
        "get_trial_number_from_id",
        "get_trial_param",
        "get_trial_params",
        "get_trial_system_attrs",
        "get_trial_user_attrs",
        "record_heartbeat",
        "set_study_system_attr",
        "set_study_user_attr",
        "set_trial_intermediate_value",
        "set_trial_param",
        "set_trial_state_values",
        "set_trial_system_attr",
        "set_trial_user_attr",
    }
)
"""The storage methods a proxy may call (every public method of
:class:`~podbor.storages.BaseStorage` but ``remove_session``, which concerns the server's own
connections), ``trials_unknown``: a study's trials but those the proxy keeps (below), and
``heartbeat_settings``: the storage's heartbeat interval and grace period."""

UNLIMITED = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
"""gRPC's options for messages of any size: a study's trials, read whole once, pass gRPC's
default limit of 4 MiB at about 5,000 trials."""

_logger = get_logger(__name__)
_OWNER = "run_grpc_proxy_server"


def import_grpc(owner: str) -> ModuleType:
    """``grpc``, or an ``ImportError`` naming the ``pip install`` to run."""
    try:
        return importlib.import_module("grpc")
    except ImportError as err:
        raise ImportError(
            f"{owner} needs grpcio, which is not installed: pip install podbor[grpc]"
        ) from err


def trials_unknown(
    storage: BaseStorage, study_id: int, kept: Sequence[Sequence[int]]
) -> tuple[list[FrozenTrial], int]:
    """The study's trials whose ids are not in ``kept``, sorted ranges ``[first, last]`` of the
    ids of the finished trials the proxy has (a finished trial never changes), and how many
    trials the study holds (the proxy checks its own against it)."""
    starts = [int(r[0]) for r in kept]
    ends = [int(r[1]) for r in kept]
    unknown = []
    trials = storage.get_all_trials(study_id, deepcopy=False)
    for trial in trials:
        i = bisect.bisect_right(starts, trial._trial_id) - 1
        if i < 0 or trial._trial_id > ends[i]:
            unknown.append(trial)
    return unknown, len(trials)


class _Service:
    """Runs the calls on the storage; any exception goes back to the proxy, to be raised there."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage

    def call(self, request: bytes, context: Any) -> bytes:
        try:
            call = json.loads(request)
            method, args, kwargs = call["method"], decode(call["args"]), decode(call["kwargs"])
            if method == "trials_unknown":
                result: Any = trials_unknown(self.storage, *args)
            elif method == "heartbeat_settings":
                storage = self.storage
                result = (storage.heartbeat_interval, getattr(storage, "grace_period", None))
            elif method in METHODS:
                result = getattr(self.storage, method)(*args, **kwargs)
            else:
                raise ValueError(f"{method!r} is not a storage method a proxy may call")
            return b'{"result":' + dumps(result) + b"}"
        except Exception as err:
            return json.dumps({"error": error_to_json(err)}).encode()


def make_server(
    storage: BaseStorage,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> Any:
    """A proxy server for ``storage``, not yet started (a ``grpc.Server``: ``.start()``,
    ``.stop(grace)``); the signature of Optuna's private ``make_server``, which test suites
    written for Optuna call."""
    server, _ = _made(storage, host, port, thread_pool)
    return server


def start_server(
    storage: BaseStorage,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> tuple[Any, int]:
    """Start a proxy server in the background; return it (a ``grpc.Server``) and its port (the
    one the system chose when ``port`` is 0). ``server.stop(grace)`` stops it."""
    server, bound = _made(storage, host, port, thread_pool)
    server.start()
    return server, bound


def _made(
    storage: BaseStorage, host: str, port: int, thread_pool: ThreadPoolExecutor | None
) -> tuple[Any, int]:
    grpc = import_grpc(_OWNER)
    server = grpc.server(thread_pool or ThreadPoolExecutor(max_workers=10), options=UNLIMITED)
    service = _Service(storage)
    handler = grpc.method_handlers_generic_handler(
        SERVICE, {"Call": grpc.unary_unary_rpc_method_handler(service.call)}
    )
    server.add_generic_rpc_handlers((handler,))
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"{_OWNER} could not listen on {host}:{port}")
    return server, bound


@experimental("0.1.0")
def run_grpc_proxy_server(
    storage: BaseStorage,
    *,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> None:
    """Serve ``storage`` to :class:`~podbor.storages.GrpcStorageProxy` clients, until stopped.

    Thousands of workers that would each hold connections to one database talk to this one
    process instead; it holds the only handle on the storage. It listens without TLS or
    authentication: run it inside a trusted network. Needs ``grpcio``
    (``pip install podbor[grpc]``).

    Args:
        storage: The storage to serve, e.g. ``get_storage("postgresql+psycopg://...")``.
        host: The address to listen on.
        port: The port to listen on.
        thread_pool: Runs the calls; 10 threads by default.

    Example:
        On the server (blocks until the process is stopped)::

            from podbor.storages import get_storage, run_grpc_proxy_server

            storage = get_storage("postgresql+psycopg://user:password@db/podbor")
            run_grpc_proxy_server(storage, host="0.0.0.0", port=13000)

        and on each worker, ``GrpcStorageProxy(host="proxy-host", port=13000)`` as the
        study's storage.
    """
    check_instance(storage, "storage", BaseStorage, owner=_OWNER, allowed="a BaseStorage")
    check_instance(host, "host", str, owner=_OWNER, allowed="a host name or address")
    check_instance(port, "port", int, owner=_OWNER, allowed="a port number")
    server, bound = start_server(storage, host, port, thread_pool)
    _logger.info(f"Serving {storage!r} to storage proxies at {host}:{bound}.")
    server.wait_for_termination()
