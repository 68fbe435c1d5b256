"""Heartbeat settings of every storage that has them: Optuna's argument and attribute names,
settable on an open storage, the deprecated ``failed_trial_callback`` and the experimental
warning of ``RDBStorage(heartbeat_interval=...)``."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from podbor.exceptions import ExperimentalWarning
from podbor.storages import InMemoryStorage, JournalFileBackend, JournalStorage, RDBStorage
from podbor.storages._heartbeat import (
    MAX_SECONDS,
    BaseHeartbeat,
    HeartbeatStorage,
    is_heartbeat_enabled,
)

Factory = Callable[..., HeartbeatStorage]


def _on_file(kind: str, tmp_path: Path) -> Factory:
    if kind == "inmemory":
        return InMemoryStorage
    if kind == "journal":
        return lambda **kw: JournalStorage(JournalFileBackend(tmp_path / "s.log"), **kw)
    return lambda **kw: RDBStorage(f"sqlite:///{tmp_path / 's.db'}", **kw)


@pytest.fixture(params=["inmemory", "journal", "sqlite"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    factory = _on_file(request.param, tmp_path)

    def quiet(**kwargs: Any) -> HeartbeatStorage:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            return factory(**kwargs)

    return quiet


def _callback(study: Any, trial: Any) -> None:
    """A stale-trial callback (module level, so that storages holding it pickle)."""


def test_settings_are_attributes_that_can_be_set_later(make: Factory) -> None:
    storage = make()
    assert isinstance(storage, BaseHeartbeat)
    assert not is_heartbeat_enabled(storage)
    assert (storage.heartbeat_interval, storage.grace_period) == (None, None)
    assert storage.heartbeat_stale_trial_callback is None
    storage.heartbeat_interval = 1
    storage.heartbeat_stale_trial_callback = _callback
    assert is_heartbeat_enabled(storage)
    assert storage.heartbeat_interval == 1.0
    assert storage._heartbeat.grace_period == 2.0  # twice the interval until one is set
    storage.grace_period = 5
    assert storage.grace_period == storage._heartbeat.grace_period == 5.0
    assert storage.heartbeat_stale_trial_callback is storage.failed_trial_callback is _callback
    storage.heartbeat_interval = None
    assert not is_heartbeat_enabled(storage) and storage._heartbeat.grace_period is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("heartbeat_interval", 0),
        ("heartbeat_interval", "1"),
        ("grace_period", -1.0),
        ("heartbeat_interval", float("inf")),
        ("grace_period", float("inf")),
        ("heartbeat_interval", float("nan")),
        ("grace_period", float("nan")),
        ("heartbeat_interval", 1e300),
        ("grace_period", 30 * 24 * 3600 + 1),
    ],
)
def test_a_bad_setting_is_refused_when_set(make: Factory, name: str, value: Any) -> None:
    storage = make(heartbeat_interval=1)
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        setattr(storage, name, value)
    assert storage.heartbeat_interval == 1.0  # unchanged


def test_failed_trial_callback_is_the_deprecated_name(make: Factory) -> None:
    with pytest.warns(FutureWarning, match="heartbeat_stale_trial_callback"):
        storage = make(heartbeat_interval=1, failed_trial_callback=_callback)
    assert storage.heartbeat_stale_trial_callback is _callback
    with pytest.raises(ValueError, match="'failed_trial_callback'"):
        make(
            heartbeat_interval=1,
            heartbeat_stale_trial_callback=_callback,
            failed_trial_callback=_callback,
        )


@pytest.mark.parametrize("kind", ["inmemory", "journal", "sqlite"])
def test_only_rdb_heartbeats_are_experimental(kind: str, tmp_path: Path) -> None:
    """As in Optuna, where the other storages have no heartbeats at all."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _on_file(kind, tmp_path)()
        _on_file(kind, tmp_path)(heartbeat_interval=2)
    experimental = [w for w in caught if issubclass(w.category, ExperimentalWarning)]
    assert len(experimental) == (1 if kind == "sqlite" else 0)
    if experimental:
        assert "heartbeat_interval" in str(experimental[0].message)
        assert experimental[0].filename == __file__  # points at the caller


def test_rdb_arguments_and_attributes_follow_optuna(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    kwargs = {"connect_args": {"timeout": 30}}
    RDBStorage(url)
    storage = RDBStorage(url, kwargs, True)  # skip_compatibility_check is third, as in Optuna
    assert storage.engine_kwargs == kwargs and storage.skip_compatibility_check is True
    assert storage.engine.url.database == str(tmp_path / "s.db")
    storage.heartbeat_interval = 3
    storage.heartbeat_stale_trial_callback = _callback
    restored = pickle.loads(pickle.dumps(storage))
    assert restored.url == storage.url and restored.engine_kwargs == kwargs
    assert restored.skip_compatibility_check is True
    assert restored.engine is not storage.engine
    assert restored.heartbeat_interval == 3.0
    assert restored.heartbeat_stale_trial_callback is _callback


def test_settings_set_later_survive_pickling(make: Factory) -> None:
    storage = make()
    storage.heartbeat_interval = 2
    storage.grace_period = 7
    storage.heartbeat_stale_trial_callback = _callback
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        restored = pickle.loads(pickle.dumps(storage))
    assert (restored.heartbeat_interval, restored.grace_period) == (2.0, 7.0)
    assert restored.heartbeat_stale_trial_callback is _callback


@pytest.mark.parametrize(
    "kwargs",
    [
        {"heartbeat_interval": float("inf")},
        {"heartbeat_interval": 1, "grace_period": float("inf")},
        {"heartbeat_interval": 10**400},
        {"heartbeat_interval": 1, "grace_period": 1e300},
    ],
    ids=["inf-interval", "inf-grace", "huge-int-interval", "huge-grace"],
)
def test_a_non_finite_or_huge_setting_is_refused_by_every_constructor(
    make: Factory, kwargs: dict[str, Any]
) -> None:
    name = "grace_period" if "grace_period" in kwargs else "heartbeat_interval"
    with pytest.raises(ValueError, match=rf"'{name}' parameter .* must be a number of seconds in"):
        make(**kwargs)


def test_the_longest_setting_is_accepted_and_trials_run(make: Factory) -> None:
    import podbor

    storage = make(heartbeat_interval=MAX_SECONDS, grace_period=MAX_SECONDS)
    study = podbor.create_study(storage=storage)
    study.optimize(lambda t: 1.0, n_trials=2)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]
