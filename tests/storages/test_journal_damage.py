"""A damaged journal file (issue 17, points 7 and 8): nothing finished is lost, a clear message
names the file and the line, every process reads the same studies, and nothing foreign is
changed.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podbor
from podbor.exceptions import StorageInternalError
from podbor.storages import JournalStorage
from podbor.storages.journal import (
    BaseJournalFileLock,
    JournalFileBackend,
    JournalFileOpenLock,
    JournalFileSymlinkLock,
)
from podbor.trial import TrialState

N_FINISHED = 3


def _open(path: Path, lock: BaseJournalFileLock | None = None) -> JournalStorage:
    return JournalStorage(JournalFileBackend(path, lock_obj=lock))


def _summary(storage: JournalStorage) -> list[Any]:
    """Everything a reader sees of every study (comparable between processes)."""
    out = []
    for frozen in storage.get_all_studies():
        study_id = storage.get_study_id_from_name(frozen.study_name)
        trials = [
            (t.number, t.state, t.values, t.params, t.user_attrs, t.intermediate_values)
            for t in storage.get_all_trials(study_id)
        ]
        out.append((frozen.study_name, trials, storage.get_study_user_attrs(study_id)))
    return out


def _journal(path: Path) -> tuple[JournalStorage, int]:
    """A journal with ``N_FINISHED`` finished trials; returns the storage and the file size."""
    storage = _open(path)
    study = podbor.create_study(storage=storage, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=N_FINISHED)
    return storage, path.stat().st_size


def _podbor_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# -- a journal truncated in its last record ------------------------------------------------------
def test_truncated_at_every_byte_of_the_last_record(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "source.log"
    storage, _ = _journal(source)
    before = source.read_bytes()
    expected = _summary(storage)
    storage.set_study_user_attr(0, "last", [1, 2])  # the last record, to be torn
    full = source.read_bytes()
    n_lines = full.count(b"\n")
    for cut in range(len(before), len(full)):
        path = tmp_path / f"cut{cut}.log"
        path.write_bytes(full[:cut])
        reader = _open(path)
        assert _summary(reader) == expected  # every finished trial, without the torn record
        # the next write cuts the torn record off, says which line, and keeps the rest
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="podbor"):
            reader.set_study_user_attr(0, "after", cut)
        if cut > len(before):
            (message,) = _podbor_warnings(caplog)
            assert f"line {n_lines}" in message and str(path) in message
        again = _summary(_open(path))
        assert again[0][1] == expected[0][1] and again[0][2] == {"after": cut}


# -- a bad line in the middle -------------------------------------------------------------------
def _nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


DIST = json.dumps(
    {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "step": None, "log": False}}
)
BAD_LINES: list[Any] = [
    b"this is not json",
    b"\xff\xfe garbage",
    b"[1, 2, 3]",
    b'{"op": "set_state", "trial_id": 0, "state": "COMPLETE", "values": [1.0], "time": '
    + b"[" * 100000
    + b"]" * 100000
    + b"}",
    {"op": "no_such_op"},
    {"op": "set_state", "trial_id": 0, "state": "COMPLETE", "values": ["x"], "time": "2020-01-01"},
    {"op": "set_state", "trial_id": 0, "state": "DONE", "values": [1.0], "time": "2020-01-01"},
    {"op": "set_state", "trial_id": "0", "state": "FAIL", "values": None, "time": "2020-01-01"},
    {"op": "set_state", "trial_id": True, "state": "FAIL", "values": None, "time": "2020-01-01"},
    {"op": "set_state", "trial_id": 0, "state": "FAIL", "values": None, "time": "yesterday"},
    {"op": "set_state", "trial_id": 0, "state": "COMPLETE", "values": [10**400], "time": "2020"},
    {"op": "set_state", "trial_id": 2**70, "state": "FAIL", "values": None, "time": "2020-01-01"},
    {"op": "set_report", "trial_id": 0, "step": 1.5, "value": 1.0},
    {"op": "set_report", "trial_id": 0, "step": 2**64, "value": 1.0},
    {"op": "set_report", "trial_id": 0, "step": 1, "value": "one"},
    {"op": "set_trial_attr", "trial_id": 0, "kind": "user", "key": 5, "value": 1},
    {"op": "set_trial_attr", "trial_id": 0, "kind": "other", "key": "k", "value": 1},
    {"op": "set_trial_attr", "trial_id": 0, "kind": "user", "key": "k", "value": {"$json": "[[["}},
    {"op": "set_trial_attr", "trial_id": 0, "kind": "user", "key": "k", "value": _nest(150)},
    {"op": "set_study_attr", "study_id": 0, "kind": "user", "key": ["k"], "value": 1},
    {"op": "set_param", "trial_id": 0, "name": "y", "value": "abc", "dist": DIST},
    {"op": "create_study", "name": 5, "directions": ["MINIMIZE"]},
    {"op": "create_study", "name": "t", "directions": []},
    {"op": "create_study", "name": "t", "directions": "MINIMIZE"},
    {"op": "create_trial", "study_id": "0", "time": "2020-01-01T00:00:00"},
    {"op": "create_trial", "study_id": 0, "time": "2020-01-01", "template": {"state": "X"}},
    {"op": "heartbeat", "trial_id": 0, "time": "now"},
    {"op": "fail_stale", "trial_ids": [0, "a"], "time": "2020-01-01T00:00:00"},
    {"op": "delete_study", "study_id": -1},
]


def _line(bad: Any) -> bytes:
    return bad if isinstance(bad, bytes) else json.dumps(bad).encode()


@pytest.mark.parametrize("bad", BAD_LINES, ids=lambda b: _line(b)[:40].decode(errors="replace"))
def test_a_bad_line_in_the_middle(
    tmp_path: Path, bad: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "study.log"
    running, _ = _journal(path)
    expected = _summary(running)
    n_lines = path.read_bytes().count(b"\n")
    with open(path, "ab") as f:  # a bad line, then a good one written by podbor
        f.write(_line(bad) + b"\n")
    with caplog.at_level(logging.WARNING, logger="podbor"):
        writer = _open(path)  # a fresh process reads it
        writer.set_study_user_attr(0, "after", True)
    messages = _podbor_warnings(caplog)
    assert any(f"line {n_lines + 1}" in m and str(path) in m for m in messages), messages
    expected[0] = (expected[0][0], expected[0][1], {"after": True})
    # the running process, the writer and a fresh process all see the same: nothing lost
    assert _summary(running) == _summary(writer) == _summary(_open(path)) == expected
    assert all(t[1] == TrialState.COMPLETE for t in expected[0][1])


def test_a_bad_line_is_refused_at_write_time(tmp_path: Path) -> None:
    """What podbor writes always passes the same checks as replay, so a bad line never gets in
    through the storage API."""
    path = tmp_path / "study.log"
    storage, size = _journal(path)
    trial_id = storage.get_all_trials(0)[0]._trial_id
    with pytest.raises(ValueError):
        storage._write(lambda: {"op": "set_report", "trial_id": trial_id, "step": 1.5, "value": 1})
    assert path.stat().st_size == size


# -- a foreign file at the lock path ------------------------------------------------------------
@pytest.mark.parametrize("lock_cls", [JournalFileSymlinkLock, JournalFileOpenLock])
@pytest.mark.parametrize("content", [b"my notes", b"\x00\x01binary", b"host:1:short"])
def test_a_foreign_file_at_the_lock_path_is_left_alone(
    tmp_path: Path, lock_cls: type[BaseJournalFileLock], content: bytes
) -> None:
    path = tmp_path / "study.log"
    storage, size = _journal(path)
    expected = _summary(storage)
    lock_path = tmp_path / "study.log.lock"
    lock_path.write_bytes(content)
    stat = lock_path.stat()
    reader = _open(path, lock_cls(path, grace_period=0.01))
    assert _summary(reader) == expected  # reads need no lock
    with pytest.raises(StorageInternalError, match="not a podbor lock") as info:
        reader.set_study_user_attr(0, "k", 1)
    assert str(lock_path) in str(info.value)
    assert lock_path.read_bytes() == content and lock_path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.stat().st_size == size
    assert sorted(os.listdir(tmp_path)) == ["study.log", "study.log.lock"]
    lock_path.unlink()  # moved away: the journal works again
    reader.set_study_user_attr(0, "k", 1)
    assert _summary(_open(path))[0][2] == {"k": 1}


def test_a_directory_at_the_lock_path_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "study.log"
    _journal(path)
    (tmp_path / "study.log.lock").mkdir()
    (tmp_path / "study.log.lock" / "keep").write_text("x")
    for lock in (JournalFileSymlinkLock(path, grace_period=0.01), JournalFileOpenLock(path, 0.01)):
        with pytest.raises(StorageInternalError, match="not a podbor lock"):
            _open(path, lock).set_study_user_attr(0, "k", 1)
    assert (tmp_path / "study.log.lock" / "keep").read_text() == "x"


@pytest.mark.parametrize("lock_cls", [JournalFileSymlinkLock, JournalFileOpenLock])
def test_an_abandoned_podbor_lock_is_still_broken(
    tmp_path: Path, lock_cls: type[BaseJournalFileLock]
) -> None:
    path = tmp_path / "study.log"
    _journal(path)
    token = "otherhost:12345:" + "ab" * 16
    lock_path = tmp_path / "study.log.lock"
    if lock_cls is JournalFileSymlinkLock:
        os.symlink(token, lock_path)
    else:
        lock_path.write_text(token)
    storage = _open(path, lock_cls(path, grace_period=0.05))
    storage.set_study_user_attr(0, "k", 1)
    assert not os.path.lexists(lock_path)
    assert _summary(_open(path))[0][2] == {"k": 1}


# -- generated lines: every process agrees ------------------------------------------------------
_scalar = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-3, max_value=5)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["inf", "nan", "COMPLETE", "FAIL", "RUNNING", "user", "system", "x"])
    | st.sampled_from(["2020-01-01T00:00:00", "MINIMIZE", DIST, "s"])
)
_value = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
_FIELD_NAMES = [
    "name", "directions", "study_id", "trial_id", "trial_ids", "kind", "key", "value", "time",
    "template", "dist", "state", "values", "step",
]  # fmt: skip
_op = st.builds(
    lambda name, fields: {"op": name, **fields},
    st.sampled_from(
        [
            "create_study",
            "delete_study",
            "set_study_attr",
            "create_trial",
            "set_param",
            "set_state",
            "set_report",
            "set_trial_attr",
            "heartbeat",
            "fail_stale",
            "other",
        ]
    ),
    st.dictionaries(st.sampled_from(_FIELD_NAMES), _value, max_size=6),
)


_LIMITS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=40, suppress_health_check=_LIMITS)
@given(ops=st.lists(_op, min_size=1, max_size=3))
def test_generated_lines_read_the_same_in_every_process(tmp_path: Path, ops: list[Any]) -> None:
    _check_generated(tmp_path, ops)


@pytest.mark.slow
@settings(max_examples=2000, suppress_health_check=_LIMITS)
@given(ops=st.lists(_op, min_size=1, max_size=6))
def test_generated_lines_read_the_same_in_every_process_long(
    tmp_path: Path, ops: list[Any]
) -> None:
    _check_generated(tmp_path, ops)


def _check_generated(tmp_path: Path, ops: list[Any]) -> None:
    """Bad or good, lines appended by another program are read the same by a running process,
    a writer and a fresh process, and never undo a finished trial."""
    path = tmp_path / f"gen{len(os.listdir(tmp_path))}.log"
    running, _ = _journal(path)
    finished = _summary(running)[0][1]
    with open(path, "ab") as f:
        for op in ops:
            f.write(json.dumps(op, allow_nan=False).encode() + b"\n")
    assert _summary(running) == _summary(_open(path))
    writer = _open(path)
    if writer.get_all_studies() and writer.get_all_studies()[0].study_name == "s":
        writer.set_study_user_attr(0, "after", True)
    assert _summary(running) == _summary(writer) == _summary(_open(path))
    if all(op["op"] != "delete_study" for op in ops):  # finished trials stay as they were
        assert [t[:4] for t in _summary(running)[0][1][:N_FINISHED]] == [t[:4] for t in finished]
