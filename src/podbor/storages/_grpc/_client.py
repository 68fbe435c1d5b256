"""The storage proxy: a storage whose every call runs on a :func:`run_grpc_proxy_server`.

It keeps the finished trials of the studies it reads (a finished trial never changes), so
that reading a study again fetches only the trials it does not have: the ones that started or
finished since, not the whole history.
"""

from __future__ import annotations

import bisect
import copy
import json
import threading
from collections.abc import Container
from typing import Any

from podbor._deprecated import experimental
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._validation import check_instance
from podbor.exceptions import StorageInternalError, invalid_argument
from podbor.storages._forwarding import ForwardingStorage
from podbor.storages._grpc._codec import decode, encode, error_from_json
from podbor.storages._grpc._server import SERVICE, UNLIMITED, import_grpc
from podbor.storages._heartbeat import StaleTrialCallback

__all__ = ["GrpcStorageProxy"]

_OWNER = "GrpcStorageProxy"


class _StudyTrials:
    """The finished trials of one study that the proxy holds: by trial id, in number order, and
    their ids as sorted ranges ``[first, last]`` (what the server is told to skip). Each call
    adds only the trials that finished since: no pass over the whole history here."""

    def __init__(self) -> None:
        self.finished: dict[int, FrozenTrial] = {}
        self.ordered: list[FrozenTrial] = []  # the same trials, by number
        self.ranges: list[list[int]] = []

    def add(self, trials: list[FrozenTrial]) -> None:
        for trial in trials:
            trial_id = trial._trial_id
            if not trial.state.is_finished() or trial_id in self.finished:
                continue
            self.finished[trial_id] = trial
            if not self.ordered or self.ordered[-1].number < trial.number:
                self.ordered.append(trial)  # the common case: the newest trial
            else:
                self.ordered.insert(
                    bisect.bisect_left(self.ordered, trial.number, key=_number), trial
                )
            self._add_id(trial_id)

    def _add_id(self, trial_id: int) -> None:
        ranges = self.ranges
        i = bisect.bisect_left(ranges, [trial_id, trial_id])  # the first range from trial_id on
        joins_left = i > 0 and ranges[i - 1][1] == trial_id - 1
        joins_right = i < len(ranges) and ranges[i][0] == trial_id + 1
        if joins_left and joins_right:
            ranges[i - 1][1] = ranges.pop(i)[1]
        elif joins_left:
            ranges[i - 1][1] = trial_id
        elif joins_right:
            ranges[i][0] = trial_id
        else:
            ranges.insert(i, [trial_id, trial_id])


def _number(trial: FrozenTrial) -> int:
    return trial.number


@experimental("0.1.0")
class GrpcStorageProxy(ForwardingStorage):
    """A storage whose calls run on a storage proxy server (:func:`run_grpc_proxy_server`).

    Give it to the workers of a large study instead of a database URL: the server holds the
    only database handle, and each worker keeps the finished trials it has read, so that
    reading the study again costs only the trials it has not seen finished. With heartbeats on
    the server's storage (``heartbeat_interval=``), the workers beat through the proxy and a
    dead worker's trial is failed, as on the storage itself (Optuna's proxy sends none). Needs
    ``grpcio`` (``pip install podbor[grpc]``).

    Args:
        host: The server's host.
        port: The server's port.
        heartbeat_stale_trial_callback: Run by this worker as ``callback(study, trial)`` for
            each trial it fails because its worker stopped beating (e.g.
            :class:`~podbor.storages.RetryHeartbeatStaleTrialCallback`); podbor's addition,
            since a callback does not travel from the server.

    Raises:
        ImportError: Without ``grpcio``, naming the ``pip install`` to run.
        podbor.exceptions.StorageInternalError: From a call, when the server cannot be reached.

    Example:
        With a server running (:func:`run_grpc_proxy_server`)::

            import podbor
            from podbor.storages import GrpcStorageProxy

            storage = GrpcStorageProxy(host="proxy-host", port=13000)
            study = podbor.create_study(
                study_name="shared", storage=storage, load_if_exists=True
            )
            study.optimize(objective, n_trials=100)
            storage.close()
    """

    def __init__(
        self,
        *,
        host: str = "localhost",
        port: int = 13000,
        heartbeat_stale_trial_callback: StaleTrialCallback | None = None,
    ) -> None:
        check_instance(host, "host", str, owner=_OWNER, allowed="a host name or address")
        check_instance(port, "port", int, owner=_OWNER, allowed="a port number")
        if not 0 < port < 65536:
            raise invalid_argument("port", port, "a port number in [1, 65535]", owner=_OWNER)
        if heartbeat_stale_trial_callback is not None and not callable(
            heartbeat_stale_trial_callback
        ):
            raise invalid_argument(
                "heartbeat_stale_trial_callback",
                heartbeat_stale_trial_callback,
                "a callable callback(study, trial) or None",
                owner=_OWNER,
            )
        self._host, self._port = host, port
        self._callback = heartbeat_stale_trial_callback
        self._setup()

    def _setup(self) -> None:
        grpc = import_grpc(_OWNER)
        self._grpc = grpc
        self._channel = grpc.insecure_channel(f"{self._host}:{self._port}", options=UNLIMITED)
        self._stub = self._channel.unary_unary(f"/{SERVICE}/Call")
        self._lock = threading.Lock()
        self._studies: dict[int, _StudyTrials] = {}
        self._settings: tuple[float | None, float | None, Any] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"host": self._host, "port": self._port, "callback": self._callback}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._host, self._port = state["host"], state["port"]
        self._callback = state["callback"]
        self._setup()

    def __repr__(self) -> str:
        return f"GrpcStorageProxy(host={self._host!r}, port={self._port})"

    def wait_server_ready(self, timeout: float | None = None) -> None:
        """Wait until the server answers.

        Raises:
            ConnectionError: If it does not within ``timeout`` seconds.
        """
        try:
            self._grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except self._grpc.FutureTimeoutError as err:
            raise ConnectionError(
                f"No storage proxy server answered at {self._host}:{self._port} within "
                f"{timeout} seconds."
            ) from err

    def close(self) -> None:
        """Close the connection to the server."""
        self._channel.close()

    def remove_session(self) -> None:
        """Nothing to release here: the server holds the storage's connections."""

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        call = {  # each argument on its own: one that cannot travel stands alone
            "method": method,
            "args": [encode(a) for a in args],
            "kwargs": {"d": [[k, encode(v)] for k, v in kwargs.items()]},
        }
        request = json.dumps(call, allow_nan=False, separators=(",", ":")).encode()
        try:
            reply = json.loads(self._stub(request))
        except self._grpc.RpcError as err:
            raise StorageInternalError(
                f"The storage proxy server at {self._host}:{self._port} did not answer "
                f"{method}: {err.code().name} {err.details()}"
            ) from err
        if "error" in reply:
            raise error_from_json(reply["error"], f"{self!r}.{method}")
        return decode(reply["result"])

    def _heartbeat_settings(self) -> tuple[float | None, float | None, Any]:
        if self._settings is None:
            interval, grace = self._call("heartbeat_settings")
            self._settings = (interval, grace, self._callback)
        return self._settings

    def delete_study(self, study_id: int) -> None:
        super().delete_study(study_id)
        with self._lock:
            self._studies.pop(study_id, None)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        with self._lock:
            kept = self._studies.setdefault(study_id, _StudyTrials())
            ranges = [list(r) for r in kept.ranges]
            n_kept = len(kept.finished)
        unknown, total = self._call("trials_unknown", study_id, ranges)
        if n_kept + len(unknown) != total:  # trials kept here are gone (the study was deleted
            with self._lock:  # and its id given to another): start over
                self._studies[study_id] = _StudyTrials()
            unknown, total = self._call("trials_unknown", study_id, [])
        with self._lock:
            kept = self._studies.setdefault(study_id, _StudyTrials())
            kept.add(unknown)
            running = [t for t in unknown if not t.state.is_finished()]
            trials = kept.ordered + running
        if running:  # two sorted runs: one linear merge
            trials.sort(key=_number)
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials
