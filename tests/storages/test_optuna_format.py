"""Copying studies from and to Optuna's formats (``podbor.copy_study``, ``copy_studies``).

The fixtures in ``optuna_fixtures/`` were written by real Optuna releases with
``scripts/make_optuna_fixtures.py`` (a SQLite database and a journal file per release, and
what Optuna itself read back from each, as JSON). podbor must read each exactly, into every
kind of podbor storage, write Optuna 5's format back exactly, refuse damaged sources with an
error naming the table or the line, and never leave anything half-written.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError, StudyNotFoundError
from podbor.storages import BaseStorage, InMemoryStorage, JournalFileBackend, JournalStorage
from podbor.storages._optuna import optuna_database_error, optuna_journal_error
from podbor.storages._optuna._detect import journal_path
from podbor.storages._optuna._distributions import from_optuna_json, to_optuna_json
from podbor.study._manage import copy_studies
from podbor.trial import FrozenTrial, TrialState, create_trial

FIXTURES = Path(__file__).parent / "optuna_fixtures"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_optuna_fixtures.py"
SOURCES = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".sqlite3", ".journal"))
FIXTURE_ZONE = "Asia/Tokyo"  # the generator's; the JSON records it


# -- helpers ------------------------------------------------------------------------------------
def canonical(value: Any) -> Any:
    """JSON-like data with non-finite floats as strings, so that NaN compares equal."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return value


def dump_trial(trial: FrozenTrial, *, times: bool = True) -> dict[str, Any]:
    """A trial as the generator dumps one (``times=False``: only whether each time is set)."""

    def moment(t: datetime.datetime | None) -> str | bool | None:
        return (None if t is None else t.isoformat()) if times else t is not None

    return canonical(
        {
            "number": trial.number,
            "state": trial.state.name,
            "values": trial.values,
            "datetime_start": moment(trial.datetime_start),
            "datetime_complete": moment(trial.datetime_complete),
            "params": trial.params,
            "distributions": {
                n: json.loads(to_optuna_json(d)) for n, d in trial.distributions.items()
            },
            "user_attrs": trial.user_attrs,
            "system_attrs": trial.system_attrs,
            "intermediate_values": dict(sorted(trial.intermediate_values.items())),
        }
    )


def dump(storage: BaseStorage, *, times: bool = True) -> list[dict[str, Any]]:
    """Every study of a podbor storage, as the generator dumps Optuna's."""
    return [
        {
            "name": s.study_name,
            "directions": [d.name for d in s.directions],
            "user_attrs": canonical(s.user_attrs),
            "system_attrs": canonical(s.system_attrs),
            "trials": [dump_trial(t, times=times) for t in storage.get_all_trials(s._study_id)],
        }
        for s in storage.get_all_studies()
    ]


def all_times(storage: BaseStorage) -> list[datetime.datetime]:
    return [
        moment
        for s in storage.get_all_studies()
        for t in storage.get_all_trials(s._study_id)
        for moment in (t.datetime_start, t.datetime_complete)
        if moment is not None
    ]


def expected(source: str) -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / f"{source}.json").read_text())
    assert data["time_zone"] == FIXTURE_ZONE
    return canonical(data["studies"])


def url_of(path: Path) -> str:
    return f"sqlite:///{path}" if path.suffix in (".sqlite3", ".db") else f"journal://{path}"


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set the local time zone for the test (``time.tzset``); restored afterwards."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def copy_of(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of a fixture in a folder of its own, so that tests may damage it."""

    def make(name: str) -> Path:
        folder = tmp_path / "source"
        folder.mkdir(exist_ok=True)
        return Path(shutil.copy(FIXTURES / name, folder / name))

    return make


def open_destination(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "memory":
        return InMemoryStorage()
    if kind == "journal":
        return f"journal://{tmp_path / 'dest.log'}"
    fixture = {"sqlite": "sqlite_url", "postgresql": "postgres_url", "mysql": "mysql_url"}[kind]
    return request.getfixturevalue(fixture)


def open_podbor(destination: Any) -> BaseStorage:
    if isinstance(destination, BaseStorage):
        return destination
    if destination.startswith("journal:"):
        return JournalStorage(JournalFileBackend(journal_path(destination)))
    return podbor.storages.get_storage(destination)


DESTINATIONS = ["memory", "journal", "sqlite", "postgresql", "mysql"]


# -- reading what Optuna wrote --------------------------------------------------------------------
@pytest.mark.parametrize("source", SOURCES)
def test_every_fixture_is_read_exactly(
    source: str, copy_of: Callable[[str], Path], zone: Callable[[str], None]
) -> None:
    zone(FIXTURE_ZONE)
    path = copy_of(source)
    before = path.read_bytes()
    storage = InMemoryStorage()
    assert copy_studies(from_storage=url_of(path), to_storage=storage) == ["single", "multi"]
    assert dump(storage) == expected(source)
    assert path.read_bytes() == before  # an Optuna source is only read ...
    assert os.listdir(path.parent) == [path.name]  # ... and nothing is created beside it


@pytest.mark.parametrize("kind", DESTINATIONS)
@pytest.mark.parametrize("source", ["optuna-3.6.journal", "optuna-5.0.sqlite3"])
def test_every_podbor_storage_takes_the_copy(
    source: str,
    kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    zone: Callable[[str], None],
) -> None:
    zone(FIXTURE_ZONE)
    destination = open_destination(kind, tmp_path, request)
    copy_studies(from_storage=url_of(FIXTURES / source), to_storage=destination)
    assert dump(open_podbor(destination)) == expected(source)


def test_copy_study_copies_one_study_under_a_new_name(zone: Callable[[str], None]) -> None:
    zone(FIXTURE_ZONE)
    storage = InMemoryStorage()
    podbor.copy_study(
        from_study_name="multi",
        from_storage=url_of(FIXTURES / "optuna-4.9.sqlite3"),
        to_storage=storage,
        to_study_name="moved",
    )
    (study,) = dump(storage)
    assert study == {**expected("optuna-4.9.sqlite3")[1], "name": "moved"}


def test_a_missing_study_is_named(tmp_path: Path) -> None:
    with pytest.raises(StudyNotFoundError, match=r"'nope'.*\['multi', 'single'\]"):
        copy_studies(
            from_storage=url_of(FIXTURES / "optuna-5.0.journal"),
            to_storage=InMemoryStorage(),
            study_names=["single", "nope"],
        )


@pytest.mark.parametrize("url", ["sqlite:///{}/missing.db", "journal://{}/missing.log"])
def test_a_missing_source_file_is_not_created(url: str, tmp_path: Path) -> None:
    url = url.format(tmp_path)
    with pytest.raises(InvalidArgumentError, match="an existing file"):
        copy_studies(from_storage=url, to_storage=InMemoryStorage())
    assert os.listdir(tmp_path) == []


# -- deprecated distributions ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "distribution"),
    [
        (
            '{"name": "UniformDistribution", "attributes": {"low": -1.0, "high": 2.0}}',
            FloatDistribution(-1.0, 2.0),
        ),
        (
            '{"name": "LogUniformDistribution", "attributes": {"low": 0.001, "high": 1.0}}',
            FloatDistribution(0.001, 1.0, log=True),
        ),
        (
            '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0.0, "high": 1.0, "q": 0.25}}',
            FloatDistribution(0.0, 1.0, step=0.25),
        ),
        (
            '{"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 9, "step": 3}}',
            IntDistribution(0, 9, step=3),
        ),
        (
            '{"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64, "step": 1}}',
            IntDistribution(1, 64, log=True),
        ),
        (
            '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0, "high": 1.0, "log": false}}',
            FloatDistribution(0.0, 1.0),
        ),
        (
            '{"name": "CategoricalDistribution", "attributes": {"choices": [null, true, 1, 2.5, "a"]}}',
            CategoricalDistribution([None, True, 1, 2.5, "a"]),
        ),
    ],
    ids=lambda v: json.loads(v)["name"] if isinstance(v, str) else "",
)
def test_optuna_distribution_json(text: str, distribution: Any) -> None:
    assert from_optuna_json(text) == distribution
    assert from_optuna_json(to_optuna_json(distribution)) == distribution


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "Bogus", "attributes": {}}',
        "not json",
        '{"name": "IntDistribution", "attributes": {"low": 5, "high": 1}}',
    ],
)
def test_bad_distribution_json(text: str) -> None:
    with pytest.raises(ValueError, match="distribution"):
        from_optuna_json(text)


def test_deprecated_names_in_files_are_read_as_current_classes(
    copy_of: Callable[[str], Path], zone: Callable[[str], None]
) -> None:
    zone(FIXTURE_ZONE)
    journal = copy_of("optuna-3.6.journal")
    current = json.dumps(to_optuna_json(FloatDistribution(-5.0, 5.0)))[1:-1]
    old = json.dumps(
        json.dumps({"name": "UniformDistribution", "attributes": {"low": -5.0, "high": 5.0}})
    )[1:-1]
    assert current in journal.read_text()
    journal.write_text(journal.read_text().replace(current, old))
    database = copy_of("optuna-3.6.sqlite3")
    with sqlite3.connect(database) as conn:
        conn.execute(
            "UPDATE trial_params SET distribution_json = ? WHERE param_name = 'lr'",
            ('{"name": "LogUniformDistribution", "attributes": {"low": 1e-05, "high": 0.1}}',),
        )
    for path in (journal, database):
        storage = InMemoryStorage()
        copy_studies(from_storage=url_of(path), to_storage=storage)
        assert dump(storage) == expected(path.name)


# -- writing Optuna's format --------------------------------------------------------------------
def make_podbor_studies(storage: BaseStorage) -> None:
    """Two studies with every state, kind of parameter, report and attribute podbor keeps."""
    study = podbor.create_study(
        storage=storage,
        study_name="rt",
        direction="maximize",
        sampler=podbor.samplers.RandomSampler(seed=1),
    )
    study.set_user_attr("nan", math.nan)
    study.set_user_attr("nested", [1, {"a": None, "b": "β"}])
    storage.set_study_system_attr(study._study_id, "state", {"inf": math.inf})

    def objective(trial: podbor.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.suggest_float("lr", 1e-4, 1.0, log=True)
        trial.suggest_float("s", 0.0, 1.0, step=0.25)
        trial.suggest_int("n", 1, 9)
        trial.suggest_int("nl", 1, 64, log=True)
        trial.suggest_int("ns", 0, 8, step=2)
        trial.suggest_categorical("c", [None, True, 2, 3.5, "s"])
        for step, value in enumerate((x, math.inf, -math.inf, math.nan)):
            trial.report(value, step * 10)
        trial.set_user_attr("u", {"x": x})
        trial.set_system_attr("constraints", [x - 0.5, -1.0])
        if trial.number == 2:
            raise podbor.TrialPruned()
        if trial.number == 3:
            raise ValueError("fails")
        return x

    study.optimize(objective, n_trials=5, catch=(ValueError,))
    study.add_trial(
        create_trial(
            value=math.inf, params={"x": 0.0}, distributions={"x": FloatDistribution(-1.0, 1.0)}
        )
    )
    running = study.ask()
    running.suggest_int("n", 1, 9)
    study.enqueue_trial({"x": 0.25}, user_attrs={"queued": True})
    multi = podbor.create_study(
        storage=storage, study_name="rt-multi", directions=["minimize", "maximize"]
    )
    multi.add_trial(create_trial(values=[1.0, -math.inf], user_attrs={"k": 1}))
    multi.add_trial(create_trial(state=TrialState.FAIL, system_attrs={"fail_reason": "x"}))


@pytest.fixture
def podbor_studies() -> InMemoryStorage:
    storage = InMemoryStorage()
    make_podbor_studies(storage)
    return storage


@pytest.mark.parametrize("time_zone", ["UTC", "America/New_York", FIXTURE_ZONE])
@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_round_trip_through_optuna_format_is_exact(
    kind: str, time_zone: str, tmp_path: Path, zone: Callable[[str], None]
) -> None:
    zone(time_zone)
    original = InMemoryStorage()
    make_podbor_studies(original)
    exported = url_of(tmp_path / ("out.log" if kind == "journal" else "out.db"))
    assert copy_studies(from_storage=original, to_storage=exported, to_format="optuna") == [
        "rt",
        "rt-multi",
    ]
    back = InMemoryStorage()
    copy_studies(from_storage=exported, to_storage=back)
    assert dump(back) == dump(original)


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_round_trip_through_an_optuna_server_database(
    kind: str, podbor_studies: InMemoryStorage, request: pytest.FixtureRequest
) -> None:
    url = open_destination(kind, Path(), request)
    copy_studies(from_storage=podbor_studies, to_storage=url, to_format="optuna")
    back = InMemoryStorage()
    copy_studies(from_storage=url, to_storage=back)
    if kind == "postgresql":
        assert dump(back) == dump(podbor_studies)
        return
    # Optuna's schema keeps whole seconds on MySQL (DATETIME): the rest is exact
    assert dump(back, times=False) == dump(podbor_studies, times=False)
    pairs = zip(all_times(back), all_times(podbor_studies), strict=True)
    assert all(abs(a - b) <= datetime.timedelta(seconds=1) for a, b in pairs)


def test_the_exported_database_has_optuna_5s_schema(
    podbor_studies: InMemoryStorage, tmp_path: Path
) -> None:
    out = tmp_path / "out.db"
    copy_studies(from_storage=podbor_studies, to_storage=url_of(out), to_format="optuna")

    def schema(path: Path) -> list[Any]:
        with sqlite3.connect(path) as conn:
            return sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))

    assert schema(out) == schema(FIXTURES / "optuna-5.0.sqlite3")
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT * FROM version_info").fetchall() == [(1, 12, "5.0.0")]
        assert conn.execute("SELECT * FROM alembic_version").fetchall() == [("v3.2.0.a",)]


def test_the_exported_journal_has_optuna_5s_records(
    podbor_studies: InMemoryStorage, tmp_path: Path
) -> None:
    out = tmp_path / "out.log"
    copy_studies(from_storage=podbor_studies, to_storage=url_of(out), to_format="optuna")
    theirs = [
        json.loads(line) for line in (FIXTURES / "optuna-5.0.journal").read_text().splitlines()
    ]
    ours = [json.loads(line) for line in out.read_text().splitlines()]
    keys = {(op["op_code"], "state" in op): set(op) - {"datetime_complete"} for op in theirs}
    for op in ours:
        assert set(op) - {"datetime_complete"} == keys[op["op_code"], "state" in op]
        for key in ("datetime_start", "datetime_complete"):
            assert op.get(key) is None or op[key].endswith("+00:00")


@pytest.mark.parametrize("source", ["optuna-4.0.journal", "optuna-5.0.sqlite3"])
def test_studies_are_added_to_an_existing_optuna_file(
    source: str,
    podbor_studies: InMemoryStorage,
    copy_of: Callable[[str], Path],
    zone: Callable[[str], None],
) -> None:
    zone(FIXTURE_ZONE)
    path = copy_of(source)
    before = path.read_bytes()
    copy_studies(
        from_storage=podbor_studies, to_storage=url_of(path), study_names=["rt"], to_format="optuna"
    )
    if path.suffix == ".journal":
        assert path.read_bytes().startswith(before)
    storage = InMemoryStorage()
    copy_studies(from_storage=url_of(path), to_storage=storage)
    studies = dump(storage)
    assert studies[:2] == expected(source)
    assert studies[2:] == dump(podbor_studies)[:1]


# -- damaged sources: an error naming the line or table, and nothing written ----------------------
def _journal_damage(lines: list[str]) -> dict[str, tuple[list[str], str]]:
    broken_op = json.loads(lines[2])
    broken_op["op_code"] = 42
    no_name = json.loads(lines[0])
    del no_name["study_name"]
    bad_distribution = json.loads(lines[7])
    bad_distribution["distribution"] = '{"name": "Bogus", "attributes": {}}'
    wrong_type = json.loads(lines[5])
    wrong_type["study_id"] = "zero"

    def with_line(k: int, op: Any) -> list[str]:
        return [*lines[:k], json.dumps(op), *lines[k + 1 :]]

    return {
        "truncated": ([*lines[:-1], lines[-1][:30]], rf"line {len(lines)}: .*cut short"),
        "bad JSON": ([*lines[:9], "{not json", *lines[10:]], "line 10: not a JSON object"),
        "unknown op": (with_line(2, broken_op), "line 3: unknown op_code 42"),
        "missing field": (with_line(0, no_name), "line 1: .*'study_name'"),
        "bad distribution": (with_line(7, bad_distribution), "line 8: the distribution"),
        "wrong type": (with_line(5, wrong_type), "line 6: the field 'study_id' must be an integer"),
    }


JOURNAL_DAMAGE = list(_journal_damage((FIXTURES / "optuna-5.0.journal").read_text().splitlines()))

RDB_DAMAGE = {
    "missing table": ("DROP TABLE trial_values", "table 'trial_values': missing"),
    "missing column": (
        "ALTER TABLE trial_params DROP COLUMN distribution_json",
        "table 'trial_params': no column 'distribution_json'",
    ),
    "bad state": (
        "UPDATE trials SET state = 'BOGUS' WHERE trial_id = 3",
        "table 'trials', trial id 3: state 'BOGUS'",
    ),
    "bad JSON": (
        "UPDATE trial_user_attributes SET value_json = '{bad'",
        "table 'trial_user_attributes'.*not JSON",
    ),
    "bad value": (
        "UPDATE trial_values SET value = NULL WHERE trial_value_id = 1",
        "table 'trial_values', trial id 1: value None of type 'FINITE'",
    ),
    "no directions": (
        "DELETE FROM study_directions WHERE study_id = 1",
        "table 'study_directions': no row for study 'single'",
    ),
    "bad distribution": (
        "UPDATE trial_params SET distribution_json = '[]' WHERE param_id = 2",
        "table 'trial_params', trial id 1: param",
    ),
    "gap in numbers": ("UPDATE trials SET number = 9 WHERE trial_id = 2", "study 'single'.*gaps"),
}


@pytest.fixture
def destination_with_a_study(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dest.db'}"
    podbor.create_study(storage=url, study_name="keep").add_trial(create_trial(value=1.0))
    return url


def _assert_untouched(url: str) -> None:
    assert podbor.get_all_study_names(url) == ["keep"]


@pytest.mark.parametrize("damage", JOURNAL_DAMAGE)
def test_a_damaged_journal_is_refused(
    damage: str, copy_of: Callable[[str], Path], destination_with_a_study: str, tmp_path: Path
) -> None:
    path = copy_of("optuna-5.0.journal")
    lines, message = _journal_damage(path.read_text().splitlines())[damage]
    path.write_text("\n".join(lines) + ("" if damage == "truncated" else "\n"))
    for destination in (destination_with_a_study, f"journal://{tmp_path / 'new.log'}"):
        with pytest.raises(InvalidArgumentError, match=message):
            copy_studies(from_storage=url_of(path), to_storage=destination)
    _assert_untouched(destination_with_a_study)
    assert not (tmp_path / "new.log").exists()


@pytest.mark.parametrize("damage", list(RDB_DAMAGE))
def test_a_damaged_database_is_refused(
    damage: str, copy_of: Callable[[str], Path], destination_with_a_study: str
) -> None:
    path = copy_of("optuna-5.0.sqlite3")
    statement, message = RDB_DAMAGE[damage]
    with sqlite3.connect(path) as conn:
        conn.execute(statement)
    with pytest.raises(InvalidArgumentError, match=message):
        copy_studies(from_storage=url_of(path), to_storage=destination_with_a_study)
    _assert_untouched(destination_with_a_study)


def test_a_taken_name_stops_the_copy_before_any_write(destination_with_a_study: str) -> None:
    podbor.create_study(storage=destination_with_a_study, study_name="multi")
    with pytest.raises(DuplicatedStudyError, match="multi"):
        copy_studies(
            from_storage=url_of(FIXTURES / "optuna-5.0.journal"),
            to_storage=destination_with_a_study,
        )
    assert podbor.get_all_study_names(destination_with_a_study) == ["keep", "multi"]


def test_a_failing_podbor_write_leaves_no_half_study(monkeypatch: pytest.MonkeyPatch) -> None:
    storage = InMemoryStorage()
    create = storage.create_new_trial
    calls = iter(range(100))

    def failing(study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if next(calls) == 8:  # the second trial of the second study
            raise OSError("disk full")
        return create(study_id, template_trial=template_trial)

    monkeypatch.setattr(storage, "create_new_trial", failing)
    with pytest.raises(OSError, match="disk full"):
        copy_studies(from_storage=url_of(FIXTURES / "optuna-5.0.journal"), to_storage=storage)
    assert podbor.get_all_study_names(storage) == ["single"]  # whole, while "multi" is gone
    assert len(storage.get_all_trials(storage.get_study_id_from_name("single"))) == 7


def test_a_failing_optuna_database_write_is_rolled_back(
    podbor_studies: InMemoryStorage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from podbor.storages._optuna import _rdb_write

    insert = _rdb_write._insert_trial
    calls = iter(range(100))

    def failing(*args: Any) -> None:
        if next(calls) == 9:  # a trial of the second study
            raise OSError("disk full")
        insert(*args)

    monkeypatch.setattr(_rdb_write, "_insert_trial", failing)
    url = url_of(tmp_path / "out.db")
    with pytest.raises(OSError, match="disk full"):
        copy_studies(from_storage=podbor_studies, to_storage=url, to_format="optuna")
    back = InMemoryStorage()
    copy_studies(from_storage=url, to_storage=back)
    assert dump(back) == dump(podbor_studies)[:1]


def test_a_failing_journal_write_leaves_the_file_as_it_was(
    podbor_studies: InMemoryStorage, copy_of: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy_of("optuna-5.0.journal")
    before = path.read_bytes()

    def failing(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="disk full"):
        copy_studies(from_storage=podbor_studies, to_storage=url_of(path), to_format="optuna")
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_optuna_format_is_not_written_over_podbors(
    podbor_studies: InMemoryStorage, destination_with_a_study: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgumentError, match="must be empty or an Optuna database"):
        copy_studies(
            from_storage=podbor_studies, to_storage=destination_with_a_study, to_format="optuna"
        )
    _assert_untouched(destination_with_a_study)
    journal = f"journal://{tmp_path / 'podbor.log'}"
    copy_studies(from_storage=podbor_studies, to_storage=journal, study_names=["rt"])
    with pytest.raises(InvalidArgumentError, match="podbor journal"):
        copy_studies(
            from_storage=podbor_studies,
            to_storage=journal,
            study_names=["rt-multi"],
            to_format="optuna",
        )


@pytest.mark.parametrize("source", ["optuna-5.0.journal", "optuna-5.0.sqlite3"])
def test_podbor_format_is_not_written_into_an_optuna_file(
    source: str, podbor_studies: InMemoryStorage, copy_of: Callable[[str], Path]
) -> None:
    path = copy_of(source)
    before = path.read_bytes()
    with pytest.raises(InvalidArgumentError, match="to_format='optuna'"):
        copy_studies(from_storage=podbor_studies, to_storage=url_of(path))
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("suffix", [".sqlite3", ".journal"])
def test_a_source_of_another_kind_is_refused(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"notes{suffix}"
    path.write_text("these are not studies\n")
    with pytest.raises(InvalidArgumentError, match=r"Cannot open|neither a podbor"):
        copy_studies(from_storage=url_of(path), to_storage=InMemoryStorage())
    assert path.read_text() == "these are not studies\n"


def test_a_source_is_never_the_optuna_destination(copy_of: Callable[[str], Path]) -> None:
    path = copy_of("optuna-5.0.journal")
    with pytest.raises(InvalidArgumentError, match="another place than from_storage"):
        podbor.copy_study(
            from_study_name="single",
            from_storage=url_of(path),
            to_storage=f"journal:{path}",
            to_study_name="again",
            to_format="optuna",
        )


def test_a_nan_objective_value_cannot_go_to_an_optuna_database(tmp_path: Path) -> None:
    storage = InMemoryStorage()
    study = podbor.create_study(storage=storage, study_name="nan")
    study.add_trial(create_trial(state=TrialState.PRUNED, value=math.nan))
    out = tmp_path / "out.db"
    with pytest.raises(InvalidArgumentError, match="NaN value"):
        copy_studies(from_storage=storage, to_storage=url_of(out), to_format="optuna")
    assert not out.exists()


# -- podbor's own storages refuse Optuna's files ------------------------------------------------
def test_load_study_on_an_optuna_database_writes_nothing(copy_of: Callable[[str], Path]) -> None:
    path = copy_of("optuna-5.0.sqlite3")
    before = path.read_bytes()
    for call in (
        lambda: podbor.load_study(study_name="single", storage=url_of(path)),
        lambda: podbor.create_study(study_name="new", storage=url_of(path)),
    ):
        with pytest.raises(ValueError, match=r"Optuna|not a podbor database"):
            call()
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_load_study_on_an_optuna_database_names_the_copy_command(
    copy_of: Callable[[str], Path],
) -> None:
    path = copy_of("optuna-5.0.sqlite3")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="podbor copy-study"):
        podbor.load_study(study_name="single", storage=url_of(path))
    with pytest.raises(ValueError, match="podbor copy-study"):
        podbor.create_study(study_name="new", storage=url_of(path))
    assert path.read_bytes() == before


def test_the_refusals_name_the_copy_command() -> None:
    with sqlite3.connect(FIXTURES / "optuna-5.0.sqlite3") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    error = optuna_database_error("sqlite:///o.db", tables)
    assert error is not None and "podbor copy-study" in str(error)
    assert optuna_database_error("sqlite:///p.db", {"studies", "podbor_version_info"}) is None
    first = (FIXTURES / "optuna-3.6.journal").read_bytes().split(b"\n")[0]
    error = optuna_journal_error("study.log", first)
    assert error is not None and "podbor copy-study" in str(error)
    podbor_header = b'{"op":"header","format":"podbor-journal","version":1}'
    assert optuna_journal_error("study.log", podbor_header) is None


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("journal:///tmp/a/s.log", "/tmp/a/s.log"),
        ("journal:rel/s.log", "rel/s.log"),
        ("journal:s.log", "s.log"),
    ],
)
def test_journal_urls(url: str, path: str) -> None:
    assert journal_path(url) == path


@pytest.mark.parametrize("url", ["journal:", "journal://host/s.log", "journal:///tmp/"])
def test_bad_journal_urls(url: str) -> None:
    with pytest.raises(InvalidArgumentError, match="journal file URL"):
        journal_path(url)


# -- Optuna itself opens the export (when it is installed) --------------------------------------
def _optuna_python() -> str | None:
    """An interpreter with Optuna: this one, or $PODBOR_TEST_OPTUNA_PYTHON (never a dependency)."""
    if importlib.util.find_spec("optuna") is not None:
        return sys.executable
    return os.environ.get("PODBOR_TEST_OPTUNA_PYTHON") or None


@pytest.mark.skipif(_optuna_python() is None, reason="Optuna is not installed (optional check)")
@pytest.mark.parametrize("kind", ["journal", "sqlite"])
def test_optuna_5_opens_the_export(
    kind: str, podbor_studies: InMemoryStorage, tmp_path: Path, zone: Callable[[str], None]
) -> None:
    zone(FIXTURE_ZONE)
    storage = InMemoryStorage()
    copy_studies(from_storage=url_of(FIXTURES / "optuna-4.0.sqlite3"), to_storage=storage)
    copy_studies(from_storage=podbor_studies, to_storage=storage)
    out = url_of(tmp_path / ("out.log" if kind == "journal" else "out.db"))
    copy_studies(from_storage=storage, to_storage=out, to_format="optuna")
    python = _optuna_python()
    assert python is not None
    done = subprocess.run(
        [python, "-W", "ignore", str(SCRIPT), "--dump", out],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    if int(seen["optuna_version"].split(".")[0]) < 5:
        pytest.skip(f"Optuna {seen['optuna_version']} is older than 5.0")
    assert canonical(seen["studies"]) == dump(storage)
