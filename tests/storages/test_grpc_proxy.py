"""The gRPC storage proxy: the whole storage conformance suite through a real server (over an
in-memory storage and over SQLite), then what only the proxy promises: finished trials fetched
once, no pickles on the wire, errors raised as the storage raised them, clear bad-input errors."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import podbor
from podbor.exceptions import (
    DuplicatedStudyError,
    ExperimentalWarning,
    InvalidArgumentError,
    StorageInternalError,
    UpdateFinishedTrialError,
)
from podbor.storages import BaseStorage, GrpcStorageProxy, InMemoryStorage, RDBStorage
from podbor.storages._grpc._server import start_server
from podbor.testing.storages import StorageConformance
from podbor.trial import TrialState

pytest.importorskip("grpc")


def _proxy(port: int, **kwargs: Any) -> GrpcStorageProxy:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        return GrpcStorageProxy(host="127.0.0.1", port=port, **kwargs)


@pytest.fixture
def served() -> Iterator[tuple[InMemoryStorage, GrpcStorageProxy]]:
    """An in-memory storage behind a proxy server on a free port, and a proxy to it."""
    storage = InMemoryStorage()
    server, port = start_server(storage, "127.0.0.1", 0)
    proxy = _proxy(port)
    yield storage, proxy
    proxy.close()
    server.stop(0)


class TestGrpcProxyOverMemory(StorageConformance):
    @pytest.fixture
    def storage(self) -> Iterator[BaseStorage]:
        server, port = start_server(InMemoryStorage(), "127.0.0.1", 0)
        proxy = _proxy(port)
        yield proxy
        proxy.close()
        server.stop(0)

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage | None:
        return None  # heartbeats are not sent through the proxy (as in Optuna)


class TestGrpcProxyOverSQLite(TestGrpcProxyOverMemory):
    @pytest.fixture
    def storage(self, sqlite_url: str) -> Iterator[BaseStorage]:
        self.url, self.servers = sqlite_url, []
        database = RDBStorage(sqlite_url)
        yield self._served(database)
        for server, proxy, served in self.servers:
            proxy.close()
            server.stop(0)
            served.remove_session()

    def _served(self, database: RDBStorage, callback: Any = None) -> GrpcStorageProxy:
        server, port = start_server(database, "127.0.0.1", 0)
        proxy = _proxy(port, heartbeat_stale_trial_callback=callback)
        self.servers.append((server, proxy, database))
        return proxy

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage | None:
        # another server, over the same database with heartbeats on: the workers beat through
        # the proxy and the survivor fails the dead worker's trial
        callback = settings.pop("heartbeat_stale_trial_callback", None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return self._served(RDBStorage(self.url, **settings), callback)


def _optimize(port: int, n: int) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.load_study(study_name="shared", storage=_proxy(port))
    study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0) ** 2, n_trials=n)


def test_worker_processes_share_a_study_through_the_proxy(
    served: tuple[InMemoryStorage, GrpcStorageProxy],
) -> None:
    storage, proxy = served
    podbor.create_study(study_name="shared", storage=proxy)
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_optimize, args=(proxy._port, 10)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    trials = podbor.load_study(study_name="shared", storage=storage).trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def test_finished_trials_are_fetched_once(
    served: tuple[InMemoryStorage, GrpcStorageProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, proxy = served
    study = podbor.create_study(storage=proxy, sampler=podbor.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    assert len(study.get_trials(deepcopy=False)) == 20  # the proxy keeps these 20
    running = study.ask()
    sent: list[int] = []
    call = proxy._call

    def counting(method: str, *args: Any, **kwargs: Any) -> Any:
        result = call(method, *args, **kwargs)
        if method == "trials_unknown":
            sent.append(len(result[0]))
        return result

    monkeypatch.setattr(proxy, "_call", counting)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 21 and sent == [1]  # only the running trial travels
    study.tell(running, 0.5)
    assert [t.state for t in study.get_trials(deepcopy=False)][-1] == TrialState.COMPLETE
    assert sent == [1, 1]
    # every trial as the storage itself has it
    direct = served[0].get_all_trials(study._study_id)
    assert [repr(t) for t in study.trials] == [repr(t) for t in direct]


def test_a_study_deleted_elsewhere_is_not_served_from_the_proxys_trials(
    served: tuple[InMemoryStorage, GrpcStorageProxy],
) -> None:
    storage, proxy = served
    study = podbor.create_study(study_name="s", storage=proxy)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 3
    storage.delete_study(study._study_id)
    with pytest.raises(KeyError):
        proxy.get_all_trials(study._study_id)


def test_errors_come_back_as_the_storage_raised_them(
    served: tuple[InMemoryStorage, GrpcStorageProxy],
) -> None:
    _, proxy = served
    minimize = [podbor.study.StudyDirection.MINIMIZE]
    study_id = proxy.create_new_study(minimize, "s")
    with pytest.raises(DuplicatedStudyError, match="'s'"):
        proxy.create_new_study(minimize, "s")
    with pytest.raises(KeyError):
        proxy.get_study_id_from_name("nope")
    trial_id = proxy.create_new_trial(study_id)
    proxy.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    with pytest.raises(UpdateFinishedTrialError):
        proxy.set_trial_user_attr(trial_id, "k", 1)
    with pytest.raises(ValueError, match="JSON"):  # the storage's own refusal, as in memory
        proxy.set_trial_user_attr(proxy.create_new_trial(study_id), "k", object)


def test_values_travel_exactly(served: tuple[InMemoryStorage, GrpcStorageProxy]) -> None:
    _, proxy = served
    study = podbor.create_study(storage=proxy, directions=["minimize", "maximize"])
    trial = study.ask()
    trial.suggest_categorical("c", [None, True, 1, 1.5, "s"])
    trial.set_user_attr("nested", {"a": [1, 2.5, None, "x"], "b": {"c": True}})
    study.tell(trial, [float("inf"), -0.0])
    (stored,) = study.trials
    assert stored.values == [float("inf"), -0.0]
    assert stored.user_attrs == {"nested": {"a": [1, 2.5, None, "x"], "b": {"c": True}}}
    assert type(stored.params["c"]) is type(trial.params["c"])


def test_the_wire_carries_json_never_pickles(
    served: tuple[InMemoryStorage, GrpcStorageProxy],
) -> None:
    _, proxy = served
    grpc = pytest.importorskip("grpc")
    channel = grpc.insecure_channel(f"127.0.0.1:{proxy._port}")
    stub = channel.unary_unary("/podbor.StorageProxy/Call")
    bomb = pickle.dumps(print)
    reply = json.loads(stub(bomb))
    assert reply["error"]["type"] in ("UnicodeDecodeError", "JSONDecodeError")
    reply = json.loads(stub(b'{"method": "__class__", "args": [], "kwargs": {"d": []}}'))
    assert "not a storage method a proxy may call" in reply["error"]["message"]
    channel.close()


def test_pickled_proxy_reconnects(served: tuple[InMemoryStorage, GrpcStorageProxy]) -> None:
    _, proxy = served
    podbor.create_study(study_name="p", storage=proxy)
    again = pickle.loads(pickle.dumps(proxy))
    assert [s.study_name for s in again.get_all_studies()] == ["p"]
    again.close()


def test_no_server_is_a_clear_error() -> None:
    proxy = _proxy(1)
    with pytest.raises(StorageInternalError, match="did not answer get_all_studies"):
        proxy.get_all_studies()
    with pytest.raises(ConnectionError, match=r"within 0\.1 seconds"):
        proxy.wait_server_ready(timeout=0.1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"port": "13000"}, "'port' parameter of GrpcStorageProxy must be a port number"),
        ({"port": 70000}, r"'port' parameter .* \[1, 65535\]"),
        ({"host": None}, "'host' parameter .* a host name or address"),
        ({"heartbeat_stale_trial_callback": 1}, "a callable callback"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        GrpcStorageProxy(**kwargs)


def test_both_warn_that_they_are_experimental(served: Any) -> None:
    with pytest.warns(ExperimentalWarning, match="GrpcStorageProxy"):
        GrpcStorageProxy(host="127.0.0.1", port=served[1]._port).close()


def test_run_grpc_proxy_server_serves_a_database_until_stopped(tmp_path: Any) -> None:
    import socket
    import subprocess
    import sys
    import textwrap

    with socket.socket() as probe:  # a free port for the server process
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"sqlite:///{tmp_path / 'served.db'}"
    code = textwrap.dedent(
        f"""
        import warnings
        from podbor.storages import get_storage, run_grpc_proxy_server
        warnings.simplefilter("ignore")
        run_grpc_proxy_server(get_storage({url!r}), host="127.0.0.1", port={port})
        """
    )
    server = subprocess.Popen([sys.executable, "-c", code])
    try:
        proxy = _proxy(port)
        proxy.wait_server_ready(timeout=60)
        study = podbor.create_study(study_name="served", storage=proxy)
        study.optimize(lambda t: t.suggest_int("n", 0, 9), n_trials=4)
        proxy.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = podbor.load_study(study_name="served", storage=url).trials
    assert [t.state for t in stored] == [TrialState.COMPLETE] * 4


def test_run_grpc_proxy_server_names_a_bad_storage() -> None:
    from podbor.storages import run_grpc_proxy_server

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        with pytest.raises(InvalidArgumentError, match=r"'storage' parameter .* a BaseStorage"):
            run_grpc_proxy_server("sqlite:///x.db")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="'port' parameter"):
            run_grpc_proxy_server(InMemoryStorage(), port="13000")  # type: ignore[arg-type]


def test_missing_grpcio_names_the_pip_install(block_import: Any) -> None:
    block_import("grpc")
    with pytest.raises(ImportError, match=r"pip install podbor\[grpc\]"):
        _proxy(13000)


def test_a_study_larger_than_grpcs_default_message_limit(
    served: tuple[InMemoryStorage, GrpcStorageProxy],
) -> None:
    storage, proxy = served
    study_id = storage.create_new_study([podbor.study.StudyDirection.MINIMIZE], "big")
    template = podbor.trial.create_trial(value=1.0, user_attrs={"blob": "x" * 5000})
    for _ in range(1000):  # ~5 MB of trials, over gRPC's default 4 MiB
        storage.create_new_trial(study_id, template_trial=template)
    assert len(proxy.get_all_trials(study_id, deepcopy=False)) == 1000


def _limited(proxy: GrpcStorageProxy) -> GrpcStorageProxy:
    """Another proxy to the same server whose channel keeps gRPC's default message limit."""
    import grpc

    other = _proxy(proxy._port)
    other._channel = grpc.insecure_channel(f"127.0.0.1:{proxy._port}")
    other._stub = other._channel.unary_unary("/podbor.StorageProxy/Call")
    return other


def test_subclasses_of_json_types_travel_as_json_writes_them(
    served: tuple[InMemoryStorage, GrpcStorageProxy],
) -> None:
    import enum

    import numpy as np

    class Color(str, enum.Enum):
        RED = "red"

    _, proxy = served
    study_id = proxy.create_new_study([podbor.study.StudyDirection.MINIMIZE], "s")
    proxy.set_study_user_attr(study_id, "k", [np.str_("x"), Color.RED, np.float64(0.5)])
    assert proxy.get_study_user_attrs(study_id) == {"k": ["x", "red", 0.5]}


def test_the_kept_trials_ranges_follow_trials_finishing_in_any_order() -> None:
    from podbor.storages._grpc._client import _StudyTrials

    kept = _StudyTrials()
    order = [5, 3, 4, 9, 1, 2, 7, 8, 6]  # trial ids (and numbers) as they finish
    for i, trial_id in enumerate(order, start=1):
        trial = podbor.trial.create_trial(value=float(trial_id))
        trial.number, trial._trial_id = trial_id, trial_id
        running = podbor.trial.create_trial(state=TrialState.RUNNING)
        running._trial_id = 100 + trial_id
        kept.add([trial, running])  # a running trial is never kept
        ids = sorted(order[:i])
        expected: list[list[int]] = []
        for j in ids:
            if expected and expected[-1][1] == j - 1:
                expected[-1][1] = j
            else:
                expected.append([j, j])
        assert kept.ranges == expected
        assert [t.number for t in kept.ordered] == ids
    kept.add([kept.finished[3]])  # one already kept changes nothing
    assert kept.ranges == [[1, 9]] and len(kept.ordered) == 9
