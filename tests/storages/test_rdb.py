"""RDBStorage beyond the shared contract (which covers killed workers): persistence, concurrency
across processes, caching, and clear errors for bad URLs and foreign or mismatched databases."""

from __future__ import annotations

import math
import multiprocessing
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.storages import RDBStorage
from podbor.trial import TrialState


def _objective(trial: podbor.Trial) -> float:
    x = trial.suggest_float("x", -1, 1)
    trial.suggest_categorical("c", [None, True, 1, 1.5, "s"])
    return x * x


def _worker(url: str, n_trials: int) -> None:
    # The storage is under test, so the sampler is the cheapest (the default sampler's own
    # process-sharing test is in tests/samplers/test_auto.py).
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    sampler = podbor.samplers.RandomSampler()
    study = podbor.create_study(
        storage=url, study_name="shared", load_if_exists=True, sampler=sampler
    )
    study.optimize(_objective, n_trials=n_trials)


def _run_processes(url: str, n_proc: int, n_trials: int) -> list[int | None]:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(url, n_trials)) for _ in range(n_proc)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    return [p.exitcode for p in procs]


def test_study_persists_and_reopens(db_url: str) -> None:
    study = podbor.create_study(storage=db_url, study_name="s", direction="maximize")
    study.set_user_attr("data", {"name": "diabetes", "folds": [1, 2]})
    study.optimize(_objective, n_trials=5)
    study.add_trial(
        podbor.create_trial(
            values=[math.inf],
            params={"x": 0.5},
            distributions={"x": FloatDistribution(-1, 1)},
            intermediate_values={0: -math.inf, 1: math.nan},
        )
    )
    again = podbor.load_study(study_name="s", storage=db_url)
    assert again.direction == podbor.StudyDirection.MAXIMIZE
    assert again.user_attrs == {"data": {"name": "diabetes", "folds": [1, 2]}}
    trials = again.trials
    assert [t.number for t in trials] == list(range(6))
    assert trials[5].value == math.inf
    assert trials[5].intermediate_values[0] == -math.inf
    assert math.isnan(trials[5].intermediate_values[1])
    assert again.best_trial.number == 5
    for old, new in zip(study.trials[:5], trials[:5], strict=True):
        assert old.params == new.params
        assert old.values == new.values


def test_categorical_choices_round_trip_exactly(sqlite_url: str) -> None:
    choices = (None, True, 1, 1.5, "s")
    study = podbor.create_study(storage=sqlite_url)
    for choice in choices:
        study.enqueue_trial({"c": choice})
    study.optimize(lambda t: float(choices.index(t.suggest_categorical("c", choices))), n_trials=5)
    reloaded = podbor.load_study(study_name=study.study_name, storage=sqlite_url).trials
    got = [t.params["c"] for t in reloaded]
    assert got == list(choices)
    assert [type(v) for v in got] == [type(c) for c in choices]
    assert reloaded[0].distributions["c"] == CategoricalDistribution(choices)


def test_finished_trials_are_cached_and_running_ones_refreshed(sqlite_url: str) -> None:
    storage = RDBStorage(sqlite_url)
    study = podbor.create_study(storage=storage)
    study.optimize(_objective, n_trials=3)
    first = storage.get_all_trials(study._study_id, deepcopy=False)
    second = storage.get_all_trials(study._study_id, deepcopy=False)
    assert all(a is b for a, b in zip(first, second, strict=True))  # served from the cache

    other = RDBStorage(sqlite_url)  # a second handle, as another process would have
    trial_id = other.create_new_trial(study._study_id)
    other.set_trial_user_attr(trial_id, "k", 1)
    running = storage.get_all_trials(study._study_id, deepcopy=False)[-1]
    assert running.state == TrialState.RUNNING and running.user_attrs == {"k": 1}
    other.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.0])
    assert storage.get_all_trials(study._study_id)[-1].state == TrialState.COMPLETE
    assert storage.get_best_trial(study._study_id).number == 3


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_eight_processes_share_one_study_without_losing_a_trial(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"{backend.replace('postgresql', 'postgres')}_url")
    exit_codes = _run_processes(url, n_proc=8, n_trials=50)
    assert exit_codes == [0] * 8
    trials = podbor.load_study(study_name="shared", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(400))
    assert {t.state for t in trials} == {TrialState.COMPLETE}


def _claim_worker(url: str) -> None:
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    study = podbor.load_study(study_name="queue", storage=url)
    study.optimize(lambda t: t.suggest_int("i", 0, 1000), n_trials=10)


def test_each_enqueued_trial_is_claimed_by_exactly_one_process(db_url: str) -> None:
    study = podbor.create_study(storage=db_url, study_name="queue")
    for i in range(40):
        study.enqueue_trial({"i": i})
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_claim_worker, args=(db_url,)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * 4
    trials = study.trials
    assert len(trials) == 40
    assert sorted(t.params["i"] for t in trials) == list(range(40))


@pytest.mark.parametrize("url", ["not a url", "", "sqlite//missing-colon.db"])
def test_malformed_url_names_the_argument(url: str) -> None:
    with pytest.raises(ValueError, match="'url'"):
        RDBStorage(url)


@pytest.mark.parametrize(
    "url", ["postgresql+psycopg://u@127.0.0.1:9/db", "mysql+pymysql://u@127.0.0.1:9/db"]
)
def test_unreachable_server_fails_fast_with_the_host(url: str) -> None:
    start = time.monotonic()
    with pytest.raises(podbor.exceptions.PodborError, match=r"127\.0\.0\.1"):
        RDBStorage(url)
    assert time.monotonic() - start < 15


def test_a_missing_driver_says_what_to_install() -> None:
    with pytest.raises(ValueError, match=r"podbor\[mysql\].*mysql\+pymysql"):
        RDBStorage("mysql+nosuchdriver://u@127.0.0.1:9/db")


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(ValueError, match="not a podbor database"):
        RDBStorage(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["customers"]


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(ValueError, match="podbor database"):
        RDBStorage(f"sqlite:///{path}")
    assert path.read_text().startswith("these are my notes")


def _set_schema_version(path: Path, version: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE podbor_version_info SET schema_version = ?", (version,))


def test_newer_database_is_refused_without_being_touched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    podbor.create_study(storage=f"sqlite:///{path}", study_name="s")
    _set_schema_version(path, "999")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="newer podbor"):
        RDBStorage(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_older_database_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    podbor.create_study(storage=f"sqlite:///{path}", study_name="s")
    _set_schema_version(path, "0")
    with pytest.raises(ValueError, match="podbor storage upgrade --storage"):
        RDBStorage(f"sqlite:///{path}")


def test_missing_study_lists_existing_names(sqlite_url: str) -> None:
    podbor.create_study(storage=sqlite_url, study_name="alpha")
    podbor.create_study(storage=sqlite_url, study_name="beta")
    with pytest.raises(KeyError) as info:
        podbor.load_study(study_name="gamma", storage=sqlite_url)
    assert "['alpha', 'beta']" in str(info.value)


def test_duplicate_study_name_is_refused(db_url: str) -> None:
    podbor.create_study(storage=db_url, study_name="dup")
    with pytest.raises(podbor.exceptions.DuplicatedStudyError, match="dup"):
        podbor.create_study(storage=db_url, study_name="dup")


def test_non_json_attribute_is_refused_and_nothing_is_lost(sqlite_url: str) -> None:
    study = podbor.create_study(storage=sqlite_url)
    study.optimize(_objective, n_trials=2)
    with pytest.raises(ValueError, match="JSON"):
        study.set_user_attr("model", object())
    assert len(podbor.load_study(study_name=study.study_name, storage=sqlite_url).trials) == 2


def test_copy_study_between_sqlite_and_memory(sqlite_url: str) -> None:
    study = podbor.create_study(storage=sqlite_url, study_name="src")
    study.optimize(_objective, n_trials=4)
    memory = podbor.storages.InMemoryStorage()
    podbor.copy_study(from_study_name="src", from_storage=sqlite_url, to_storage=memory)
    copied = podbor.load_study(study_name="src", storage=memory).trials
    assert [t.params for t in copied] == [t.params for t in study.trials]
    assert [t.values for t in copied] == [t.values for t in study.trials]


def test_delete_study_removes_everything(db_url: str) -> None:
    study = podbor.create_study(storage=db_url, study_name="gone")
    study.optimize(_objective, n_trials=2)
    podbor.delete_study(study_name="gone", storage=db_url)
    assert podbor.get_all_study_names(db_url) == []


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"heartbeat_interval": 0}, "heartbeat_interval"),
        ({"heartbeat_interval": -1.0}, "heartbeat_interval"),
        ({"grace_period": 5}, "grace_period"),
        ({"heartbeat_interval": 1, "grace_period": "long"}, "grace_period"),
        ({"engine_kwargs": [("echo", True)]}, "engine_kwargs"),
        ({"skip_compatibility_check": "yes"}, "skip_compatibility_check"),
    ],
)
def test_bad_arguments_name_the_argument(
    sqlite_url: str, kwargs: dict[str, object], name: str
) -> None:
    with pytest.raises(ValueError, match=f"'{name}'"):
        RDBStorage(sqlite_url, **kwargs)  # type: ignore[arg-type]


def test_upgrade_brings_an_older_database_to_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    study = podbor.create_study(storage=f"sqlite:///{path}", study_name="s")
    study.optimize(_objective, n_trials=3)
    _set_schema_version(path, "0")
    storage = RDBStorage(f"sqlite:///{path}", skip_compatibility_check=True)
    assert storage.get_current_version() == "0"
    storage.upgrade()
    reopened = RDBStorage(f"sqlite:///{path}")
    assert reopened.get_current_version() == reopened.get_head_version()
    assert len(podbor.load_study(study_name="s", storage=reopened).trials) == 3


def test_migrations_build_the_same_schema_as_the_models(tmp_path: Path) -> None:
    import sqlalchemy

    from podbor.storages._rdb import _migrate, models

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.begin() as conn:
        _migrate.upgrade_to_head(conn)
        inspector = sqlalchemy.inspect(conn)
        migrated = {
            t: sorted(c["name"] for c in inspector.get_columns(t))
            for t in inspector.get_table_names()
            if t != "alembic_version"
        }
        migrated_indexes = {
            t: sorted(str(i["name"]) for i in inspector.get_indexes(t))
            for t in inspector.get_table_names()
            if t != "alembic_version"
        }
    expected = {t.name: sorted(c.name for c in t.columns) for t in models.metadata.sorted_tables}
    assert migrated == expected
    expected_indexes = {
        t.name: sorted(str(i.name) for i in t.indexes) for t in models.metadata.sorted_tables
    }
    assert migrated_indexes == expected_indexes


def test_a_schema_1_database_is_upgraded_with_its_trials(db_url: str) -> None:
    import sqlalchemy
    from alembic import command

    from podbor.storages._rdb import _migrate, models

    storage = RDBStorage(db_url)
    study = podbor.create_study(storage=storage, study_name="s")
    study.optimize(_objective, n_trials=3)
    study.enqueue_trial({"x": 0.5})
    storage.remove_session()
    engine = sqlalchemy.create_engine(db_url)
    with engine.begin() as conn:  # back to the schema podbor's first release made
        command.downgrade(_migrate.alembic_config(conn), "1")  # type: ignore[arg-type]
        conn.execute(sqlalchemy.update(models.version_info).values(schema_version="1"))
    engine.dispose()
    old = RDBStorage(db_url, skip_compatibility_check=True)
    with pytest.raises(ValueError, match=f"schema 1, this podbor needs {models.SCHEMA_VERSION}"):
        RDBStorage(db_url)
    old.upgrade()
    old.remove_session()
    reopened = RDBStorage(db_url)
    assert reopened.get_current_version() == models.SCHEMA_VERSION
    study = podbor.load_study(study_name="s", storage=reopened)
    study.optimize(_objective, n_trials=1)
    assert [t.params["x"] for t in study.trials][3] == 0.5  # the queue survived
    engine = sqlalchemy.create_engine(db_url)
    names = {i["name"] for i in sqlalchemy.inspect(engine).get_indexes("trials")}
    engine.dispose()
    assert "ix_trials_study_state_number" in names and "ix_trials_study_state" not in names


def test_a_schema_2_database_gets_its_params_back_in_suggestion_order(tmp_path: Path) -> None:
    # Schema 2 had no param_index: SQLite's rowid still knows the order the params were set in.
    path = tmp_path / "v2.db"
    study = podbor.create_study(storage=f"sqlite:///{path}", study_name="s")
    trial = study.ask()
    for name in ("z", "a", "m"):
        trial.suggest_int(name, 0, 9)
    study.tell(trial, 1.0)
    with sqlite3.connect(path) as conn:  # back to what schema 2 stored
        conn.execute("ALTER TABLE trial_params DROP COLUMN param_index")
        conn.execute("UPDATE alembic_version SET version_num = '2'")
    _set_schema_version(path, "2")
    old = RDBStorage(f"sqlite:///{path}", skip_compatibility_check=True)
    old.upgrade()
    old.remove_session()
    (loaded,) = podbor.load_study(study_name="s", storage=f"sqlite:///{path}").trials
    assert list(loaded.params) == list(loaded.distributions) == ["z", "a", "m"]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_summaries_come_from_queries_and_match_the_in_memory_ones(
    db_url: str, direction: str
) -> None:
    values = (
        [3.0, -math.inf, 1.0, math.inf, 1.0, 2.0]
        if direction == "minimize"
        else [3.0, math.inf, 5.0, -math.inf, 5.0, 2.0]
    )
    memory = podbor.storages.InMemoryStorage()
    for storage in (db_url, memory):
        study = podbor.create_study(storage=storage, study_name=direction, direction=direction)
        for v in values:
            study.add_trial(podbor.create_trial(value=v))
        running = study.ask()
        running.report(0.0, 0)
        podbor.create_study(storage=storage, study_name="empty")
    fresh = RDBStorage(db_url)  # a new handle: nothing cached
    loaded: list[int] = []
    original = fresh.get_all_trials

    def counting(*args: Any, **kwargs: Any) -> list[podbor.trial.FrozenTrial]:
        loaded.append(1)
        return original(*args, **kwargs)

    fresh.get_all_trials = counting  # type: ignore[method-assign]
    got = {s.study_name: s for s in podbor.get_all_study_summaries(fresh)}
    expected = {s.study_name: s for s in podbor.get_all_study_summaries(memory)}
    assert loaded == []  # no study's history was loaded
    for name in (direction, "empty"):
        assert got[name].n_trials == expected[name].n_trials
        assert (got[name].datetime_start is None) == (expected[name].datetime_start is None)
        want, have = expected[name].best_trial, got[name].best_trial
        if want is None:
            assert have is None
        else:
            assert have is not None
            assert (have.number, have.value) == (want.number, want.value)


@pytest.mark.parametrize(
    ("direction", "values", "best"),
    [("minimize", [3.0, 1.0, 2.0, 1.0], 1), ("maximize", [3.0, 1.0, 3.0, -math.inf], 0)],
)
def test_best_trial_query_breaks_ties_by_number(
    sqlite_url: str, direction: str, values: list[float], best: int
) -> None:
    study = podbor.create_study(storage=sqlite_url, direction=direction)
    for v in values:
        study.add_trial(podbor.create_trial(value=v))
    assert RDBStorage(sqlite_url).get_best_trial_only(study._study_id).number == best
    assert study.best_trial.number == best


def test_a_sqlite_file_is_switched_to_wal_once(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    podbor.storages.RDBStorage(f"sqlite:///{path}")
    podbor.storages.RDBStorage(f"sqlite:///{path}")  # already WAL: left alone
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_skip_table_creation_leaves_an_empty_database_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    url = f"sqlite:///{path}"
    RDBStorage(url, skip_table_creation=True).remove_session()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall() == []
    RDBStorage(url).remove_session()  # creates the schema
    storage = RDBStorage(url, skip_table_creation=True)  # and a made schema is used as usual
    assert storage.get_all_studies() == []
    with pytest.raises(ValueError, match="'skip_table_creation'"):
        RDBStorage(url, skip_table_creation="yes")  # type: ignore[arg-type]


def _collations(storage: RDBStorage) -> set[str]:
    """The collations of podbor's own tables (Alembic's version table holds an ASCII id)."""
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT TABLE_COLLATION FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME != 'alembic_version'"
        ).all()
    return {str(row[0]) for row in rows}


def test_mysql_tells_names_apart_exactly_and_upgrade_fixes_older_latin1_tables(
    mysql_url: str,
) -> None:
    from podbor.exceptions import DuplicatedStudyError
    from podbor.storages._rdb._collation import NO_PAD_COLLATIONS
    from podbor.storages._rdb.models import metadata
    from podbor.study import StudyDirection

    minimize = [StudyDirection.MINIMIZE]
    storage = RDBStorage(mysql_url)
    assert len(_collations(storage)) == 1 and _collations(storage) <= set(NO_PAD_COLLATIONS)
    # A database made before with the server's latin1 default (PAD SPACE, case-insensitive)
    # takes "b", "b " and "B" for one name and cannot hold Cyrillic ...
    with storage.engine.begin() as conn:
        for table in metadata.sorted_tables:
            conn.exec_driver_sql(f"ALTER TABLE `{table.name}` CONVERT TO CHARACTER SET latin1")
    first = storage.create_new_study(minimize, "b")
    for clash in ("b ", "B"):
        with pytest.raises(DuplicatedStudyError):
            storage.create_new_study(minimize, clash)
    # ... until `podbor storage upgrade` (the same schema version: only the collation changes).
    storage.upgrade()
    assert _collations(storage) <= set(NO_PAD_COLLATIONS)
    assert storage.get_current_version() == storage.get_head_version()
    assert storage.create_new_study(minimize, "b ") != first
    storage.create_new_study(minimize, "B")
    storage.create_new_study(minimize, "имя")
    storage.set_study_user_attr(first, "k", 1)
    storage.set_study_user_attr(first, "k ", 2)
    assert storage.get_study_user_attrs(first) == {"k": 1, "k ": 2}
    names = sorted(s.study_name for s in storage.get_all_studies())
    assert names == ["B", "b", "b ", "имя"]
