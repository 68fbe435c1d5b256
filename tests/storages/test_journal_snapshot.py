"""The snapshot beside a long journal (issue 21: ``load_study`` of a 10⁵-trial journal): a handle
that opens the journal from its snapshot and the lines after it sees exactly what a full replay
sees, and a snapshot that does not match its journal (another journal's, damaged, cut short,
unwritable) is never used.
"""

from __future__ import annotations

import itertools
import json
import math
import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.storages import JournalStorage
from podbor.storages._journal import _keeper as snapshot_policy
from podbor.storages._journal import _snapshot
from podbor.storages._journal._codec import decode_attr, encode_attr, encode_stored_attr
from podbor.storages.journal import JournalFileBackend
from podbor.trial import TrialState, create_trial


def _open(path: Path, **kwargs: Any) -> JournalStorage:
    return JournalStorage(JournalFileBackend(str(path)), **kwargs)


def _replayed(path: Path, monkeypatch: pytest.MonkeyPatch) -> JournalStorage:
    """A handle that replays every line (snapshots neither read nor written)."""
    with monkeypatch.context() as m:
        m.setattr(snapshot_policy, "load_snapshot", lambda *args: None)
        m.setattr(snapshot_policy, "save_snapshot", lambda *args: False)
        return _open(path, heartbeat_interval=60)


_SELECTIONS = [(state,) for state in TrialState] + [
    (TrialState.COMPLETE, TrialState.PRUNED),
    (TrialState.RUNNING, TrialState.COMPLETE),
    (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED),
]


def _state(storage: JournalStorage) -> list[Any]:
    """Everything a handle can tell about its studies (comparable between handles)."""
    out: list[Any] = []
    for frozen in storage.get_all_studies():
        study_id = frozen._study_id
        trials = storage.get_all_trials(study_id)
        best: Any
        try:
            best = storage.get_best_trial(study_id).number
        except ValueError:
            best = None
        out.append(
            (
                study_id,
                frozen.study_name,
                frozen.directions,
                storage.get_study_user_attrs(study_id),
                storage.get_study_system_attrs(study_id),
                [(t, t.distributions, storage.get_trial_heartbeat(t._trial_id)) for t in trials],
                [storage.get_n_trials(study_id, s) for s in TrialState],
                [  # the indexes by state (RUNNING, finished, merged) agree with a scan
                    [t.number for t in storage.get_all_trials(study_id, False, states)]
                    for states in _SELECTIONS
                ],
                best,
            )
        )
    return out


def _assert_reads_as_replayed(
    path: Path, monkeypatch: pytest.MonkeyPatch, handle: JournalStorage
) -> None:
    """A fresh handle (from the snapshot as it is), a full replay and ``handle`` agree."""
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)  # read it, write none
    assert _state(_open(path)) == _state(_replayed(path, monkeypatch)) == _state(handle)


def _fill(path: Path) -> JournalStorage:
    """A journal that holds one of everything a study can hold."""
    storage = _open(path, heartbeat_interval=60)
    gone = podbor.create_study(storage=storage, study_name="deleted")
    gone.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study = podbor.create_study(storage=storage, study_name="s", direction="maximize")
    study.set_user_attr("inf", math.inf)
    study.set_user_attr("wrapper-like", {"$json": "1"})
    study.enqueue_trial({"x": 0.5, "n": 2, "c": "b"})
    study.enqueue_trial({"x": 0.25})

    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        n = trial.suggest_int("n", 1, 8, log=True)
        trial.suggest_categorical("c", ["a", "b", None])
        trial.set_user_attr("nan", math.nan)
        for step in range(3):
            trial.report(x * step, step)
        if trial.number % 5 == 3:
            raise podbor.TrialPruned()
        if trial.number % 5 == 4:
            raise ValueError("failed on purpose")
        return 1.0 if trial.number in (6, 7) else x + n  # a tie: the earlier one stays best

    study.optimize(objective, n_trials=12, catch=(ValueError,))
    study.add_trial(
        create_trial(
            params={"x": 0.1, "k": 3},
            distributions={"x": FloatDistribution(0, 1), "k": IntDistribution(0, 9, step=3)},
            value=0.0,
            user_attrs={"list": [1, [2, {"a": None}]]},
        )
    )
    study.enqueue_trial({"c": "a"})  # WAITING, oldest first: the two above were claimed
    running = storage.create_running_trial(study._core.study_id, heartbeat=True)
    assert running is not None
    storage.set_trial_param(running, "c", 2, CategoricalDistribution(["a", "b", None]))
    podbor.delete_study(study_name="deleted", storage=storage)
    return storage


def test_a_handle_opened_from_a_snapshot_sees_what_a_full_replay_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.log"
    _fill(path)
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    first = _open(path, heartbeat_interval=60)  # replays every line, then writes the snapshot
    snapshot = Path(_snapshot.snapshot_path(str(path)))
    assert snapshot.exists()
    head = json.loads(snapshot.read_text().splitlines()[0])
    assert head["offset"] == path.stat().st_size
    assert _state(first) == _state(_replayed(path, monkeypatch))

    # lines after the snapshot: the tail is replayed on top of it
    study = podbor.load_study(study_name="s", storage=first)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # claims the WAITING one
    study.enqueue_trial({"x": 0.75})
    study.enqueue_trial({"x": 0.125})
    snapshot_bytes = snapshot.read_bytes()
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)  # read it, write none
    from_snapshot = _open(path, heartbeat_interval=60)
    assert snapshot.read_bytes() == snapshot_bytes
    full = _replayed(path, monkeypatch)
    assert _state(from_snapshot) == _state(full)

    # and it goes on as the full replay does: the same ids, numbers and WAITING order
    claimed = []
    for handle in (from_snapshot, full):
        study_id = handle.get_study_id_from_name("s")
        claimed.append(handle.claim_waiting_trial(study_id))
    assert claimed[0] is not None
    assert claimed[1] == claimed[0] + 1  # the oldest, then the next: both handles agree
    assert _state(from_snapshot) == _state(full)
    fresh = _replayed(path, monkeypatch)
    assert _state(fresh) == _state(full)
    assert fresh.create_new_study([podbor.StudyDirection.MINIMIZE], "new") == 2


def _filled_snapshot(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines of the snapshot that a full replay of :func:`_fill`'s journal writes (the
    snapshot threshold is left at one line)."""
    _fill(path)
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    _open(path, heartbeat_interval=60)
    return Path(_snapshot.snapshot_path(str(path))).read_text().splitlines()


def test_a_block_of_several_chunks_reads_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.log"
    monkeypatch.setattr(_snapshot, "CHUNK_TRIALS", 4)  # 15 trials: 4 chunk lines
    lines = _filled_snapshot(path, monkeypatch)
    chunks = [json.loads(line)["trials"] for line in lines[1:-1]]
    assert chunks == [4, 4, 4, 3] and json.loads(lines[-1])["rows"] == 15
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
    assert _state(_open(path, heartbeat_interval=60)) == _state(_replayed(path, monkeypatch))
    # a chunk that is cut short ends the block: the snapshot is not used, the journal replayed
    Path(_snapshot.snapshot_path(str(path))).write_text(
        "\n".join([*lines[:2], lines[2][: len(lines[2]) // 2], *lines[3:]]) + "\n"
    )
    assert _snapshot.load_snapshot(str(path), "test") is None
    assert _state(_open(path, heartbeat_interval=60)) == _state(_replayed(path, monkeypatch))


def test_a_snapshot_of_the_older_format_is_written_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a podbor of the older format left a snapshot that reaches the journal's end: it cannot be
    # read, and it must not stop this one from writing its own (else every load replays)
    path = tmp_path / "j.log"
    lines = _filled_snapshot(path, monkeypatch)
    snapshot = Path(_snapshot.snapshot_path(str(path)))
    head, end = json.loads(lines[0]), json.loads(lines[-1])
    head["version"] = 2
    del end["version"]
    snapshot.write_text("\n".join([json.dumps(head), *lines[1:-1], json.dumps(end)]) + "\n")
    assert _snapshot.snapshot_end(str(path)) is None
    assert _snapshot.load_snapshot(str(path), "test") is None
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
    assert _state(_open(path, heartbeat_interval=60)) == _state(_replayed(path, monkeypatch))
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    _open(path, heartbeat_interval=60)  # replays in full, and writes this format's snapshot
    assert json.loads(snapshot.read_text().splitlines()[0])["version"] == _snapshot.VERSION
    assert _snapshot.snapshot_end(str(path)) == end["end"]
    loaded = _snapshot.load_snapshot(str(path), "test")
    assert loaded is not None and loaded[2] == end["end"]


@pytest.mark.parametrize(
    "damage",
    ["another-journal", "cut-short", "garbage", "journal-replaced", "newer-format", "empty"],
)
def test_a_snapshot_that_does_not_match_its_journal_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    path, other = tmp_path / "j.log", tmp_path / "other.log"
    _fill(path)
    for_other = _open(other)
    podbor.create_study(storage=for_other, study_name="s").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=40
    )
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    _open(path)
    _open(other)
    snapshot = Path(_snapshot.snapshot_path(str(path)))
    lines = snapshot.read_bytes().splitlines(keepends=True)
    if damage == "another-journal":
        shutil.copy(_snapshot.snapshot_path(str(other)), snapshot)
    elif damage == "cut-short":
        snapshot.write_bytes(b"".join(lines[:-3]))
    elif damage == "garbage":
        snapshot.write_bytes(lines[0] + b"[0, 1, \n" + b"".join(lines[2:]))
    elif damage == "journal-replaced":  # the same path now holds a different journal
        shutil.copy(other, path)
    elif damage == "newer-format":
        head = json.loads(lines[0])
        head["version"] = 99
        snapshot.write_bytes(json.dumps(head).encode() + b"\n" + b"".join(lines[1:]))
    else:
        snapshot.write_bytes(b"")
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
    assert _state(_open(path, heartbeat_interval=60)) == _state(_replayed(path, monkeypatch))


def test_no_snapshot_where_it_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.log"
    _fill(path)

    def refuse(*args: Any) -> None:
        raise PermissionError("read-only folder")

    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    monkeypatch.setattr(_snapshot.os, "replace", refuse)
    storage = _open(path, heartbeat_interval=60)  # reads, says nothing, writes nothing
    assert _state(storage) == _state(_replayed(path, monkeypatch))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.log"]


_LIMITS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=25, deadline=None, suppress_health_check=_LIMITS)
@given(
    plan=st.lists(
        st.tuples(
            st.sampled_from(
                ["trial", "fail", "prune", "enqueue", "attr", "running", "snapshot", "block"]
            ),
            st.floats(0, 1),
        ),
        min_size=1,
        max_size=16,
    )
)
def test_generated_studies_read_the_same_from_a_snapshot(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, float]]
) -> None:
    path = tmp_path_factory.mktemp("gen") / "j.log"
    storage = _open(path)
    study = podbor.create_study(storage=storage, study_name="s")
    with pytest.MonkeyPatch.context() as m:
        for step, x in plan:
            if step == "snapshot":
                m.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
                _open(path)
                m.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
            elif step == "block":  # the long-lived handle reads: it appends a block
                m.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
                storage.get_all_studies()
                m.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
            elif step == "enqueue":
                study.enqueue_trial({"x": x})
            elif step == "attr":
                study.set_user_attr(f"a{x}", [x, {"k": x}])
            elif step == "running":
                trial = study.ask()
                trial.suggest_float("x", 0, 1)
            else:
                trial = study.ask()
                value = trial.suggest_float("x", 0, 1)
                trial.report(value, 0)
                state = {"fail": TrialState.FAIL, "prune": TrialState.PRUNED}.get(step)
                study.tell(trial, None if state else value, state=state)
        m.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
        assert _state(_open(path)) == _state(_replayed(path, m))


def _blocks(path: Path | bytes) -> list[tuple[int | None, int, int]]:
    """``(since, line, trials)`` of each block of the snapshot beside ``path`` (or in these
    bytes), a torn line left out."""
    data = (
        path if isinstance(path, bytes) else Path(_snapshot.snapshot_path(str(path))).read_bytes()
    )
    out = []
    for raw in data.splitlines():
        try:
            row = json.loads(raw)
        except ValueError:
            continue
        if isinstance(row, dict) and "format" in row:
            out.append((row["since"], row["line"], 0))
        elif isinstance(row, dict) and "trials" in row:  # a chunk of trials
            since, line, n = out[-1]
            out[-1] = (since, line, n + row["trials"])
    return out


def test_a_long_lived_handle_appends_blocks_of_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.log"
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 40)
    worker = _open(path)  # opened on an empty journal: a worker of a study that grows
    study = podbor.create_study(storage=worker, study_name="s")
    behind = []
    for _ in range(8):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
        end = _snapshot.snapshot_end(str(path))
        behind.append(path.read_bytes().count(b"\n") + 1 - (end or 1))
    # one whole block, then one block per ~40 lines with the ~10 trials changed since: a
    # fresh handle never replays many lines, and the file stays about one line per trial
    blocks = _blocks(path)
    assert blocks[0][0] is None and len(blocks) >= 6
    assert all(since == line for (_, line, _), (since, _, _) in itertools.pairwise(blocks))
    assert all(n <= 12 for _, _, n in blocks[1:])
    assert max(behind) < 40 + 6
    assert sum(n for _, _, n in blocks) <= len(study.trials) + 8
    _assert_reads_as_replayed(path, monkeypatch, worker)


def test_blocks_of_two_workers_read_the_same_as_a_full_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "j.log"
    _fill(path)
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    first, second = _open(path), _open(path)
    one = podbor.load_study(study_name="s", storage=first)
    two = podbor.load_study(study_name="s", storage=second)
    for i in range(6):  # each read of either appends a block unless the other's is recent
        for study in (one, two):
            trial = study.ask()
            x = trial.suggest_float("x", 0, 1)
            if i % 3 == 2:
                study.tell(trial, state=TrialState.FAIL)
            elif i % 3 == 1:
                trial.set_user_attr("left", "running")
            else:
                study.tell(trial, x)
            study.set_user_attr(f"u{i}", i)
    podbor.delete_study(study_name="s", storage=first)
    podbor.create_study(storage=first, study_name="after").optimize(
        lambda t: t.suggest_int("k", 0, 3), n_trials=3
    )
    first.get_all_studies()
    assert len(_blocks(path)) >= 3
    _assert_reads_as_replayed(path, monkeypatch, first)


@pytest.mark.parametrize("damage", ["torn-block", "stale-block", "not-newer"])
def test_a_bad_last_block_leaves_the_blocks_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """A block torn by a killed writer, or appended by two handles at once, is not read; the
    snapshot up to it is, and the next block goes after a rewrite."""
    path = tmp_path / "j.log"
    _fill(path)
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    worker = _open(path)
    study = podbor.load_study(study_name="s", storage=worker)
    snapshot = Path(_snapshot.snapshot_path(str(path)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)  # appends blocks
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    before = snapshot.read_bytes()
    worker.get_all_studies()  # a read: one block
    last = snapshot.read_bytes()[len(before) :].splitlines(keepends=True)
    assert len(_blocks(b"".join(last))) == 1
    head, end = json.loads(last[0]), json.loads(last[-1])
    if damage == "torn-block":
        snapshot.write_bytes(before + b"".join(last)[: -len(last[-1]) - 7])
    else:  # a block starting from a line the one before it does not reach, or not newer
        if damage == "stale-block":
            head["since"] = head["line"] + 1000
        else:
            head["line"] = end["end"] = _blocks(before)[-1][1]
        rows = b"".join(last[1:-1])
        snapshot.write_bytes(
            before + json.dumps(head).encode() + b"\n" + rows + json.dumps(end).encode() + b"\n"
        )
    kept = _snapshot.load_snapshot(str(path), "j")
    assert kept is not None and kept[2] == _blocks(before)[-1][1]
    _assert_reads_as_replayed(path, monkeypatch, worker)
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # the worker goes on
    if damage == "torn-block":
        first = _blocks(path)[0]  # rewritten whole, then blocks after it
        assert first[0] is None and first[1] > _blocks(before)[-1][1]
    _assert_reads_as_replayed(path, monkeypatch, worker)


def test_a_snapshot_of_many_blocks_is_rewritten_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running trial changed in every block is written in every block: past twice as many
    trial lines as trials the file is rewritten as one block."""
    path = tmp_path / "j.log"
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    monkeypatch.setattr(_snapshot, "SNAPSHOT_LINES", 1)
    worker = _open(path)
    study = podbor.create_study(storage=worker, study_name="s")
    trial = study.ask()
    sizes = []
    for i in range(12):
        trial.report(float(i), i)
        worker.get_all_trials(study._core.study_id)
        sizes.append(sum(n for _, _, n in _blocks(path)))
    assert max(sizes) <= 2 * 1 + 1 + 1  # 2 x trials + SNAPSHOT_LINES, then one more block
    assert 1 in sizes[2:]  # rewritten
    _assert_reads_as_replayed(path, monkeypatch, worker)


def test_writes_never_stop_to_write_a_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write may be a heartbeat, which must not wait seconds for a snapshot: only reads
    # refresh it.
    path = tmp_path / "j.log"
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10)
    writer, other = _open(path), _open(path)
    study_id = writer.create_new_study([podbor.StudyDirection.MINIMIZE], "s")
    trial_id = writer.create_new_trial(study_id)
    for i in range(40):  # another process's lines, then this handle's writes
        other.set_trial_user_attr(trial_id, f"a{i}", i)
        writer.set_trial_system_attr(trial_id, f"b{i}", i)
    assert not Path(_snapshot.snapshot_path(str(path))).exists()
    writer.get_all_trials(study_id)  # a read: the journal has grown far past the threshold
    assert _snapshot.snapshot_end(str(path)) == path.read_bytes().count(b"\n") + 1


def _worker(path: str, n_trials: int) -> None:
    storage = _open(Path(path))
    study = podbor.load_study(study_name="s", storage=storage)

    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        if x < 0.2:
            raise podbor.TrialPruned()
        return x

    study.optimize(objective, n_trials=n_trials)


def test_workers_in_several_processes_append_blocks_that_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that append blocks at the same time leave a snapshot that reads as a full replay
    does (each takes the lock for one append; a busy lock means a later read tries again)."""
    path = tmp_path / "j.log"
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 7)  # inherited by the forks
    monkeypatch.setattr(_snapshot, "SNAPSHOT_LINES", 7)
    appended = tmp_path / "appended"
    append = snapshot_policy.append_snapshot

    def counted(*args: Any) -> bool | None:  # a compaction may leave one block: count appends
        done = append(*args)
        if done:
            with appended.open("a") as out:
                out.write(f"{os.getpid()}\n")
        return done

    monkeypatch.setattr(snapshot_policy, "append_snapshot", counted)
    podbor.create_study(storage=_open(path), study_name="s")
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_worker, args=(str(path), 40)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert len(set(appended.read_text().split())) >= 2  # several processes appended blocks
    assert len(appended.read_text().split()) >= 3
    end = _snapshot.snapshot_end(str(path))
    assert end is not None and path.read_bytes().count(b"\n") + 1 - end < 7 * 3
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 10**9)
    fresh = _open(path)
    assert _state(fresh) == _state(_replayed(path, monkeypatch))
    assert len(fresh.get_all_trials(0)) == 120


def test_a_handle_waits_for_another_handles_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While another handle holds ``<snapshot>.lock`` a handle appends nothing and keeps what
    changed for a later read; a lock a killed writer left behind is broken after a while."""
    path = tmp_path / "j.log"
    monkeypatch.setattr(snapshot_policy, "SNAPSHOT_LINES", 1)
    worker = _open(path)
    study = podbor.create_study(storage=worker, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    lock = Path(_snapshot.snapshot_path(str(path)) + ".lock")
    lock.touch()
    before = _blocks(path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert _blocks(path) == before and worker._model.changed  # kept for later
    stale = _snapshot._STALE_LOCK + 1
    os.utime(lock, (lock.stat().st_atime - stale, lock.stat().st_mtime - stale))
    worker.get_all_studies()
    assert not lock.exists() and len(_blocks(path)) == len(before) + 1
    assert _blocks(path)[-1][2] >= 2  # the trials changed while the lock was held
    _assert_reads_as_replayed(path, monkeypatch, worker)


@pytest.mark.parametrize(
    "value",
    ["text", 3, True, None, 0.5, math.inf, -math.inf, math.nan, [1, math.nan], {"$json": "1"}],
)
def test_stored_attrs_encode_as_the_checked_path(value: Any) -> None:
    # the snapshot skips the checks for plain scalars; what it writes must not differ
    fast, checked = encode_stored_attr(value, "user", "k"), encode_attr(value, "user", "k")
    assert json.dumps(fast) == json.dumps(checked)
    back = decode_attr(json.loads(json.dumps(fast, allow_nan=False)))
    assert repr(back) == repr(value)
