"""``DaskStorage``: a study's storage held by a Dask cluster's scheduler.

The real storage (an :class:`~podbor.storages.InMemoryStorage` by default, or any storage or
database URL) lives in the scheduler process. Every :class:`DaskStorage` method is one call to
a handler that a scheduler extension registers, over Dask's own RPC, so the client and every
worker reach the same studies without a database of their own: a worker needs only its
connection to the scheduler.

A :class:`DaskStorage` pickles to its name and the scheduler's address. Unpickled in a Dask
worker (``client.submit(study.optimize, ...)``) it uses the worker's client; elsewhere the
process's current client, or a new client connected to that address (a spawned process on a
machine that can reach the scheduler; a forked one, whose copy of the parent's client cannot
run, always connects anew).

What crosses the wire (trials, studies, distributions, states, datetimes, errors) is pickled:
Dask pickles every task and result already, so this adds no trust the cluster did not need,
and every value keeps its exact type (datetimes with their time zone, ``inf`` and ``NaN``
values, the storage's own exceptions, which the caller gets back unchanged).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import uuid
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from podbor._records.frozen_trial import FrozenTrial
from podbor.integration._common import require
from podbor.storages import InMemoryStorage, get_storage
from podbor.storages._base import BaseStorage
from podbor.storages._forwarding import ForwardingStorage
from podbor.storages._input_rules import attr_value, check_template_trial

if TYPE_CHECKING:
    from distributed import Client, Scheduler

__all__ = ["DaskStorage"]

_EXTENSION = "podbor"
_HANDLER = "podbor_storage"


def _distributed(owner: str) -> Any:
    return require("distributed", package="Dask distributed", extra="dask", owner=owner)


def _dask_pickle() -> Any:
    """Dask's pickle (pickle, then cloudpickle for what pickle cannot send)."""
    return importlib.import_module("distributed.protocol.pickle")


def _dumps(value: Any) -> bytes:
    return bytes(_dask_pickle().dumps(value))


def _loads(data: bytes) -> Any:
    return _dask_pickle().loads(data)


class _SchedulerExtension:
    """The storages a scheduler holds, by name, and the handler that serves them.

    A call is ``(storage name, method name, args, kwargs)``, pickled; the answer is
    ``(True, value)`` or ``(False, exception)``, pickled, so that the storage's own errors
    (``KeyError``, ``DuplicatedStudyError``, ``ValueError``) reach the caller as they are
    instead of being logged on the scheduler. An in-memory storage answers in the event loop
    (microseconds); other storages answer in a thread pool, so that a database query never
    blocks the scheduler.
    """

    def __init__(self, scheduler: Scheduler) -> None:
        self.storages: dict[str, BaseStorage] = {}
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="podbor-dask-storage")
        scheduler.handlers[_HANDLER] = self.handle
        scheduler.extensions[_EXTENSION] = self

    async def handle(self, comm: Any = None, name: str = "", call: bytes = b"") -> bytes:
        try:
            method, args, kwargs = _loads(call)
            storage = self.storages.get(name)
            if storage is None:
                raise KeyError(
                    f"No DaskStorage named {name!r} is registered on this scheduler (a scheduler "
                    "that restarted forgets its storages)."
                )
            if method == "_settings":
                answer: Any = (
                    storage.heartbeat_interval,
                    getattr(storage, "grace_period", None),
                    storage.heartbeat_stale_trial_callback,
                )
            else:
                bound: Callable[..., Any] = getattr(storage, method)
                if isinstance(storage, InMemoryStorage):
                    answer = bound(*args, **kwargs)
                else:
                    loop = asyncio.get_running_loop()
                    answer = await loop.run_in_executor(self._pool, lambda: bound(*args, **kwargs))
            return _dumps((True, answer))
        except Exception as err:
            try:
                return _dumps((False, err))
            except Exception:  # an exception that does not pickle: keep its text
                return _dumps((False, RuntimeError(f"{type(err).__name__}: {err}")))


def _register(dask_scheduler: Scheduler, storage: BaseStorage | str | None, name: str) -> None:
    """Run on the scheduler: hold ``storage`` under ``name`` (once; later calls keep it)."""
    extension = dask_scheduler.extensions.get(_EXTENSION)
    if not isinstance(extension, _SchedulerExtension):
        extension = _SchedulerExtension(dask_scheduler)
    if name not in extension.storages:
        extension.storages[name] = get_storage(storage)


def _base_copy(dask_scheduler: Scheduler, name: str) -> BaseStorage:
    """Run on the scheduler: the storage named ``name``, as an ``InMemoryStorage``."""
    from podbor.study import copy_study

    storage = dask_scheduler.extensions[_EXTENSION].storages[name]
    if isinstance(storage, InMemoryStorage):
        return storage
    copy = InMemoryStorage()
    for study in storage.get_all_studies():
        copy_study(
            from_study_name=study.study_name,
            from_storage=storage,
            to_storage=copy,
            to_study_name=study.study_name,
        )
    return copy


_forked_clients: dict[str, Client] = {}
"""Clients this process made after a fork, by scheduler address (see :func:`_find_client`)."""
_forked = False


def _after_fork() -> None:
    global _forked
    _forked = True
    _forked_clients.clear()


os.register_at_fork(after_in_child=_after_fork)


def _find_client(address: str | None) -> Client:
    """The client to reach the scheduler at ``address`` through (the current one when None).

    In a Dask worker, the worker's client; elsewhere the process's current client, or a new
    one connected to ``address``. A process forked from one with a client (a
    ``ProcessPoolExecutor``'s worker) holds a copy of that client whose event loop did not
    survive the fork: it gets a client of its own instead.
    """
    distributed = _distributed("DaskStorage")
    if not _forked or address is None:
        client: Client = distributed.get_client(address)
        return client
    try:
        distributed.get_worker()
    except ValueError:  # not in a Dask worker
        own = _forked_clients.get(address)
        if own is None or own.status != "running":
            own = distributed.Client(address, set_as_default=False)
            _forked_clients[address] = own
        return own
    client = distributed.get_client(address)
    return client


def _reconnect(name: str, address: str | None) -> DaskStorage:
    """Unpickle a :class:`DaskStorage`: a handle on the storage ``name`` already registered."""
    return DaskStorage(None, name, None, register=False, _address=address)


class DaskStorage(ForwardingStorage):
    """A storage that lives on a Dask cluster's scheduler, shared by the client and workers.

    Every method is forwarded to the real storage in the scheduler process. Workers need no
    database access of their own: pass the study to ``client.submit(study.optimize, ...)``, or
    run it with :func:`podbor.integration.dask.optimize`. The storage lasts as long as the
    scheduler (with the default in-memory storage); give a database URL to keep it longer:
    when the scheduler dies, a ``DaskStorage`` over the same database on a new scheduler goes
    on with the study (with heartbeats on the database's storage, the trials that were running
    are failed after the grace period and, with ``RetryHeartbeatStaleTrialCallback``, run
    again).

    Args:
        storage: What the scheduler holds: ``None`` for an ``InMemoryStorage``, a database URL
            (``"sqlite:///study.db"``, opened by the scheduler), or a storage object (pickled to
            the scheduler, e.g. ``InMemoryStorage(heartbeat_interval=5)``).
        name: The storage's name on the scheduler; a unique one is generated when None. Two
            ``DaskStorage`` with the same name share one storage.
        client: The Dask client; the current one (``distributed.get_client()``) when None.
        register: Send ``storage`` to the scheduler (False only for a handle on a storage
            that another ``DaskStorage`` registered under ``name``).

    Raises:
        ValueError: Without ``client`` when no Dask client exists (Dask's "No global client
            found" error).

    Example:
        >>> from distributed import Client, LocalCluster
        >>> import podbor
        >>> from podbor.integration.dask import DaskStorage
        >>> with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        ...     with Client(cluster) as client:
        ...         study = podbor.create_study(storage=DaskStorage(), study_name="demo")
        ...         study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        ...         len(study.trials)
        2
    """

    def __init__(
        self,
        storage: BaseStorage | str | None = None,
        name: str | None = None,
        client: Client | None = None,
        register: bool = True,
        *,
        _address: str | None = None,
    ) -> None:
        _distributed("DaskStorage")
        self.name = name if name is not None else f"dask-storage-{uuid.uuid4().hex}"
        self._client = client
        self._address = _address
        self._settings: tuple[float | None, float | None, Any] | None = None
        self._started: asyncio.Future[DaskStorage] | None = None
        if not register:
            return
        connected: Any = self.client
        if connected.asynchronous:

            async def registered() -> DaskStorage:
                await connected.run_on_scheduler(_register, storage=storage, name=self.name)
                return self

            self._started = asyncio.ensure_future(registered())
        else:
            connected.run_on_scheduler(_register, storage=storage, name=self.name)

    @property
    def client(self) -> Client:
        """The Dask client this handle calls the scheduler through (found on first use)."""
        if self._client is None:
            self._client = _find_client(self._address)
        return self._client

    def __await__(self) -> Generator[Any, None, DaskStorage]:
        """``await DaskStorage(...)`` with an asynchronous client: wait for the registration."""
        if self._started is not None:
            return self._started.__await__()

        async def ready() -> DaskStorage:
            return self

        return ready().__await__()

    def __reduce__(self) -> tuple[Any, ...]:
        address = self._address
        client: Any = self._client
        if client is not None:
            address = client.scheduler.address
        return (_reconnect, (self.name, address))

    def __repr__(self) -> str:
        return f"DaskStorage(name={self.name!r})"

    def get_base_storage(self) -> BaseStorage:
        """Return a copy of the scheduler's storage in this process, as an ``InMemoryStorage``
        (a storage of another kind is copied study by study, so its ids may differ)."""
        client: Any = self.client
        storage: BaseStorage = client.run_on_scheduler(_base_copy, name=self.name)
        return storage

    # -- the call ---------------------------------------------------------------------------
    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client: Any = self.client
        if client.scheduler is None:  # e.g. in a worker that is shutting down
            raise RuntimeError(f"{self!r} cannot reach the scheduler: its Dask client is closed.")
        data = client.sync(
            client.scheduler.podbor_storage, name=self.name, call=_dumps((method, args, kwargs))
        )
        ok, value = _loads(data)
        if not ok:
            raise value
        return value

    def _heartbeat_settings(self) -> tuple[float | None, float | None, Any]:
        if self._settings is None:
            self._settings = self._call("_settings")
        return self._settings

    # -- what is checked here before it is sent (the rest: ForwardingStorage) -------------------
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        # checked here (JSON, at most 100 deep) so that what is sent always pickles
        self._call("set_study_user_attr", study_id, key, attr_value(value, "user", key))

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        # checked here (JSON, at most 100 deep) so that what is sent always pickles
        self._call("set_study_system_attr", study_id, key, attr_value(value, "system", key))

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is not None:
            check_template_trial(template_trial, owner="create_new_trial")
        trial_id: int = self._call("create_new_trial", study_id, template_trial)
        return trial_id

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        if template_trial is not None:
            check_template_trial(template_trial, owner="create_running_trial")
        return super().create_running_trial(
            study_id, template_trial, heartbeat=heartbeat, limit=limit
        )

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        # checked here (JSON, at most 100 deep) so that what is sent always pickles
        self._call("set_trial_user_attr", trial_id, key, attr_value(value, "user", key))

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        # checked here (JSON, at most 100 deep) so that what is sent always pickles
        self._call("set_trial_system_attr", trial_id, key, attr_value(value, "system", key))

    def remove_session(self) -> None:
        """Nothing to release here: the scheduler holds the storage's connections."""
