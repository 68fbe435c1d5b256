"""Differential tests: the same sequence of storage calls, on every storage, gives the same answer
(the same result, or an error of the same class).

The storages compared are in-memory, SQLite and journal, plus PostgreSQL and MySQL when their
test servers are reachable (``PODBOR_TEST_POSTGRES_URL`` / ``PODBOR_TEST_MYSQL_URL``, see
``tests/db_fixtures.py``). Inputs are open-ended (hypothesis): study names, attribute keys and
values (nested, not JSON, huge), parameter names and values, steps and objective values.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.db_fixtures import _fresh_database, server_base_url

import podbor
from podbor.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from podbor.exceptions import PodborError
from podbor.storages import (
    BaseStorage,
    InMemoryStorage,
    JournalFileBackend,
    JournalStorage,
    RDBStorage,
)
from podbor.storages._input_rules import DEFAULT_STUDY_NAME_PREFIX, MAX_JSON_DEPTH, MAX_NAME_LENGTH
from podbor.study import StudyDirection
from podbor.trial import TrialState

MIN = StudyDirection.MINIMIZE
_GENERATED = "^" + DEFAULT_STUDY_NAME_PREFIX + "[-0-9a-f]{36}$"
_LOCAL = ("sqlite", "journal")  # compared with the in-memory storage, with any servers

# -- the storages ------------------------------------------------------------------------------


def _servers() -> list[str]:
    return [backend for backend in ("postgresql", "mysql") if server_base_url(backend)]


class _Storages:
    """A fresh, empty storage of each kind per example (a server's database is emptied)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # one fresh database per server for this module (made with the current schema)
        self._databases = {backend: _fresh_database(backend) for backend in _servers()}
        self.servers = {
            backend: RDBStorage(next(database)) for backend, database in self._databases.items()
        }

    def fresh(self) -> dict[str, BaseStorage]:
        tag = uuid.uuid4().hex[:8]
        storages: dict[str, BaseStorage] = {"memory": InMemoryStorage()}
        if "sqlite" in _LOCAL:
            storages["sqlite"] = RDBStorage(f"sqlite:///{self.folder / tag}.db")
        if "journal" in _LOCAL:
            path = str(self.folder / f"{tag}.log")
            storages["journal"] = JournalStorage(JournalFileBackend(path))
        for backend, storage in self.servers.items():
            for study in storage.get_all_studies():
                storage.delete_study(study._study_id)
            storages[backend] = storage
        return storages

    def close(self) -> None:
        for storage in self.servers.values():
            storage.remove_session()
            storage.engine.dispose()
        for database in self._databases.values():
            next(database, None)  # drops it


@pytest.fixture(scope="module")
def storages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Storages]:
    handle = _Storages(tmp_path_factory.mktemp("agreement"))
    yield handle
    handle.close()


# -- the inputs --------------------------------------------------------------------------------

_text = st.text(max_size=12) | st.sampled_from(
    ["", "a\x00b", "\ud800", "x" * MAX_NAME_LENGTH, "x" * (MAX_NAME_LENGTH + 1), "名前", "'; --"]
)
_names = _text | st.sampled_from([None, 3, ("a",), b"bytes", 1.5])
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


_values = (
    _json
    | st.tuples(_json, _json)
    | st.dictionaries(st.integers(), _json, max_size=2)
    | st.sampled_from([{1, 2}, object(), b"b", 10**5000, float("nan")])
    | st.sampled_from([MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 5000]).map(_nested)
)
_keys = _text | st.sampled_from([None, 3])
_steps = st.integers(min_value=-(2**64), max_value=2**64) | st.sampled_from(
    [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 1.5, True]
)
_floats = st.floats(allow_nan=True, allow_infinity=True)
_distributions = st.sampled_from(
    [
        (FloatDistribution(0, 1), 0.5),
        (FloatDistribution(0, 1), 0.0),
        (IntDistribution(0, 10), 3.0),
        (CategoricalDistribution(["a\x00", "b", None]), 1.0),
        (CategoricalDistribution(["a", "c"]), 0.0),
    ]
)
_trial = st.integers(min_value=0, max_value=3)
_ops = st.one_of(
    st.tuples(st.just("create_study"), _names),
    st.tuples(st.just("lookup"), _names),
    st.tuples(st.just("study_attr"), st.sampled_from(["user", "system"]), _keys, _values),
    st.tuples(st.just("new_trial")),
    st.tuples(st.just("param"), _trial, _text, _distributions),
    st.tuples(st.just("report"), _trial, _steps, _floats),
    st.tuples(st.just("trial_attr"), _trial, st.sampled_from(["user", "system"]), _keys, _values),
    st.tuples(
        st.just("finish"),
        _trial,
        st.sampled_from(
            [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED, TrialState.WAITING]
        ),
        st.none() | st.lists(_floats, min_size=1, max_size=2),
    ),
    st.tuples(st.just("by_number"), st.sampled_from([0, 3, -1, 2**63, 2**64])),
)


# -- running one sequence ----------------------------------------------------------------------


def _zero(value: Any) -> Any:
    """-0.0 as 0.0 (they are equal; SQLite keeps no sign on a zero REAL), in lists and dicts."""
    if isinstance(value, float) and value == 0:
        return 0.0
    if isinstance(value, (list, tuple)):
        return [_zero(v) for v in value]
    if isinstance(value, dict):
        return {k: _zero(v) for k, v in value.items()}
    return value


def _canon(value: Any) -> str:
    """A text that is equal for equal answers (NaN included, and -0.0 equal to 0.0 outside
    attributes, which are JSON text on every storage and keep the sign)."""
    return json.dumps(value, sort_keys=True, default=repr)


def _snapshot(storage: BaseStorage) -> str:
    out = []
    for study in storage.get_all_studies():
        trials = storage.get_all_trials(study._study_id)
        out.append(
            {
                "name": re.sub(_GENERATED, "<generated>", study.study_name),
                "user": study.user_attrs,
                "system": study.system_attrs,
                "trials": [
                    {
                        "number": t.number,
                        "state": t.state.name,
                        "values": _zero(t.values),
                        "params": _zero(t.params),
                        "dists": {k: repr(d) for k, d in t.distributions.items()},
                        # _canon sorts dict keys: the order they were set in is compared here
                        "order": [list(t.params), list(t.distributions)],
                        "user": t.user_attrs,
                        "system": t.system_attrs,
                        "reports": _zero(sorted(t.intermediate_values.items())),
                    }
                    for t in trials
                ],
            }
        )
    return _canon(sorted(out, key=_canon))


def _outcome(call: Callable[[], Any]) -> str:
    """``ok: <result>`` or ``error: <class>``; an error must be podbor's (or KeyError's)."""
    try:
        return "ok: " + _canon(call())
    except (PodborError, KeyError) as err:
        return f"error: {type(err).__name__}"
    except Exception as err:  # a raw driver or library error: what this suite exists to catch
        return f"RAW {type(err).__module__}.{type(err).__name__}: {err}"[:300]


class _Runner:
    """Runs one sequence on one storage, mapping trial indexes to that storage's trial ids."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage
        self.study_id = storage.create_new_study([MIN], "main")
        self.trials: list[int] = []

    def trial(self, index: int) -> int:
        if index >= len(self.trials):
            raise KeyError("no such trial yet")
        return self.trials[index]

    def run(self, op: tuple[Any, ...]) -> str:
        s = self.storage
        kind = op[0]
        if kind == "create_study":
            return _outcome(lambda: s.create_new_study([MIN], op[1]) is not None)
        if kind == "lookup":
            return _outcome(lambda: s.get_study_id_from_name(op[1]) == self.study_id)
        if kind == "study_attr":
            setter = s.set_study_user_attr if op[1] == "user" else s.set_study_system_attr
            return _outcome(lambda: setter(self.study_id, op[2], op[3]))
        if kind == "new_trial":

            def new() -> None:
                self.trials.append(s.create_new_trial(self.study_id))

            return _outcome(new)
        if kind == "param":
            distribution, value = op[3]
            return _outcome(
                lambda: s.set_trial_param(self.trial(op[1]), op[2], value, distribution)
            )
        if kind == "report":
            return _outcome(lambda: s.set_trial_intermediate_value(self.trial(op[1]), op[2], op[3]))
        if kind == "trial_attr":
            trial_setter = s.set_trial_user_attr if op[2] == "user" else s.set_trial_system_attr
            return _outcome(lambda: trial_setter(self.trial(op[1]), op[3], op[4]))
        if kind == "finish":
            return _outcome(lambda: s.set_trial_state_values(self.trial(op[1]), op[2], op[3]))
        if kind == "ids":  # lookups and writes by ids no study or trial has
            raw = op[1]
            calls: list[Callable[[], object]] = [
                lambda: s.get_study_name_from_id(raw),
                lambda: s.get_all_trials(raw),
                lambda: s.set_study_user_attr(raw, "k", 1),
                lambda: s.create_new_trial(raw),
                lambda: s.delete_study(raw),
                lambda: s.get_trial(raw),
                lambda: s.set_trial_user_attr(raw, "k", 1),
                lambda: s.set_trial_intermediate_value(raw, 0, 1.0),
                lambda: s.set_trial_state_values(raw, TrialState.COMPLETE, [1.0]),
            ]
            return " ".join(_outcome(call) for call in calls)
        if kind == "by_number":
            return _outcome(
                lambda: (
                    s.get_trial_id_from_study_id_trial_number(self.study_id, op[1]) in self.trials
                )
            )
        raise AssertionError(kind)


def _check_agreement(storages: _Storages, ops: list[tuple[Any, ...]]) -> None:
    runners = {name: _Runner(storage) for name, storage in storages.fresh().items()}
    for op in ops:
        answers = {name: runner.run(op) for name, runner in runners.items()}
        for name, answer in answers.items():
            assert "RAW " not in answer, (op, name, answer)
        assert len(set(answers.values())) == 1, (op, answers)
    snapshots = {name: _snapshot(runner.storage) for name, runner in runners.items()}
    assert len(set(snapshots.values())) == 1, snapshots
    for runner in runners.values():
        if isinstance(runner.storage, RDBStorage) and "sqlite" in runner.storage.url:
            runner.storage.remove_session()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(_ops, max_size=12))
def test_every_storage_gives_the_same_answer(
    storages: _Storages, ops: list[tuple[Any, ...]]
) -> None:
    _check_agreement(storages, ops)


@pytest.mark.slow
@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(_ops, max_size=30))
def test_every_storage_gives_the_same_answer_long(
    storages: _Storages, ops: list[tuple[Any, ...]]
) -> None:
    _check_agreement(storages, ops)


# -- the cases the issue named, each on every storage -------------------------------------------

_CASES: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("None as a study name", [("create_study", None), ("lookup", None)]),
    ("a tuple as a study name", [("create_study", ("a",)), ("lookup", ("a",))]),
    ("an int as a study name, then a lookup", [("create_study", 3), ("lookup", "x")]),
    ("the empty study name", [("create_study", ""), ("lookup", "")]),
    ("NUL in a study name", [("create_study", "a\x00b")]),
    ("a lone surrogate in a study name", [("create_study", "\ud800")]),
    ("a study name of the column's length", [("create_study", "x" * MAX_NAME_LENGTH)]),
    ("a study name over the column's length", [("create_study", "x" * (MAX_NAME_LENGTH + 1))]),
    ("NUL in an attribute key", [("study_attr", "user", "k\x00", 1)]),
    ("NUL in an attribute value", [("study_attr", "user", "k", "v\x00")]),
    ("an int attribute key", [("study_attr", "user", 3, 1)]),
    ("int dict keys in a value", [("study_attr", "system", "k", {1: (2, 3)})]),
    ("a value nested as deep as allowed", [("study_attr", "user", "k", _nested(MAX_JSON_DEPTH))]),
    ("a value nested too deep", [("study_attr", "user", "k", _nested(MAX_JSON_DEPTH + 1))]),
    ("a value nested 5000 deep", [("new_trial",), ("trial_attr", 0, "user", "k", _nested(5000))]),
    ("a huge int value", [("study_attr", "user", "k", 10**5000)]),
    (
        "study names that differ by a trailing space",
        [("create_study", "a"), ("create_study", "a "), ("lookup", "main "), ("lookup", "a ")],
    ),
    (
        "attribute keys that differ by a trailing space",
        [("study_attr", "user", "k", 1), ("study_attr", "user", "k ", 2)],
    ),
    (
        "parameter names that differ by a trailing space",
        [
            ("new_trial",),
            ("param", 0, "x", (FloatDistribution(0, 1), 0.5)),
            ("param", 0, "x ", (FloatDistribution(0, 1), 0.25)),
        ],
    ),
    ("2**63 as a step", [("new_trial",), ("report", 0, 2**63, 1.0), ("report", 0, 2**63 - 1, 1.0)]),
    ("ids past 64 bits", [("new_trial",), ("ids", 2**64), ("ids", -(2**70)), ("ids", 2**63)]),
    ("an unknown id within 64 bits", [("ids", 2**40)]),
    ("2**63 as a trial number", [("new_trial",), ("by_number", 2**63)]),
    (
        "NUL in a parameter name",
        [("new_trial",), ("param", 0, "x\x00", (FloatDistribution(0, 1), 0.5))],
    ),
    (
        "parameters in the order they were set, a set-again one in its place",
        [
            ("new_trial",),
            ("param", 0, "z", (FloatDistribution(0, 1), 0.5)),
            ("param", 0, "a", (IntDistribution(0, 3), 2)),
            ("param", 0, "m", (CategoricalDistribution(("x", "y")), 1)),
            ("param", 0, "z", (FloatDistribution(0, 1), 0.25)),
            ("finish", 0, TrialState.COMPLETE, [1.0]),
        ],
    ),
    (
        "a parameter after the trial finished",
        [
            ("new_trial",),
            ("finish", 0, TrialState.COMPLETE, [1.0]),
            ("param", 0, "x", (FloatDistribution(0, 1), 0.5)),
        ],
    ),
]


@pytest.mark.parametrize("ops", [ops for _, ops in _CASES], ids=[name for name, _ in _CASES])
def test_the_named_cases_agree(storages: _Storages, ops: list[tuple[Any, ...]]) -> None:
    _check_agreement(storages, ops)


def test_a_refused_name_leaves_lookups_working(storages: _Storages) -> None:
    for storage in storages.fresh().values():
        with pytest.raises(TypeError):
            storage.create_new_study([MIN], 3)  # type: ignore[arg-type]
        with pytest.raises(KeyError, match="Existing studies: \\[\\]"):
            storage.get_study_id_from_name("x")


def test_a_deeply_nested_value_is_refused_and_the_study_stays_readable(storages: _Storages) -> None:
    for storage in storages.fresh().values():
        study_id = storage.create_new_study([MIN], "s")
        with pytest.raises(ValueError, match="at most 100 deep"):
            storage.set_study_user_attr(study_id, "k", _nested(5000))
        assert storage.get_study_user_attrs(study_id) == {}
        assert math.isfinite(len(storage.get_all_studies()))


def test_copy_study_keeps_the_order_params_were_set_in(storages: _Storages) -> None:
    # Every storage into every storage (itself too): copy_study writes templates and reads back.
    names = ["z", "a", "m"]

    def objective(trial: podbor.Trial) -> float:
        return sum(trial.suggest_int(name, 0, 3) for name in names)

    every = storages.fresh()
    for name, storage in every.items():
        podbor.create_study(storage=storage, study_name=name).optimize(objective, n_trials=3)
    for to_name, target in every.items():
        for from_name, source in every.items():
            podbor.copy_study(
                from_study_name=from_name,
                from_storage=source,
                to_storage=target,
                to_study_name=f"copy of {from_name}",
            )
            copied = podbor.load_study(study_name=f"copy of {from_name}", storage=target).trials
            assert [list(t.params) for t in copied] == [names] * 3, (from_name, to_name)
            assert [list(t.distributions) for t in copied] == [names] * 3, (from_name, to_name)
