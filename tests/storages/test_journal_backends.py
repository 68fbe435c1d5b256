"""JournalStorage over backends other than its file: the Redis backend (against a real Redis
server) and a user's own ``BaseJournalBackend``. Both run the whole storage conformance suite,
killed workers included; then what only they promise: no lock (the log's order decides races),
records they cannot read skipped, clear errors, Optuna's deprecated names."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import pickle
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError, StorageInternalError
from podbor.storages import BaseStorage, JournalStorage
from podbor.storages.journal import (
    BaseJournalBackend,
    BaseJournalSnapshot,
    JournalFileBackend,
    JournalRedisBackend,
)
from podbor.testing.storages import StorageConformance
from podbor.trial import TrialState


class LinesBackend(BaseJournalBackend):
    """A user's backend: JSON lines in a file under ``flock``. It returns nothing from
    ``append_logs`` (as Optuna's contract allows), so every write is read back."""

    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).touch()

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        with open(self.path, "rb") as f:
            fcntl.flock(f, fcntl.LOCK_SH)
            lines = f.read().splitlines()
        return [json.loads(line) for line in lines[log_number_from:]]

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        data = b"".join(json.dumps(log).encode() + b"\n" for log in logs)
        with open(self.path, "ab") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(data)

    def __repr__(self) -> str:
        return f"LinesBackend({self.path!r})"


def _prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A prefix of this test's own; its journal is deleted afterwards."""
    import redis

    prefix = _prefix()
    yield prefix
    client = redis.Redis.from_url(redis_url)
    client.delete(f"{prefix}:podbor:journal", f"{prefix}:podbor:snapshot")
    client.close()


class TestJournalRedisStorage(StorageConformance):
    @pytest.fixture
    def storage(self, redis_url: str, redis_prefix: str) -> Iterator[BaseStorage]:
        self.url, self.prefix = redis_url, redis_prefix
        yield JournalStorage(JournalRedisBackend(redis_url, prefix=redis_prefix))

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        return JournalStorage(JournalRedisBackend(self.url, prefix=self.prefix), **settings)


class TestJournalRedisClusterStorage(StorageConformance):
    @pytest.fixture
    def storage(self, redis_cluster_url: str) -> Iterator[BaseStorage]:
        import redis.cluster

        self.url, self.prefix = redis_cluster_url, _prefix()
        yield JournalStorage(JournalRedisBackend(self.url, use_cluster=True, prefix=self.prefix))
        client = redis.cluster.RedisCluster.from_url(self.url)
        client.delete(f"{self.prefix}:podbor:journal")
        client.delete(f"{self.prefix}:podbor:snapshot")
        client.close()

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        backend = JournalRedisBackend(self.url, use_cluster=True, prefix=self.prefix)
        return JournalStorage(backend, **settings)


class TestJournalStorageOnUsersBackend(StorageConformance):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[BaseStorage]:
        self.path = str(tmp_path / "journal.jsonl")
        yield JournalStorage(LinesBackend(self.path))

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        return JournalStorage(LinesBackend(self.path), **settings)


class TestJournalStorageOnUsersSnapshotBackend(StorageConformance):
    """A user's backend that keeps a snapshot, saved every 30 records: the handles the suite
    opens start from it."""

    @pytest.fixture
    def storage(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BaseStorage]:
        monkeypatch.setattr("podbor.storages._journal._keeper.SNAPSHOT_LINES", 30)
        self.path = str(tmp_path / "journal.jsonl")
        yield JournalStorage(SnapshotLinesBackend(self.path))

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        return JournalStorage(SnapshotLinesBackend(self.path), **settings)


# -- both backends -----------------------------------------------------------------------------
@pytest.fixture(params=["redis", "redis-cluster", "users"])
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A factory of handles on one fresh journal (each call a new backend object)."""
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        return lambda: JournalRedisBackend(url, prefix=prefix)
    if request.param == "redis-cluster":
        url, prefix = request.getfixturevalue("redis_cluster_url"), _prefix()
        return lambda: JournalRedisBackend(url, use_cluster=True, prefix=prefix)
    path = str(tmp_path / "journal.jsonl")
    return lambda: LinesBackend(path)


def _optimize(backend: BaseJournalBackend, n: int) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.load_study(study_name="shared", storage=JournalStorage(backend))
    study.optimize(lambda t: t.suggest_float("x", -1.0, 1.0) ** 2, n_trials=n)


def test_processes_share_a_study_without_a_lock(make_backend: Any) -> None:
    podbor.create_study(study_name="shared", storage=JournalStorage(make_backend()))
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_optimize, args=(make_backend(), 15)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    trials = podbor.load_study(study_name="shared", storage=JournalStorage(make_backend())).trials
    assert [t.number for t in trials] == list(range(45))  # each number once, in the log's order
    assert all(t.state == TrialState.COMPLETE for t in trials)


class RacingBackend(LinesBackend):
    """Runs ``before_append`` (once) just before its next append: another writer's record
    lands between this writer's last read and its own record, which no lock prevents."""

    before_append: Any = None

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        hook, self.before_append = self.before_append, None
        if hook is not None:
            hook()
        super().append_logs(logs)


def test_a_race_lost_gets_the_answer_a_locked_writer_gets(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.jsonl")
    backend = RacingBackend(path)
    racer, rival = JournalStorage(backend), JournalStorage(LinesBackend(path))
    minimize = [podbor.study.StudyDirection.MINIMIZE]
    study_id = racer.create_new_study(minimize, "s")
    waiting = podbor.trial.create_trial(state=TrialState.WAITING)
    claimed = racer.create_new_trial(study_id, template_trial=waiting)
    running = racer.create_new_trial(study_id)

    # the name is taken by the rival's record, which comes first in the log
    backend.before_append = lambda: rival.create_new_study(minimize, "taken")
    with pytest.raises(DuplicatedStudyError, match="taken"):
        racer.create_new_study(minimize, "taken")
    # the WAITING trial is claimed by the rival first: the racer is told False
    backend.before_append = lambda: rival.set_trial_state_values(claimed, TrialState.RUNNING)
    assert racer.set_trial_state_values(claimed, TrialState.RUNNING) is False
    # the trial is finished by the rival first: the racer gets the finished-trial error
    backend.before_append = lambda: rival.set_trial_state_values(
        running, TrialState.COMPLETE, [1.0]
    )
    with pytest.raises(podbor.exceptions.UpdateFinishedTrialError):
        racer.set_trial_state_values(running, TrialState.FAIL)
    # and every handle reads the same outcome
    for storage in (racer, rival, JournalStorage(LinesBackend(path))):
        assert [s.study_name for s in storage.get_all_studies()] == ["s", "taken"]
        trials = storage.get_all_trials(study_id)
        assert [t.state for t in trials] == [TrialState.RUNNING, TrialState.COMPLETE]
        assert trials[1].value == 1.0


def test_a_budget_holds_when_workers_race_without_a_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.jsonl")
    backend = RacingBackend(path)
    racer, rival = JournalStorage(backend), JournalStorage(LinesBackend(path))
    study_id = racer.create_new_study([podbor.study.StudyDirection.MINIMIZE], "budget")
    assert racer.create_running_trial(study_id, limit=3) is not None
    # the racer has checked 1 < 3; before its record lands, the rival takes the last two places
    backend.before_append = lambda: [rival.create_running_trial(study_id, limit=3) for _ in "ab"]
    assert racer.create_running_trial(study_id, limit=3) is None
    for storage in (racer, rival, JournalStorage(LinesBackend(path))):
        assert len(storage.get_all_trials(study_id)) == 3
    # a FAIL trial does not count against the budget, as with the file's lock
    first = racer.get_all_trials(study_id)[0]._trial_id
    racer.set_trial_state_values(first, TrialState.FAIL)
    assert rival.create_running_trial(study_id, limit=3) is not None
    assert racer.create_running_trial(study_id, limit=3) is None


def test_records_that_are_not_operations_are_skipped_with_a_warning(
    make_backend: Any, caplog: pytest.LogCaptureFixture
) -> None:
    backend = make_backend()
    podbor.create_study(study_name="a", storage=JournalStorage(backend))
    backend.append_logs([{"not": "an operation"}, {"op": "no such operation"}])
    podbor.create_study(study_name="b", storage=JournalStorage(make_backend()))
    with caplog.at_level("WARNING"):
        names = [s.study_name for s in podbor.get_all_study_summaries(JournalStorage(backend))]
    assert names == ["a", "b"]
    assert "Skipped record 2" in caplog.text  # numbered as every reader numbers it


def test_pickled_storage_is_another_handle_on_the_same_journal(make_backend: Any) -> None:
    storage = JournalStorage(make_backend())
    podbor.create_study(study_name="p", storage=storage).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=3
    )
    again = pickle.loads(pickle.dumps(storage))
    assert len(podbor.load_study(study_name="p", storage=again).trials) == 3


# -- the Redis backend -------------------------------------------------------------------------
def test_redis_journal_is_read_in_chunks(redis_url: str, redis_prefix: str) -> None:
    backend = JournalRedisBackend(redis_url, prefix=redis_prefix)
    logs = [{"op": "x", "i": i} for i in range(2500)]
    assert backend.append_logs(logs[:1]) == 0
    assert backend.append_logs(logs[1:]) == 1
    assert [r["i"] for r in backend.read_logs(0)] == list(range(2500))
    assert [r["i"] for r in backend.read_logs(1999)] == list(range(1999, 2500))
    assert list(backend.read_logs(2500)) == []


def test_redis_prefixes_keep_journals_apart(redis_url: str) -> None:
    import redis

    a, b = _prefix(), _prefix()
    try:
        podbor.create_study(
            study_name="x", storage=JournalStorage(JournalRedisBackend(redis_url, prefix=a))
        )
        storage_b = JournalStorage(JournalRedisBackend(redis_url, prefix=b))
        assert podbor.get_all_study_summaries(storage_b) == []
    finally:
        client = redis.Redis.from_url(redis_url)
        client.delete(f"{a}:podbor:journal", f"{b}:podbor:journal")


def test_redis_key_of_another_kind_is_refused_and_left_alone(
    redis_url: str, redis_prefix: str
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.set(f"{redis_prefix}:podbor:journal", b"someone else's")
    backend = JournalRedisBackend(redis_url, prefix=redis_prefix)  # connects on first use
    with pytest.raises(StorageInternalError, match="holds a string, not a podbor journal"):
        JournalStorage(backend)
    assert client.get(f"{redis_prefix}:podbor:journal") == b"someone else's"


def test_redis_unreachable_server_names_the_url() -> None:
    with pytest.raises(StorageInternalError, match=r"could not reach .*127\.0\.0\.1:1/0"):
        JournalStorage(JournalRedisBackend("redis://127.0.0.1:1/0"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"url": 6379}, "'url' parameter of JournalRedisBackend must be a Redis URL string"),
        ({"url": "redis://x", "use_cluster": "yes"}, "'use_cluster' parameter .* True or False"),
        ({"url": "redis://x", "prefix": None}, "'prefix' parameter .* a string"),
        ({"url": "localhost:6379"}, "'url' parameter .* a Redis URL such as 'redis://"),
    ],
)
def test_redis_bad_arguments_are_named(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        JournalRedisBackend(**kwargs)


def test_redis_client_missing_names_the_pip_install(block_import: Any) -> None:
    block_import("redis")
    with pytest.raises(ImportError, match=r"pip install podbor\[redis\]"):
        JournalRedisBackend("redis://127.0.0.1:6379/0")


def test_redis_password_is_never_shown() -> None:
    from podbor.dashboard._source import open_source

    url = "redis://user:hunter2@127.0.0.1:1/0"
    backend = JournalRedisBackend(url)
    assert "hunter2" not in repr(backend) and backend.shown_url == "redis://user:***@127.0.0.1:1/0"
    with pytest.raises(StorageInternalError) as caught:  # no server there
        JournalStorage(backend)
    assert "hunter2" not in str(caught.value) and "user:***@" in str(caught.value)
    with pytest.raises(StorageInternalError) as caught:
        open_source(url)
    assert "hunter2" not in str(caught.value)


# -- Optuna's deprecated names -----------------------------------------------------------------
def test_optunas_old_names_still_work_and_warn(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    from podbor.storages import BaseJournalLogStorage, JournalFileStorage, JournalRedisStorage

    with pytest.warns(FutureWarning, match="JournalFileStorage .*JournalFileBackend"):
        file_backend = JournalFileStorage(str(tmp_path / "j.log"))
    assert isinstance(file_backend, JournalFileBackend)
    with pytest.warns(FutureWarning, match="JournalRedisStorage .*JournalRedisBackend"):
        redis_backend = JournalRedisStorage(redis_url, prefix=redis_prefix)
    podbor.create_study(study_name="old", storage=JournalStorage(redis_backend))

    class Old(BaseJournalLogStorage):
        def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
            return []

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            return None

    with pytest.warns(FutureWarning, match="BaseJournalLogStorage .*BaseJournalBackend"):
        assert isinstance(Old(), BaseJournalBackend)


@pytest.mark.parametrize("name", ["JournalFileOpenLock", "JournalFileSymlinkLock"])
def test_the_locks_old_import_path_warns_and_still_locks(tmp_path: Path, name: str) -> None:
    import warnings

    import podbor.storages
    import podbor.storages.journal

    old, new = getattr(podbor.storages, name), getattr(podbor.storages.journal, name)
    assert old is not new and issubclass(old, new)
    path = str(tmp_path / "j.log")
    with pytest.warns(FutureWarning, match=rf"podbor\.storages\.{name} .*journal\.{name}"):
        lock = old(path, grace_period=5)
    assert lock.grace_period == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new(path)  # the new path is silent
        study = podbor.create_study(storage=JournalStorage(JournalFileBackend(path, lock)))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2 and not os.path.exists(lock.lock_path)
    with pytest.raises(InvalidArgumentError, match="grace_period"), pytest.warns(FutureWarning):
        old(path, grace_period=-1)


def test_journal_storage_names_what_it_accepts() -> None:
    with pytest.raises(
        InvalidArgumentError, match="a JournalFileBackend or another BaseJournalBackend"
    ):
        JournalStorage("study.log")  # type: ignore[arg-type]


# -- Redis URLs: the CLI and the dashboard open them; get_storage points to the backend ----------
@pytest.fixture
def redis_db_url(redis_url: str) -> Iterator[str]:
    """The test server's database 7, emptied afterwards: the CLI's journal has no prefix."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + "/7"
    yield url
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def test_cli_and_dashboard_open_a_redis_url(
    redis_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from podbor.cli import main
    from podbor.dashboard._source import open_source

    assert main(["create-study", "--storage", redis_db_url, "--study-name", "cli"]) == 0
    assert main(["ask", "--storage", redis_db_url, "--study-name", "cli"]) == 0
    capsys.readouterr()
    assert main(["studies", "--storage", redis_db_url, "-f", "json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)] == ["cli"]
    # the same journal, through the Python API and the dashboard's opener
    storage = JournalStorage(JournalRedisBackend(redis_db_url))
    assert [t.state for t in podbor.load_study(study_name="cli", storage=storage).trials] == [
        TrialState.RUNNING
    ]
    source = open_source(redis_db_url)
    assert [s.study_name for s in source.storage.get_all_studies()] == ["cli"]
    assert not source.snapshot


def test_cli_names_an_unreachable_redis_server(capsys: pytest.CaptureFixture[str]) -> None:
    from podbor.cli import main

    assert main(["studies", "--storage", "redis://127.0.0.1:1/0"]) == 1
    assert "could not reach the Redis server at 'redis://127.0.0.1:1/0'" in capsys.readouterr().err


def test_get_storage_points_a_redis_url_to_the_journal_backend() -> None:
    with pytest.raises(InvalidArgumentError, match=r"JournalStorage\(JournalRedisBackend\(url\)\)"):
        podbor.create_study(storage="redis://localhost:6379")


def test_copy_study_to_and_from_a_redis_journal(
    redis_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from podbor.cli import main

    source = f"sqlite:///{tmp_path / 'source.db'}"
    study = podbor.create_study(study_name="c", storage=source)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 1, 3), n_trials=5)
    study.set_user_attr("note", "kept")
    assert main(["copy-study", "--from-storage", source, "--to-storage", redis_db_url]) == 0
    back = f"journal://{tmp_path / 'back.log'}"
    assert main(["copy-study", "--from-storage", redis_db_url, "--to-storage", back]) == 0
    from podbor.storages.journal import JournalFileBackend

    for storage in (
        JournalStorage(JournalRedisBackend(redis_db_url)),
        JournalStorage(JournalFileBackend(str(tmp_path / "back.log"))),
    ):
        copied = podbor.load_study(study_name="c", storage=storage)
        assert [t.params for t in copied.trials] == [t.params for t in study.trials]
        assert [t.value for t in copied.trials] == [t.value for t in study.trials]
        assert copied.user_attrs == {"note": "kept"}
    # Optuna's format goes to databases and journal files, never to a Redis journal
    assert (
        main(
            [
                "copy-study",
                "--from-storage",
                source,
                "--to-storage",
                "redis://:secret@127.0.0.1:1/0",
                "--to-format",
                "optuna",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "Cannot write Optuna's format to 'redis://:***@127.0.0.1:1/0'" in err
    assert "secret" not in err


def test_a_log_backend_keeps_no_list_of_changed_trials(tmp_path: Path) -> None:
    # that list serves the file's snapshot only; a log backend has none, so it stays empty
    storage = JournalStorage(LinesBackend(str(tmp_path / "journal.jsonl")))
    study = podbor.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    assert len(study.trials) == 20
    assert storage._model.changed == {}
    again = JournalStorage(LinesBackend(str(tmp_path / "journal.jsonl")))
    assert again._model.changed == {}


# -- snapshots of log backends (BaseJournalSnapshot) ------------------------------------------
class SnapshotLinesBackend(LinesBackend, BaseJournalSnapshot):
    """A user's backend that keeps a snapshot too (in a file beside its log), and remembers
    where each handle's reads started."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.reads: list[int] = []

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        self.reads.append(log_number_from)
        return super().read_logs(log_number_from)

    def save_snapshot(self, snapshot: bytes) -> None:
        Path(self.path + ".snap").write_bytes(snapshot)

    def load_snapshot(self) -> bytes | None:
        snap = Path(self.path + ".snap")
        return snap.read_bytes() if snap.exists() else None


@pytest.fixture
def few_lines(monkeypatch: pytest.MonkeyPatch) -> int:
    """A snapshot every 60 records instead of every 20,000."""
    monkeypatch.setattr("podbor.storages._journal._keeper.SNAPSHOT_LINES", 60)
    return 60


def _objective(trial: podbor.trial.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if kind == "b":
        trial.suggest_int("n", 1, 4)
    trial.report(x, 0)
    trial.set_user_attr("twice", 2 * x)
    if trial.number % 7 == 6:
        raise podbor.TrialPruned()
    return x * x


def _view(storage: BaseStorage) -> list[tuple[Any, ...]]:
    study = podbor.load_study(study_name="snap", storage=storage)
    return [
        (t.number, t.state, t.values, t.params, t.distributions, t.user_attrs,
         t.intermediate_values, t.datetime_start)
        for t in study.trials
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["redis", "users"])
def test_a_log_backend_with_a_snapshot_is_opened_from_it(
    kind: str, few_lines: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "redis":
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")

        def make() -> Any:
            backend = JournalRedisBackend(url, prefix=prefix)
            reads: list[int] = []
            original = backend.read_logs

            def read_logs(log_number_from: int) -> Iterator[dict[str, Any]]:
                reads.append(log_number_from)
                return original(log_number_from)

            backend.read_logs = read_logs  # type: ignore[method-assign]
            backend.reads = reads  # type: ignore[attr-defined]
            return backend
    else:
        path = str(tmp_path / "journal.jsonl")

        def make() -> Any:
            return SnapshotLinesBackend(path)

    first = make()
    writer = JournalStorage(first)
    study = podbor.create_study(study_name="snap", storage=writer)
    study.enqueue_trial({"x": 0.5, "kind": "a"})
    study.optimize(_objective, n_trials=30)
    assert first.load_snapshot() is not None  # the writer saved its state as it went

    again = make()
    storage = JournalStorage(again)
    position = again.reads[1]  # the record checked, then the replay from the snapshot on
    assert again.reads[0] == position - 1 and position > few_lines
    assert _view(storage) == _view(writer)  # the writer replayed every record itself

    # the handle goes on from there, and a later handle sees its trials too
    podbor.load_study(study_name="snap", storage=storage).optimize(_objective, n_trials=5)
    later = JournalStorage(make())
    assert len(_view(later)) == 35
    assert _view(later) == _view(storage) == _view(writer)


def test_a_snapshot_that_does_not_match_the_log_is_ignored(
    few_lines: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    one, other = (
        SnapshotLinesBackend(str(tmp_path / "one")),
        SnapshotLinesBackend(str(tmp_path / "other")),
    )
    for backend in (one, other):
        study = podbor.create_study(study_name="snap", storage=JournalStorage(backend))
        study.optimize(_objective, n_trials=25)
    expected = _view(JournalStorage(LinesBackend(one.path)))  # no snapshot: replayed in full
    good = one.load_snapshot()
    assert good is not None
    foreign = other.load_snapshot()
    assert foreign is not None
    for blob in (foreign, good[: len(good) // 2], b"not a snapshot", good.replace(b"v", b"w")):
        one.save_snapshot(blob)
        fresh = SnapshotLinesBackend(one.path)
        assert _view(JournalStorage(fresh)) == expected
        assert 0 in fresh.reads  # replayed from the first record (after a failed check)
    # a log shorter than the part the snapshot covers (cut by hand) is replayed too
    one.save_snapshot(good)
    lines = Path(one.path).read_bytes().splitlines(keepends=True)
    Path(one.path).write_bytes(b"".join(lines[:few_lines]))
    fresh = SnapshotLinesBackend(one.path)
    assert _view(JournalStorage(fresh)) == _view(JournalStorage(LinesBackend(one.path)))
    assert 0 in fresh.reads


def test_a_snapshot_that_cannot_be_saved_or_loaded_leaves_the_journal_working(
    few_lines: int, tmp_path: Path
) -> None:
    class Broken(SnapshotLinesBackend):
        def save_snapshot(self, snapshot: bytes) -> None:
            raise OSError("read-only")

        def load_snapshot(self) -> bytes | None:
            raise ConnectionError("down")

    study = podbor.create_study(
        study_name="snap", storage=JournalStorage(Broken(str(tmp_path / "j")))
    )
    study.optimize(_objective, n_trials=20)
    assert len(_view(JournalStorage(Broken(str(tmp_path / "j"))))) == 20

    class Wrong(SnapshotLinesBackend):  # a user's backend that returns a str
        def load_snapshot(self) -> bytes | None:
            return "a text, not bytes"  # type: ignore[return-value]

    assert _view(JournalStorage(Wrong(str(tmp_path / "j")))) == _view(study._storage)


def test_workers_take_turns_saving_the_snapshot(few_lines: int, tmp_path: Path) -> None:
    class Counting(SnapshotLinesBackend):
        saves = 0

        def save_snapshot(self, snapshot: bytes) -> None:
            type(self).saves += 1
            super().save_snapshot(snapshot)

    path = str(tmp_path / "j")
    one, two = JournalStorage(Counting(path)), JournalStorage(Counting(path))
    podbor.create_study(study_name="snap", storage=one)
    studies = [podbor.load_study(study_name="snap", storage=s) for s in (one, two)]
    for _ in range(20):  # two workers, one trial each in turn
        for study in studies:
            study.optimize(_objective, n_trials=1)
    records = len(Path(path).read_bytes().splitlines())
    # each handle reads every record; alone, each would save every 60 of them
    assert 0 < Counting.saves <= records // few_lines + 1 < 2 * (records // few_lines)
    assert _view(JournalStorage(Counting(path))) == _view(one)


def test_a_stale_snapshot_of_a_deleted_journal_is_replaced(few_lines: int, tmp_path: Path) -> None:
    path = str(tmp_path / "j")
    old = podbor.create_study(study_name="snap", storage=JournalStorage(SnapshotLinesBackend(path)))
    old.optimize(_objective, n_trials=40)
    stale = SnapshotLinesBackend(path).load_snapshot()
    assert stale is not None
    Path(path).unlink()  # the log is deleted by hand; its snapshot stays behind
    new = podbor.create_study(study_name="snap", storage=JournalStorage(SnapshotLinesBackend(path)))
    new.optimize(_objective, n_trials=15)
    assert SnapshotLinesBackend(path).load_snapshot() != stale  # the new journal's own
    fresh = SnapshotLinesBackend(path)
    assert _view(JournalStorage(fresh)) == _view(new._storage)
    assert fresh.reads[0] > 0  # opened from the new snapshot
