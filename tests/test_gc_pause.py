"""``podbor._gc.paused_gc``: bulk loads hold the collector back and always give it back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import podbor
from podbor._gc import BULK, paused_gc
from podbor.storages import JournalFileBackend, JournalStorage


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_pause_and_resume() -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_no_pause_for_small_work() -> None:
    with paused_gc(False):
        assert gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outermost() -> None:
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still on
    assert gc.isenabled()


def test_resumes_after_an_error() -> None:
    with pytest.raises(RuntimeError, match="boom"), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off() -> None:
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_pauses_in_threads() -> None:
    # thread A pauses, thread B pauses, A ends first: still paused until B ends
    a_in, b_in, a_out, b_may_end = (threading.Event() for _ in range(4))
    seen: list[bool] = []

    def first() -> None:
        with paused_gc():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with paused_gc():
            b_in.set()
            a_out.wait(5)
            seen.append(gc.isenabled())
            b_may_end.wait(5)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    a_out.wait(5)
    b_may_end.set()
    for t in threads:
        t.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_storages_give_the_collector_back(tmp_path: object) -> None:
    # a journal opened from scratch, a bulk copy of trials: the collector is on afterwards
    path = f"{tmp_path}/study.log"
    study = podbor.create_study(storage=JournalStorage(JournalFileBackend(path)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    reopened = podbor.load_study(
        study_name=study.study_name, storage=JournalStorage(JournalFileBackend(path))
    )
    assert len(reopened.trials) == 5
    assert gc.isenabled()
    memory = podbor.create_study()
    memory.add_trials(
        [
            podbor.trial.create_trial(value=float(i), params={}, distributions={})
            for i in range(BULK)
        ]
    )
    assert len(memory.trials) == BULK
    assert gc.isenabled()


def test_a_database_pauses_only_for_its_first_load(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # later refreshes read only new and unfinished trials: threads that refresh all the time
    # must never keep the collector off between them
    from podbor.storages._rdb import _trials

    asked: list[bool] = []

    def recording(pause: bool = True) -> Any:
        asked.append(pause)
        return paused_gc(pause)

    url = f"sqlite:///{tmp_path}/study.db"
    study = podbor.create_study(storage=url)
    study.ask()  # trial 0 stays RUNNING: no finished prefix is ever cached
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    monkeypatch.setattr(_trials, "paused_gc", recording)
    fresh = podbor.load_study(study_name=study.study_name, storage=url)
    assert len(fresh.trials) == 4
    assert asked[0] is True
    fresh.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(fresh.trials) == 6
    assert asked[1:] and not any(asked[1:])
    assert gc.isenabled()
