"""StudyMonitor / Monitors: the snapshot, the change log and its cursor, the derived summary."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.dashboard._monitor import NOTE_KEY, Monitors, StudyMonitor
from podbor.distributions import FloatDistribution
from podbor.storages import BaseStorage, InMemoryStorage, get_storage
from podbor.study import StudyDirection
from podbor.trial import TrialState, create_trial

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    verbosity = podbor.logging.get_verbosity()
    podbor.logging.set_verbosity(podbor.logging.ERROR)
    yield
    podbor.logging.set_verbosity(verbosity)


def _monitor(study: podbor.Study) -> StudyMonitor:
    return Monitors(study._storage, min_interval=0.0).get(study._study_id)


def _add(
    study: podbor.Study, value: float | None, *, state: TrialState = TrialState.COMPLETE
) -> None:
    study.add_trial(
        create_trial(
            state=state,
            value=value,
            params={"x": 0.5},
            distributions={"x": FloatDistribution(0, 1)},
        )
    )


def test_changes_cursor_and_reset() -> None:
    study = podbor.create_study()
    monitor = _monitor(study)
    cursor, reset, rows = monitor.changes(0)
    assert (reset, rows) == (False, [])
    for v in (3.0, 1.0):
        _add(study, v)
    running = study.ask()
    after_three, reset, rows = monitor.changes(cursor)
    assert not reset and [t.number for t in rows] == [0, 1, 2] and after_three > cursor
    # nothing new: the same cursor, no rows
    assert monitor.changes(after_three) == (after_three, False, [])
    # the running trial reports, then finishes: only it changes
    running.report(0.5, step=0)
    cursor2, _, rows = monitor.changes(after_three)
    assert [t.number for t in rows] == [2] and rows[0].intermediate_values == {0: 0.5}
    study.tell(running, 0.25)
    _add(study, 9.0)
    cursor3, _, rows = monitor.changes(cursor2)
    assert [(t.number, t.state) for t in rows] == [
        (2, TrialState.COMPLETE),
        (3, TrialState.COMPLETE),
    ]
    # 0 is always "everything"; an older cursor still works
    assert [t.number for t in monitor.changes(0)[2]] == [0, 1, 2, 3]
    assert [t.number for t in monitor.changes(after_three)[2]] == [2, 3]
    # a cursor of another monitor (another server process) or from the future is a reset
    other = Monitors(study._storage, min_interval=0.0).get(study._study_id)
    foreign = other.changes(0)[0]
    assert monitor.changes(foreign) == (cursor3, True, [])
    assert monitor.changes(cursor3 + 1)[1] is True
    assert monitor.changes(-5)[1] is True
    assert cursor3 < 2**53  # JavaScript numbers hold it exactly


def test_summary_and_details() -> None:
    storage = InMemoryStorage()
    study = podbor.create_study(
        storage=storage, study_name="<script>名前</script>", direction="maximize"
    )
    study.set_user_attr("owner", "<b>me</b>")
    study.set_system_attr(NOTE_KEY, "a <note>")
    _add(study, 1.0)
    _add(study, 5.0)
    _add(study, None, state=TrialState.FAIL)
    _add(study, 2.0, state=TrialState.PRUNED)
    study.enqueue_trial({"x": 0.1}, user_attrs={"k": 1})
    monitor = _monitor(study)
    summary = monitor.summary()
    trials = study.trials
    assert summary == {
        "study_id": study._study_id,
        "name": "<script>名前</script>",
        "directions": ["maximize"],
        "n_trials": 5,
        "states": {"COMPLETE": 2, "PRUNED": 1, "FAIL": 1, "RUNNING": 0, "WAITING": 1},
        "best_values": [5.0],
        "n_best": 1,
        "datetime_start": min(t.datetime_start for t in trials if t.datetime_start).isoformat(),
        "last_activity": max(
            d for t in trials for d in (t.datetime_start, t.datetime_complete) if d
        ).isoformat(),
        "user_attrs": {"owner": "<b>me</b>"},
    }
    details = monitor.details()
    assert details["note"] == "a <note>"
    assert details["param_names"] == ["x"] and details["user_attr_keys"] == ["k"]
    assert details["distributions"]["x"]["type"] == "float"
    assert [row["number"] for row in details["best_trials"]] == [1]
    assert details["objective_names"] is None and details["cursor"] == monitor.cursor
    assert details["plots"][0]["kind"] == "history"
    assert monitor.trial(3).state == TrialState.PRUNED
    with pytest.raises(KeyError):
        monitor.trial(5)
    with pytest.raises(KeyError):
        monitor.trial(-1)


@pytest.mark.parametrize("n_objectives", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_best_trials_match_the_study(n_objectives: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    directions = list(rng.choice(["minimize", "maximize"], n_objectives))
    study = podbor.create_study(directions=directions)
    monitor = _monitor(study)
    for step in range(4):
        for _ in range(15):
            values = np.round(rng.normal(size=n_objectives), 1).tolist()  # ties happen
            attrs = {"constraints": [float(rng.normal())]} if rng.random() < 0.3 else {}
            state = TrialState.COMPLETE if rng.random() < 0.8 else TrialState.PRUNED
            study.add_trial(
                create_trial(
                    state=state,
                    values=values if state == TrialState.COMPLETE else None,
                    system_attrs=attrs,
                )
            )
        monitor.refresh()
        expected = (
            [study.best_trial.number]
            if n_objectives == 1
            else sorted(t.number for t in study.best_trials)
        )
        assert [t.number for t in monitor.best_trials()] == expected, step
        assert monitor.summary()["n_best"] == len(expected)


def test_refresh_compares_only_new_and_unfinished_trials() -> None:
    """A finished trial never changes: the refresh does not even look at it again."""
    storage = InMemoryStorage()
    study = podbor.create_study(storage=storage)
    _add(study, 1.0)
    running = study.ask()
    monitor = _monitor(study)
    cursor = monitor.changes(0)[0]
    real = storage.get_all_trials

    def doctored(study_id: int, deepcopy: bool = True, states: Any = None) -> list[Any]:
        trials = [t._copy() for t in real(study_id, deepcopy, states)]  # all new objects
        trials[0].user_attrs = {"changed": True}  # a finished trial that "changed"
        return trials

    storage.get_all_trials = doctored  # type: ignore[method-assign]
    assert monitor.changes(cursor) == (cursor, False, [])  # equal copies are no change
    running.set_user_attr("now", 1)
    _, _, rows = monitor.changes(cursor)
    assert [t.number for t in rows] == [1]


def test_refresh_is_rate_limited() -> None:
    study = podbor.create_study()
    monitor = Monitors(study._storage, min_interval=3600.0).get(study._study_id)
    monitor.refresh()
    _add(study, 1.0)
    assert monitor.trials() == [] and monitor.summary()["n_trials"] == 0
    monitor.min_interval = 0.0
    assert len(monitor.trials()) == 1


def test_another_process_writing_to_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    writer = podbor.create_study(study_name="s", storage=url)
    reader_storage = get_storage(url)  # a second handle, as another process would hold
    monitors = Monitors(reader_storage, min_interval=0.0)
    (monitor,) = monitors.studies()
    cursor = monitor.cursor
    trial = writer.ask()
    trial.suggest_float("x", 0, 1)
    _add(writer, 2.0)
    cursor, reset, rows = monitor.changes(cursor)
    assert not reset and [(t.number, t.state) for t in rows] == [
        (0, TrialState.RUNNING),
        (1, TrialState.COMPLETE),
    ]
    trial.report(1.0, step=3)
    cursor, _, rows = monitor.changes(cursor)
    assert [t.intermediate_values for t in rows] == [{3: 1.0}]
    writer.tell(trial, 1.5)
    cursor, _, rows = monitor.changes(cursor)
    assert [(t.number, t.state, t.value) for t in rows] == [(0, TrialState.COMPLETE, 1.5)]
    assert monitor.changes(cursor)[2] == []
    assert monitor.summary()["best_values"] == [1.5]
    assert monitor.study().study_name == "s"


def test_monitors_follow_the_storage(tmp_path: Path) -> None:
    storage: BaseStorage = get_storage(f"sqlite:///{tmp_path / 'm.db'}")
    monitors = Monitors(storage, min_interval=0.0)
    assert monitors.studies() == []
    a = podbor.create_study(study_name="a", storage=storage)
    podbor.create_study(study_name="b", storage=storage, directions=["minimize", "maximize"])
    first = monitors.studies()
    assert [m.name for m in first] == ["a", "b"]
    assert first[1].directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    assert monitors.get(a._study_id) is first[0]
    podbor.delete_study(study_name="a", storage=storage)
    assert [m.name for m in monitors.studies()] == ["b"]
    with pytest.raises(KeyError):
        monitors.get(a._study_id)
    with pytest.raises(KeyError):
        monitors.get(12345)
    b = monitors.get(first[1].study_id)
    monitors.forget(b.study_id)
    assert monitors.get(b.study_id) is not b


def test_concurrent_refreshes_give_one_consistent_log() -> None:
    study = podbor.create_study()
    monitor = _monitor(study)
    seen: list[int] = []
    lock = threading.Lock()

    def poll() -> None:
        cursor = 0
        for _ in range(30):
            cursor, reset, rows = monitor.changes(cursor)
            assert not reset
            with lock:
                seen.extend(t.number for t in rows)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for i in range(40):
        _add(study, float(i))
    for thread in threads:
        thread.join()
    final = monitor.changes(0)[2]
    assert [t.number for t in final] == list(range(40))
    assert monitor.summary()["states"]["COMPLETE"] == 40
