"""JournalStorage: the shared contract (killed workers included), plus what a journal file
promises beyond it — persistence, many processes, crashes (torn lines, killed lock holders),
strict JSON lines, and clear errors for bad input."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.storages import BaseStorage, JournalFileBackend, JournalStorage, get_storage
from podbor.storages._journal.backend import encode_record
from podbor.storages.journal import (
    BaseJournalFileLock,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from podbor.testing.storages import StorageConformance
from podbor.trial import TrialState

LOCKS: dict[str, type[BaseJournalFileLock]] = {
    "symlink": JournalFileSymlinkLock,
    "open": JournalFileOpenLock,
}


class TestJournalStorage(StorageConformance):
    lock: type[BaseJournalFileLock] = JournalFileSymlinkLock

    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[BaseStorage]:
        self.path = tmp_path / "journal.log"
        yield JournalStorage(JournalFileBackend(self.path, lock_obj=self.lock(self.path)))

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        # a short lock grace period too, in case a worker was killed while it held the lock
        lock = self.lock(self.path, grace_period=1)
        return JournalStorage(JournalFileBackend(self.path, lock_obj=lock), **settings)


class TestJournalStorageWithOpenLock(TestJournalStorage):
    lock = JournalFileOpenLock


# -- helpers -----------------------------------------------------------------------------------
def _open(path: Path, **kwargs: Any) -> JournalStorage:
    return JournalStorage(JournalFileBackend(path), **kwargs)


def _objective(trial: podbor.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    trial.suggest_categorical("c", [None, True, 1, 1.5, "s"])
    return x * x


def _reject_constant(name: str) -> None:
    raise AssertionError(f"the journal holds the non-JSON constant {name}")


def _assert_strict_json_lines(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    records = [json.loads(line, parse_constant=_reject_constant) for line in data.splitlines()]
    assert all(isinstance(r, dict) and "op" in r for r in records)
    assert records[0] == {"op": "header", "format": "podbor-journal", "version": 1}
    return records


def _same_trials(a: list[podbor.trial.FrozenTrial], b: list[podbor.trial.FrozenTrial]) -> None:
    """Equal field by field, NaN included, and with the same value types (1 != True != 1.0)."""
    assert [repr(t) for t in a] == [repr(t) for t in b]
    for x, y in zip(a, b):
        assert [type(v) for v in x.params.values()] == [type(v) for v in y.params.values()]


def _spawn(target: Any, args_list: list[tuple[Any, ...]]) -> list[int | None]:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=target, args=args) for args in args_list]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    return [p.exitcode for p in procs]


# -- persistence and encoding ------------------------------------------------------------------
_CHOICES = (None, True, 1, 1.5, "s")
_DISTRIBUTIONS = {
    "float": FloatDistribution(-1.0, 1.0),
    "log_float": FloatDistribution(1e-5, 1.0, log=True),
    "step_float": FloatDistribution(0.0, 1.0, step=0.125),
    "int": IntDistribution(-3, 3),
    "log_int": IntDistribution(1, 1024, log=True),
    "step_int": IntDistribution(0, 10, step=5),
    **{f"cat_{i}": CategoricalDistribution(_CHOICES) for i in range(len(_CHOICES))},
}
_PARAMS = {
    "float": -0.25,
    "log_float": 1e-3,
    "step_float": 0.625,
    "int": -3,
    "log_int": 64,
    "step_int": 10,
    **{f"cat_{i}": choice for i, choice in enumerate(_CHOICES)},
}
_ATTRS = {
    "nested": {"a": [1, 2.5, None, True, "x", {"b": {"c": []}}]},
    "inf": [math.inf, -math.inf, {"deep": math.nan}],
    "wrapper_lookalike": {"$json": "[1]"},
    "text": 'naïve ✓ \n "quoted"',
}


def test_everything_round_trips_through_a_reopened_file(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    storage = _open(path)
    study = podbor.create_study(
        storage=storage,
        study_name="all",
        direction="maximize",
        sampler=podbor.samplers.RandomSampler(seed=0),  # keeps no state in the study
    )
    study.set_user_attr("config", _ATTRS)
    study.set_system_attr("sampler", {"state": [1, 2, 3]})
    for value in (math.inf, -math.inf, 0.5):
        study.add_trial(
            podbor.create_trial(
                value=value,
                params=_PARAMS,
                distributions=_DISTRIBUTIONS,
                user_attrs=_ATTRS,
                system_attrs={"k": {"v": [math.nan]}},
                intermediate_values={0: math.inf, 1: -math.inf, 2: math.nan, 3: 1.5},
            )
        )
    trial = study.ask()
    for name, dist in _DISTRIBUTIONS.items():
        trial._suggest(name, dist)
    trial.report(math.nan, 0)
    trial.set_user_attr("inf", math.inf)
    study.tell(trial, [2.0])
    study.enqueue_trial({"float": 0.5})
    multi = podbor.create_study(storage=storage, directions=["minimize", "maximize"])
    multi.add_trial(podbor.create_trial(values=[math.inf, -math.inf]))

    again = _open(path)
    reloaded = podbor.load_study(study_name="all", storage=again)
    _same_trials(reloaded.trials, study.trials)
    assert reloaded.trials[0].params == _PARAMS
    assert reloaded.trials[0].distributions == _DISTRIBUTIONS
    assert repr(reloaded.user_attrs) == repr({"config": _ATTRS})
    assert reloaded.system_attrs == {"sampler": {"state": [1, 2, 3]}}
    assert reloaded.best_trial.number == 0 and reloaded.best_value == math.inf
    assert reloaded.trials[-1].state == TrialState.WAITING
    reloaded_multi = podbor.load_study(study_name=multi.study_name, storage=again)
    assert reloaded_multi.trials[0].values == [math.inf, -math.inf]
    _assert_strict_json_lines(path)


def test_the_file_is_strict_json_lines_without_pickle(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    study = podbor.create_study(storage=_open(path))
    study.set_user_attr("inf", [math.inf])
    study.optimize(_objective, n_trials=5)
    records = _assert_strict_json_lines(path)
    assert {r["op"] for r in records} >= {"create_study", "create_trial", "set_param", "set_state"}
    assert b"pickle" not in path.read_bytes() and b"\x80\x04" not in path.read_bytes()


def test_a_non_json_attribute_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    study = podbor.create_study(storage=_open(path))
    size = path.stat().st_size
    with pytest.raises(ValueError, match=r"user attr 'model'.*JSON"):
        study.set_user_attr("model", object())
    assert path.stat().st_size == size


def test_a_second_handle_sees_new_and_running_trials(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    first, second = _open(path), _open(path)
    study_id = first.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = second.create_new_trial(study_id)
    second.set_trial_user_attr(trial_id, "k", 1)
    (running,) = first.get_all_trials(study_id, deepcopy=False)
    assert running.state == TrialState.RUNNING and running.user_attrs == {"k": 1}
    second.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.0])
    assert first.get_trial(trial_id).state == TrialState.COMPLETE
    assert running.state == TrialState.RUNNING  # the earlier snapshot did not change
    assert first.get_best_trial(study_id)._trial_id == trial_id


def test_best_trial_is_kept_as_lines_are_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = _open(tmp_path / "study.log")
    study = podbor.create_study(storage=storage)
    study.optimize(_objective, n_trials=20)
    expected = min(study.trials, key=lambda t: t.values[0] if t.values else math.inf)

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("get_best_trial scanned the history")

    monkeypatch.setattr(storage, "get_all_trials", no_scan)
    assert storage.get_best_trial(study._study_id).number == expected.number


def test_storage_pickles_by_path(tmp_path: Path) -> None:
    storage = _open(tmp_path / "study.log", heartbeat_interval=5)
    podbor.create_study(storage=storage, study_name="p").optimize(_objective, n_trials=2)
    copy = pickle.loads(pickle.dumps(storage))
    assert copy.heartbeat_interval == 5
    assert len(podbor.load_study(study_name="p", storage=copy).trials) == 2


def _write_without_lock_before_next_append(
    backend: JournalFileBackend, record: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Make another "writer" append ``record`` between our last read and our append, as a
    writer whose lock was broken too early could."""
    original = backend.append

    def append(lines: list[bytes], *, at: int, line: int = 1) -> tuple[int, int] | None:
        monkeypatch.setattr(backend, "append", original)
        with open(backend.file_path, "ab") as f:
            f.write(encode_record({**record, "worker": "intruder", "seq": 1}))
        return original(lines, at=at, line=line)

    monkeypatch.setattr(backend, "append", append)


def test_a_line_appended_behind_our_back_is_read_not_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = JournalFileBackend(tmp_path / "study.log")
    storage = JournalStorage(backend)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    intruder = {"op": "create_trial", "study_id": study_id, "time": "2024-01-01T00:00:00"}
    _write_without_lock_before_next_append(backend, intruder, monkeypatch)
    mine = storage.create_new_trial(study_id)
    assert storage.get_trial(mine).number == 1
    assert [t.number for t in _open(tmp_path / "study.log").get_all_trials(study_id)] == [0, 1]


def test_a_claim_lost_to_a_line_behind_our_back_takes_the_next_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = JournalFileBackend(tmp_path / "study.log")
    storage = JournalStorage(backend)
    study = podbor.create_study(storage=storage)
    for x in (0.0, 1.0, 2.0):
        study.enqueue_trial({"x": x})
    first, second, third = (t._trial_id for t in study.trials)
    claim = {"op": "set_state", "state": "RUNNING", "values": None, "time": "2024-01-01T00:00"}
    _write_without_lock_before_next_append(backend, {**claim, "trial_id": first}, monkeypatch)
    assert storage.claim_waiting_trial(study._study_id) == second
    _write_without_lock_before_next_append(backend, {**claim, "trial_id": third}, monkeypatch)
    assert storage.set_trial_state_values(third, TrialState.RUNNING) is False
    assert storage.claim_waiting_trial(study._study_id) is None
    assert len(_assert_strict_json_lines(tmp_path / "study.log")) == 1 + 1 + 3 + 3


# -- many processes ----------------------------------------------------------------------------
def _optimize_worker(path: str, n_trials: int) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(path))
    study = podbor.create_study(storage=storage, study_name="shared", load_if_exists=True)
    study.optimize(_objective, n_trials=n_trials)


def test_eight_processes_share_one_study_without_losing_a_trial(tmp_path: Path) -> None:
    path = str(tmp_path / "study.log")
    assert _spawn(_optimize_worker, [(path, 25)] * 8) == [0] * 8
    storage = _open(Path(path))
    trials = podbor.load_study(study_name="shared", storage=storage).trials
    assert [t.number for t in trials] == list(range(200))
    assert len({t._trial_id for t in trials}) == 200
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    _assert_strict_json_lines(Path(path))


def _claim_worker(path: str) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.load_study(study_name="queue", storage=JournalStorage(JournalFileBackend(path)))
    study.optimize(lambda t: t.suggest_int("i", 0, 1000), n_trials=10)


def test_each_enqueued_trial_is_claimed_by_exactly_one_process(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    study = podbor.create_study(storage=_open(path), study_name="queue")
    for i in range(40):
        study.enqueue_trial({"i": i})
    assert _spawn(_claim_worker, [(str(path),)] * 4) == [0] * 4
    trials = study.trials
    assert len(trials) == 40
    assert sorted(t.params["i"] for t in trials) == list(range(40))
    assert {t.state for t in trials} == {TrialState.COMPLETE}


# -- crashes -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "tail",
    [b'{"op":"set_state","trial_id":1,"sta', b"\x00\x00\x00\x00", b'{"op": "broken"\n'],
    ids=["torn-line", "zeros", "invalid-last-line"],
)
def test_a_torn_last_line_is_ignored_and_cut_by_the_next_writer(
    tmp_path: Path, tail: bytes
) -> None:
    path = tmp_path / "study.log"
    old_handle = _open(path)
    study = podbor.create_study(storage=old_handle, study_name="s")
    study.optimize(_objective, n_trials=3)
    before = study.trials
    with open(path, "ab") as f:
        f.write(tail)
    reopened = podbor.load_study(study_name="s", storage=_open(path))
    _same_trials(reopened.trials, before)
    _same_trials(study.trials, before)  # a handle that was open before the crash too
    reopened.optimize(_objective, n_trials=2)
    study.optimize(_objective, n_trials=1)
    assert [t.number for t in _open(path).get_all_trials(study._study_id)] == list(range(6))
    _assert_strict_json_lines(path)


def test_a_torn_header_is_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    path.write_bytes(b'{"op":"header","form')
    study = podbor.create_study(storage=_open(path), study_name="s")
    study.optimize(_objective, n_trials=1)
    assert len(podbor.load_study(study_name="s", storage=_open(path)).trials) == 1
    _assert_strict_json_lines(path)


def test_a_damaged_line_in_the_middle_is_skipped_with_a_warning(
    tmp_path: Path, podbor_log: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "study.log"
    study = podbor.create_study(storage=_open(path), study_name="s")
    study.optimize(_objective, n_trials=2)
    with open(path, "ab") as f:
        f.write(b"outside damage\n")
    study.optimize(_objective, n_trials=2)
    trials = podbor.load_study(study_name="s", storage=_open(path)).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert "damaged" in podbor_log.text


def _hold_lock_then_die(lock_kind: str, path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import time
        from podbor.storages.journal import {LOCKS[lock_kind].__name__} as Lock
        Lock({str(path)!r}).acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.parametrize("lock_kind", sorted(LOCKS))
def test_a_lock_left_by_a_killed_holder_is_broken_after_the_grace_period(
    tmp_path: Path, lock_kind: str
) -> None:
    path = tmp_path / "study.log"
    _hold_lock_then_die(lock_kind, path)
    assert os.path.lexists(f"{path}.lock")
    lock = LOCKS[lock_kind](path, grace_period=0.5)
    storage = JournalStorage(JournalFileBackend(path, lock_obj=lock))
    start = time.monotonic()
    storage.create_new_study([podbor.StudyDirection.MINIMIZE], "after-crash")
    waited = time.monotonic() - start
    assert 0.5 <= waited < 10
    assert not os.path.lexists(f"{path}.lock")
    assert [p.name for p in tmp_path.iterdir() if "stale" in p.name] == []


@pytest.mark.parametrize("lock_kind", sorted(LOCKS))
def test_a_live_lock_makes_others_wait_and_is_not_broken(tmp_path: Path, lock_kind: str) -> None:
    path = tmp_path / "study.log"
    holder, waiter = LOCKS[lock_kind](path), LOCKS[lock_kind](path, grace_period=5)
    acquired_at: list[float] = []

    def wait_for_it() -> None:
        waiter.acquire()
        acquired_at.append(time.monotonic())

    with holder:
        start = time.monotonic()
        thread = threading.Thread(target=wait_for_it)
        thread.start()
        time.sleep(0.3)
        assert acquired_at == []
    thread.join(timeout=5)
    assert len(acquired_at) == 1 and 0.3 <= acquired_at[0] - start < 4
    waiter.release()
    assert not os.path.lexists(f"{path}.lock")


def test_each_stale_trial_is_failed_by_exactly_one_caller(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    handles = [_open(path, heartbeat_interval=0.05, grace_period=0.1) for _ in range(4)]
    study_id = handles[0].create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_ids = [handles[0].create_new_trial(study_id) for _ in range(6)]
    for trial_id in trial_ids:
        handles[0].record_heartbeat(trial_id)
    handles[1].record_heartbeat(trial_ids[0])
    unbeaten = handles[0].create_new_trial(study_id)  # no heartbeat: never counts as stale
    time.sleep(0.2)
    barrier = threading.Barrier(8)
    failed: list[int] = []

    def call(i: int) -> None:
        barrier.wait()
        failed.extend(handles[i % 4].fail_stale_trials(study_id))

    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(failed) == trial_ids
    assert handles[3].get_trial(unbeaten).state == TrialState.RUNNING
    assert handles[2].get_n_trials(study_id, TrialState.FAIL) == 6


def test_heartbeats_of_finished_trials_are_not_written(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    storage = _open(path, heartbeat_interval=1)
    study_id = storage.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
    size = path.stat().st_size
    storage.record_heartbeat(trial_id)
    assert path.stat().st_size == size


# -- bad input ---------------------------------------------------------------------------------
def test_a_directory_is_refused_naming_the_argument(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'file_path' parameter of JournalFileBackend.*directory"):
        JournalFileBackend(tmp_path)


def test_a_missing_directory_is_refused_naming_the_argument(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'file_path'.*does not exist"):
        JournalFileBackend(tmp_path / "missing" / "study.log")


@pytest.mark.parametrize("value", [None, 3, ""], ids=["none", "int", "empty"])
def test_a_non_path_is_refused_naming_the_argument(value: Any) -> None:
    with pytest.raises(ValueError, match="'file_path'"):
        JournalFileBackend(value)


@pytest.mark.parametrize(
    "content", [b"my notes\nmore notes\n", b"SQLite format 3\x00"], ids=["text", "sqlite"]
)
def test_a_foreign_file_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="must be a podbor journal"):
        JournalFileBackend(path)
    assert path.read_bytes() == content


def test_a_journal_of_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.log"
    path.write_bytes(b'{"op":"header","format":"podbor-journal","version":99}\n')
    with pytest.raises(ValueError, match="newer podbor"):
        JournalFileBackend(path)


def test_a_plain_path_is_not_a_journal_storage(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'log_storage'.*JournalFileBackend"):
        JournalStorage(str(tmp_path / "study.log"))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        get_storage(str(tmp_path / "study.log"))  # a string is a database URL
    assert not (tmp_path / "study.log").exists()


@pytest.mark.parametrize("lock_kind", sorted(LOCKS))
@pytest.mark.parametrize("grace_period", [0, -1.0, "30", True], ids=repr)
def test_bad_lock_grace_period_names_the_argument(
    tmp_path: Path, lock_kind: str, grace_period: Any
) -> None:
    with pytest.raises(ValueError, match="'grace_period'"):
        LOCKS[lock_kind](tmp_path / "study.log", grace_period=grace_period)


def test_bad_lock_object_names_the_argument(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'lock_obj'"):
        JournalFileBackend(tmp_path / "study.log", lock_obj="lock")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval"),
        ({"grace_period": 5}, "grace_period"),
        ({"heartbeat_stale_trial_callback": print}, "heartbeat_stale_trial_callback"),
    ],
)
def test_bad_heartbeat_settings_name_the_argument(
    tmp_path: Path, kwargs: dict[str, Any], name: str
) -> None:
    with pytest.raises(ValueError, match=f"'{name}'"):
        _open(tmp_path / "study.log", **kwargs)
