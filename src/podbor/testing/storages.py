"""The storage conformance suite: the whole :class:`~podbor.storages.BaseStorage` contract, checked.

Subclass :class:`StorageConformance`, give it a ``make_storage`` generator that yields a fresh,
empty storage (and cleans up after the ``yield``), and pytest collects every check for that
storage. A storage that needs other pytest fixtures (``tmp_path``, a database URL) overrides the
``storage`` fixture instead. The base class has no ``Test`` prefix, so pytest never collects it
on its own. Needs pytest.

Every value the suite stores is JSON-native (dicts, lists, str, numbers, bool, None), so storages
that keep attributes as JSON pass as long as they round-trip them exactly.

Example:
    Adding a storage is one small subclass, e.g. in ``tests/storages/test_conformance.py``::

        import tempfile
        from collections.abc import Iterator

        import pytest

        from podbor.storages import BaseStorage, InMemoryStorage, RDBStorage
        from podbor.testing.storages import StorageConformance

        class TestInMemoryStorage(StorageConformance):
            def make_storage(self) -> Iterator[BaseStorage]:
                yield InMemoryStorage()

        class TestSQLiteStorage(StorageConformance):
            def make_storage(self) -> Iterator[BaseStorage]:
                with tempfile.TemporaryDirectory() as folder:
                    storage = RDBStorage(f"sqlite:///{folder}/study.db")
                    yield storage
                    storage.remove_session()

        class TestPostgresStorage(StorageConformance):
            @pytest.fixture
            def storage(self, postgres_url: str) -> Iterator[BaseStorage]:
                storage = RDBStorage(postgres_url)
                yield storage
                storage.remove_session()
"""

from __future__ import annotations

import copy
import datetime
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

import pytest

from podbor._study_direction import StudyDirection
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError
from podbor.storages._base import DEFAULT_STUDY_NAME_PREFIX, BaseStorage
from podbor.trial._frozen import FrozenTrial, create_trial
from podbor.trial._state import TrialState

__all__ = ["JSON_VALUES", "StorageConformance"]

_T = TypeVar("_T")

MIN: Final = StudyDirection.MINIMIZE
MAX: Final = StudyDirection.MAXIMIZE
N_THREADS: Final = 8
_FINISHED: Final = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_UNKNOWN_ID: Final = 987_654_321

JSON_VALUES: Final[dict[str, Any]] = {
    "int": 7,
    "float": 0.25,
    "str": "text ✓",
    "none": None,
    "bool": True,
    "list": [1, "two", None, False, [3.5]],
    "nested": {"a": {"b": [1, 2, {"c": None, "d": "e"}]}, "empty": {}},
}
"""Attribute values the suite stores: every JSON kind, nested."""

_CHOICES: Final = (None, True, 1, 1.5, "a")
_DISTRIBUTIONS: Final[dict[str, BaseDistribution]] = {
    "float": FloatDistribution(-1.0, 1.0),
    "log_float": FloatDistribution(1e-3, 1.0, log=True),
    "step_float": FloatDistribution(0.0, 1.0, step=0.25),
    "int": IntDistribution(-3, 3),
    "log_int": IntDistribution(1, 100, log=True),
    "step_int": IntDistribution(0, 10, step=2),
    "cat_none": CategoricalDistribution(_CHOICES),
    "cat_bool": CategoricalDistribution(_CHOICES),
    "cat_int": CategoricalDistribution(_CHOICES),
    "cat_float": CategoricalDistribution(_CHOICES),
    "cat_str": CategoricalDistribution(_CHOICES),
}
_PARAMS: Final[dict[str, Any]] = {
    "float": -0.5,
    "log_float": 0.01,
    "step_float": 0.75,
    "int": -2,
    "log_int": 10,
    "step_int": 4,
    "cat_none": None,
    "cat_bool": True,
    "cat_int": 1,
    "cat_float": 1.5,
    "cat_str": "a",
}
_START: Final = datetime.datetime(2024, 2, 29, 13, 14, 15, 123456)
_COMPLETE: Final = datetime.datetime(2024, 2, 29, 13, 16, 17, 654321)


def _typed(mapping: dict[Any, Any]) -> list[tuple[str, str]]:
    """A mapping with its values' types, in a form that compares exactly (1 != True != 1.0)."""
    return sorted((repr(k), f"{type(v).__name__}:{v!r}") for k, v in mapping.items())


def _template(
    state: TrialState = TrialState.COMPLETE, values: Sequence[float] | None = None
) -> FrozenTrial:
    """A template trial with every kind of parameter, attribute, report, and fixed datetimes."""
    if values is None and state == TrialState.COMPLETE:
        values = [1.5]
    trial = create_trial(
        state=state,
        values=values,
        params=dict(_PARAMS),
        distributions=dict(_DISTRIBUTIONS),
        user_attrs=dict(JSON_VALUES),
        system_attrs={"sampler": {"state": [1, 2, 3]}, "flag": False},
        intermediate_values={0: 3.0, 1: 2.5, 4: -1.0},
    )
    if state != TrialState.WAITING:
        trial.datetime_start = _START
    if state.is_finished():
        trial.datetime_complete = _COMPLETE
    return trial


def _in_threads(func: Callable[[int], _T], n: int = N_THREADS) -> list[_T]:
    """Run ``func(i)`` for ``i`` in ``range(n)`` in ``n`` threads released together."""
    barrier = threading.Barrier(n)

    def run(i: int) -> _T:
        barrier.wait()
        return func(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


class StorageConformance:
    """The checks every storage passes; subclass it and override :meth:`make_storage`."""

    def make_storage(self) -> Iterator[BaseStorage]:
        """Yield a fresh, empty storage; code after the ``yield`` cleans it up.

        Subclasses must override this. Call ``pytest.skip`` inside it when the backend is not
        available (e.g. no database server configured).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override make_storage(self) to yield the storage under "
            "test."
        )

    @pytest.fixture
    def storage(self) -> Iterator[BaseStorage]:
        """The storage under test, fresh for each check."""
        yield from self.make_storage()

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _finished_trial(storage: BaseStorage, study_id: int, state: TrialState) -> int:
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "float", 0.5, _DISTRIBUTIONS["float"])
        storage.set_trial_intermediate_value(trial_id, 0, 1.0)
        values = [1.0] if state == TrialState.COMPLETE else None
        assert storage.set_trial_state_values(trial_id, state, values)
        return trial_id

    # -- studies ---------------------------------------------------------------------------------
    def test_create_study_and_read_it_back(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "study-a")
        assert storage.get_study_name_from_id(study_id) == "study-a"
        assert storage.get_study_id_from_name("study-a") == study_id
        assert storage.get_study_directions(study_id) == [MIN]
        assert storage.get_study_user_attrs(study_id) == {}
        assert storage.get_study_system_attrs(study_id) == {}
        assert storage.get_all_trials(study_id) == []
        assert storage.get_n_trials(study_id) == 0

    def test_study_ids_are_distinct(self, storage: BaseStorage) -> None:
        ids = [storage.create_new_study([MIN], f"s{i}") for i in range(5)]
        assert len(set(ids)) == 5

    def test_generated_names_are_unique(self, storage: BaseStorage) -> None:
        ids = [storage.create_new_study([MIN]) for _ in range(10)]
        names = [storage.get_study_name_from_id(i) for i in ids]
        assert len(set(names)) == 10
        assert all(name.startswith(DEFAULT_STUDY_NAME_PREFIX) for name in names)
        assert [storage.get_study_id_from_name(n) for n in names] == ids

    def test_duplicate_name_raises(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "taken")
        with pytest.raises(DuplicatedStudyError):
            storage.create_new_study([MAX], "taken")
        with pytest.raises(ValueError, match="taken"):
            storage.create_new_study([MIN], "taken")
        assert storage.get_study_id_from_name("taken") == study_id
        assert storage.get_study_directions(study_id) == [MIN]
        assert len(storage.get_all_studies()) == 1

    def test_study_not_found_lists_existing_names(self, storage: BaseStorage) -> None:
        storage.create_new_study([MIN], "alpha")
        storage.create_new_study([MIN], "beta")
        with pytest.raises(StudyNotFoundError) as info:
            storage.get_study_id_from_name("gamma")
        assert isinstance(info.value, KeyError)
        message = str(info.value)
        assert "gamma" in message and "alpha" in message and "beta" in message

    @pytest.mark.parametrize(
        "call",
        [
            "get_study_name_from_id",
            "get_study_directions",
            "get_study_user_attrs",
            "get_study_system_attrs",
            "get_all_trials",
            "create_new_trial",
            "delete_study",
            "get_n_trials",
        ],
    )
    def test_unknown_study_id_raises(self, storage: BaseStorage, call: str) -> None:
        storage.create_new_study([MIN], "exists")
        with pytest.raises(StudyNotFoundError):
            getattr(storage, call)(_UNKNOWN_ID)

    def test_unknown_study_id_raises_on_attribute_update(self, storage: BaseStorage) -> None:
        with pytest.raises(StudyNotFoundError):
            storage.set_study_user_attr(_UNKNOWN_ID, "k", 1)
        with pytest.raises(StudyNotFoundError):
            storage.set_study_system_attr(_UNKNOWN_ID, "k", 1)

    def test_delete_study(self, storage: BaseStorage) -> None:
        doomed = storage.create_new_study([MIN], "doomed")
        kept = storage.create_new_study([MAX], "kept")
        doomed_trial = storage.create_new_trial(doomed)
        kept_trial = storage.create_new_trial(kept)
        storage.delete_study(doomed)
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id_from_name("doomed")
        with pytest.raises(KeyError):
            storage.get_study_name_from_id(doomed)
        with pytest.raises(KeyError):
            storage.get_trial(doomed_trial)
        with pytest.raises(KeyError):
            storage.delete_study(doomed)
        assert [s.study_name for s in storage.get_all_studies()] == ["kept"]
        assert storage.get_trial(kept_trial).number == 0
        reborn = storage.create_new_study([MIN], "doomed")  # the name is free again
        assert storage.get_n_trials(reborn) == 0

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_study_attrs(self, storage: BaseStorage, kind: str) -> None:
        study_id = storage.create_new_study([MIN], "attrs")
        other = storage.create_new_study([MIN], "other")
        setter = getattr(storage, f"set_study_{kind}_attr")
        getter = getattr(storage, f"get_study_{kind}_attrs")
        for key, value in JSON_VALUES.items():
            setter(study_id, key, value)
        assert _typed(getter(study_id)) == _typed(JSON_VALUES)
        setter(study_id, "int", -1)
        assert getter(study_id)["int"] == -1
        returned = getter(study_id)
        returned["nested"]["a"]["b"].append("mutated")
        returned["new"] = 1
        assert getter(study_id)["nested"] == JSON_VALUES["nested"]
        assert "new" not in getter(study_id)
        assert getter(other) == {}

    @pytest.mark.parametrize(
        "directions", [[MIN], [MAX], [MIN, MAX, MIN]], ids=["minimize", "maximize", "multi"]
    )
    def test_directions(self, storage: BaseStorage, directions: list[StudyDirection]) -> None:
        study_id = storage.create_new_study(directions, "d")
        assert storage.get_study_directions(study_id) == directions
        (frozen,) = storage.get_all_studies()
        assert frozen.directions == directions

    def test_get_all_studies(self, storage: BaseStorage) -> None:
        assert storage.get_all_studies() == []
        first = storage.create_new_study([MIN], "first")
        second = storage.create_new_study([MAX, MIN], "second")
        storage.set_study_user_attr(first, "nested", JSON_VALUES["nested"])
        storage.set_study_system_attr(second, "list", JSON_VALUES["list"])
        storage.create_new_trial(first)
        by_name = {s.study_name: s for s in storage.get_all_studies()}
        assert sorted(by_name) == ["first", "second"]
        assert by_name["first"]._study_id == first
        assert by_name["second"]._study_id == second
        assert by_name["first"].directions == [MIN]
        assert by_name["second"].directions == [MAX, MIN]
        assert by_name["first"].user_attrs == {"nested": JSON_VALUES["nested"]}
        assert by_name["second"].system_attrs == {"list": JSON_VALUES["list"]}
        storage.delete_study(first)
        assert [s.study_name for s in storage.get_all_studies()] == ["second"]

    # -- creating trials -------------------------------------------------------------------------
    def test_new_trial_is_running(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "s")
        before = datetime.datetime.now()
        trial_id = storage.create_new_trial(study_id)
        trial = storage.get_trial(trial_id)
        assert trial._trial_id == trial_id
        assert (trial.number, trial.state, trial.values) == (0, TrialState.RUNNING, None)
        assert trial.datetime_start is not None
        assert before - datetime.timedelta(seconds=1) <= trial.datetime_start
        assert trial.datetime_complete is None
        assert trial.params == {} and trial.distributions == {}
        assert trial.user_attrs == {} and trial.system_attrs == {}
        assert trial.intermediate_values == {}

    def test_trial_numbers_are_gap_free_per_study(self, storage: BaseStorage) -> None:
        a = storage.create_new_study([MIN], "a")
        b = storage.create_new_study([MIN], "b")
        ids: dict[int, list[int]] = {a: [], b: []}
        for study_id in (a, b, a, a, b, a, b, b, b):
            ids[study_id].append(storage.create_new_trial(study_id))
        storage.create_new_trial(a, template_trial=_template(TrialState.WAITING))
        for study_id in (a, b):
            trials = storage.get_all_trials(study_id)
            assert [t.number for t in trials] == list(range(len(trials)))
        all_ids = ids[a] + ids[b]
        assert len(set(all_ids)) == len(all_ids)
        for trial_ids in ids.values():
            numbers = [storage.get_trial_number_from_id(i) for i in trial_ids]
            assert numbers == list(range(len(trial_ids)))

    def test_create_new_trial_concurrently(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "threads")
        per_thread = 25
        ids = _in_threads(lambda _: [storage.create_new_trial(study_id) for _ in range(per_thread)])
        flat = [trial_id for chunk in ids for trial_id in chunk]
        assert len(set(flat)) == N_THREADS * per_thread
        trials = storage.get_all_trials(study_id)
        assert [t.number for t in trials] == list(range(N_THREADS * per_thread))
        assert sorted(t._trial_id for t in trials) == sorted(flat)

    @pytest.mark.parametrize("state", list(TrialState), ids=lambda s: s.name)
    def test_template_trial_is_kept(self, storage: BaseStorage, state: TrialState) -> None:
        study_id = storage.create_new_study([MIN], "templates")
        storage.create_new_trial(study_id)
        template = _template(state)
        trial_id = storage.create_new_trial(study_id, template_trial=template)
        trial = storage.get_trial(trial_id)
        assert (trial.number, trial._trial_id, trial.state) == (1, trial_id, state)
        assert trial.values == template.values
        assert _typed(trial.params) == _typed(_PARAMS)
        assert trial.distributions == _DISTRIBUTIONS
        assert _typed(trial.user_attrs) == _typed(JSON_VALUES)
        assert trial.system_attrs == {"sampler": {"state": [1, 2, 3]}, "flag": False}
        assert trial.intermediate_values == {0: 3.0, 1: 2.5, 4: -1.0}
        assert trial.datetime_start == template.datetime_start
        assert trial.datetime_complete == template.datetime_complete
        assert (template.number, template._trial_id) == (-1, -1), "the template was changed"

    def test_template_with_several_values(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN, MAX], "multi")
        trial_id = storage.create_new_trial(study_id, template_trial=_template(values=[1.0, -2.5]))
        assert storage.get_trial(trial_id).values == [1.0, -2.5]

    # -- parameters ------------------------------------------------------------------------------
    def test_set_trial_param(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "params")
        trial_id = storage.create_new_trial(study_id)
        for name, value in _PARAMS.items():
            dist = _DISTRIBUTIONS[name]
            storage.set_trial_param(trial_id, name, dist.to_internal_repr(value), dist)
        trial = storage.get_trial(trial_id)
        assert _typed(trial.params) == _typed(_PARAMS)
        assert trial.distributions == _DISTRIBUTIONS
        for name, value in _PARAMS.items():
            internal = _DISTRIBUTIONS[name].to_internal_repr(value)
            assert storage.get_trial_param(trial_id, name) == internal

    def test_incompatible_distribution_raises(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "compat")
        first = storage.create_new_trial(study_id)
        storage.set_trial_param(first, "x", 0.5, FloatDistribution(0.0, 1.0))
        storage.set_trial_param(first, "c", 0.0, CategoricalDistribution(("a", "b")))
        second = storage.create_new_trial(study_id)
        storage.set_trial_param(second, "x", 3.0, FloatDistribution(0.0, 5.0))  # a wider range
        incompatible: list[tuple[str, BaseDistribution]] = [
            ("x", CategoricalDistribution((0.0, 1.0))),
            ("x", IntDistribution(0, 1)),
            ("x", FloatDistribution(0.1, 1.0, log=True)),
            ("c", CategoricalDistribution(("a", "b", "c"))),
        ]
        third = storage.create_new_trial(study_id)
        for name, dist in incompatible:
            with pytest.raises(ValueError):
                storage.set_trial_param(third, name, 0.0, dist)
        assert storage.get_trial(third).params == {}
        other_study = storage.create_new_study([MIN], "other")
        elsewhere = storage.create_new_trial(other_study)
        storage.set_trial_param(elsewhere, "x", 1.0, CategoricalDistribution(("p", "q")))
        assert storage.get_trial(elsewhere).params == {"x": "q"}

    # -- states ----------------------------------------------------------------------------------
    def test_waiting_trial_is_claimed_once(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "claim")
        waiting = storage.create_new_trial(study_id, template_trial=_template(TrialState.WAITING))
        assert storage.get_trial(waiting).datetime_start is None
        assert storage.set_trial_state_values(waiting, TrialState.RUNNING) is True
        trial = storage.get_trial(waiting)
        assert trial.state == TrialState.RUNNING and trial.datetime_start is not None
        assert storage.set_trial_state_values(waiting, TrialState.RUNNING) is False
        running = storage.create_new_trial(study_id)
        assert storage.set_trial_state_values(running, TrialState.RUNNING) is False

    def test_set_running_concurrently(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "race")
        for _ in range(5):
            trial_id = storage.create_new_trial(
                study_id, template_trial=_template(TrialState.WAITING)
            )

            def claim(_: int, trial_id: int = trial_id) -> bool:
                return storage.set_trial_state_values(trial_id, TrialState.RUNNING)

            wins = _in_threads(claim)
            assert wins.count(True) == 1, wins

    @pytest.mark.parametrize("state", _FINISHED, ids=lambda s: s.name)
    def test_finishing_sets_values_and_datetime_complete(
        self, storage: BaseStorage, state: TrialState
    ) -> None:
        study_id = storage.create_new_study([MIN], "finish")
        trial_id = storage.create_new_trial(study_id)
        values = None if state == TrialState.FAIL else [2.5]
        assert storage.set_trial_state_values(trial_id, state, values) is True
        trial = storage.get_trial(trial_id)
        assert trial.state == state and trial.values == values
        assert trial.datetime_start is not None and trial.datetime_complete is not None
        assert trial.datetime_complete >= trial.datetime_start

    @pytest.mark.parametrize("state", _FINISHED, ids=lambda s: s.name)
    @pytest.mark.parametrize("origin", ["finished", "template"])
    def test_finished_trial_cannot_change(
        self, storage: BaseStorage, state: TrialState, origin: str
    ) -> None:
        study_id = storage.create_new_study([MIN], "immutable")
        if origin == "finished":
            trial_id = self._finished_trial(storage, study_id, state)
        else:
            trial_id = storage.create_new_trial(study_id, template_trial=_template(state))
        before = storage.get_trial(trial_id)
        updates: list[Callable[[], object]] = [
            lambda: storage.set_trial_param(trial_id, "new", 0.5, FloatDistribution(0, 1)),
            lambda: storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.0]),
            lambda: storage.set_trial_state_values(trial_id, TrialState.FAIL),
            lambda: storage.set_trial_state_values(trial_id, TrialState.PRUNED),
            lambda: storage.set_trial_intermediate_value(trial_id, 9, 1.0),
            lambda: storage.set_trial_user_attr(trial_id, "k", 1),
            lambda: storage.set_trial_system_attr(trial_id, "k", 1),
        ]
        for update in updates:
            with pytest.raises(UpdateFinishedTrialError):
                update()
        assert storage.get_trial(trial_id) == before

    def test_claim_waiting_trial_in_order(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "queue")
        assert storage.claim_waiting_trial(study_id) is None
        storage.create_new_trial(study_id)
        waiting = [
            storage.create_new_trial(study_id, template_trial=_template(TrialState.WAITING))
            for _ in range(3)
        ]
        claimed = [storage.claim_waiting_trial(study_id) for _ in range(4)]
        assert claimed == [*waiting, None]
        for trial_id in waiting:
            trial = storage.get_trial(trial_id)
            assert trial.state == TrialState.RUNNING and trial.datetime_start is not None

    def test_claim_waiting_trial_concurrently(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "workers")
        waiting = {
            storage.create_new_trial(study_id, template_trial=_template(TrialState.WAITING))
            for _ in range(40)
        }

        def claim_all(_: int) -> list[int]:
            mine = []
            while (trial_id := storage.claim_waiting_trial(study_id)) is not None:
                mine.append(trial_id)
            return mine

        claimed = [trial_id for chunk in _in_threads(claim_all) for trial_id in chunk]
        assert sorted(claimed) == sorted(waiting)
        assert storage.get_n_trials(study_id, TrialState.RUNNING) == 40
        assert storage.get_n_trials(study_id, TrialState.WAITING) == 0

    # -- reports, values and attributes ----------------------------------------------------------
    def test_intermediate_values(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "reports")
        trial_id = storage.create_new_trial(study_id)
        for step, value in ((0, 1.0), (2, math.inf), (1, 0.5), (1, 0.25), (5, -math.inf)):
            storage.set_trial_intermediate_value(trial_id, step, value)
        storage.set_trial_intermediate_value(trial_id, 3, math.nan)
        reports = storage.get_trial(trial_id).intermediate_values
        assert sorted(reports) == [0, 1, 2, 3, 5]
        assert all(type(step) is int for step in reports)
        assert math.isnan(reports.pop(3))
        assert reports == {0: 1.0, 1: 0.25, 2: math.inf, 5: -math.inf}

    def test_infinite_values_are_kept_exactly(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "inf")
        multi = storage.create_new_study([MIN, MAX], "inf-multi")
        pos = storage.create_new_trial(study_id)
        storage.set_trial_state_values(pos, TrialState.COMPLETE, [math.inf])
        neg = storage.create_new_trial(study_id, template_trial=_template(values=[-math.inf]))
        both = storage.create_new_trial(multi)
        storage.set_trial_state_values(both, TrialState.COMPLETE, [math.inf, -math.inf])
        assert storage.get_trial(pos).values == [math.inf]
        assert storage.get_trial(neg).values == [-math.inf]
        assert storage.get_trial(both).values == [math.inf, -math.inf]
        assert storage.get_best_trial(study_id)._trial_id == neg

    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_trial_attrs(self, storage: BaseStorage, kind: str) -> None:
        study_id = storage.create_new_study([MIN], "trial-attrs")
        trial_id = storage.create_new_trial(study_id)
        other_id = storage.create_new_trial(study_id)
        setter = getattr(storage, f"set_trial_{kind}_attr")
        for key, value in JSON_VALUES.items():
            setter(trial_id, key, value)
        setter(trial_id, "int", 8)
        attrs = getattr(storage.get_trial(trial_id), f"{kind}_attrs")
        assert _typed(attrs) == _typed({**JSON_VALUES, "int": 8})
        assert getattr(storage.get_trial(other_id), f"{kind}_attrs") == {}

    def test_unknown_trial_id_raises_key_error(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "s")
        storage.create_new_trial(study_id)
        calls: list[Callable[[], object]] = [
            lambda: storage.get_trial(_UNKNOWN_ID),
            lambda: storage.get_trial_number_from_id(_UNKNOWN_ID),
            lambda: storage.set_trial_param(_UNKNOWN_ID, "x", 0.5, FloatDistribution(0, 1)),
            lambda: storage.set_trial_state_values(_UNKNOWN_ID, TrialState.COMPLETE, [1.0]),
            lambda: storage.set_trial_intermediate_value(_UNKNOWN_ID, 0, 1.0),
            lambda: storage.set_trial_user_attr(_UNKNOWN_ID, "k", 1),
            lambda: storage.set_trial_system_attr(_UNKNOWN_ID, "k", 1),
        ]
        for call in calls:
            with pytest.raises(KeyError):
                call()

    # -- reading trials --------------------------------------------------------------------------
    def _one_trial_per_state(self, storage: BaseStorage) -> tuple[int, dict[TrialState, int]]:
        study_id = storage.create_new_study([MIN], "states")
        ids = {
            state: storage.create_new_trial(study_id, template_trial=_template(state))
            for state in TrialState
        }
        return study_id, ids

    def test_get_all_trials_filters_by_state(self, storage: BaseStorage) -> None:
        study_id, ids = self._one_trial_per_state(storage)
        for deepcopy in (True, False):
            every = storage.get_all_trials(study_id, deepcopy=deepcopy)
            assert [t.number for t in every] == list(range(len(TrialState)))
            assert [t.state for t in every] == list(TrialState)
            for states in ((TrialState.COMPLETE,), (TrialState.WAITING, TrialState.RUNNING), ()):
                chosen = storage.get_all_trials(study_id, deepcopy=deepcopy, states=states)
                assert [t._trial_id for t in chosen] == [ids[s] for s in TrialState if s in states]

    def test_get_n_trials(self, storage: BaseStorage) -> None:
        study_id, _ = self._one_trial_per_state(storage)
        storage.create_new_trial(study_id)
        assert storage.get_n_trials(study_id) == len(TrialState) + 1
        assert storage.get_n_trials(study_id, TrialState.RUNNING) == 2
        assert storage.get_n_trials(study_id, (TrialState.COMPLETE, TrialState.FAIL)) == 2
        assert storage.get_n_trials(study_id, ()) == 0

    @pytest.mark.parametrize("deepcopy", [False, True], ids=["shared", "deepcopy"])
    def test_snapshots_do_not_change(self, storage: BaseStorage, deepcopy: bool) -> None:
        study_id = storage.create_new_study([MIN], "snapshots")
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_user_attr(trial_id, "nested", {"a": [1]})
        (listed,) = storage.get_all_trials(study_id, deepcopy=deepcopy)
        single = storage.get_trial(trial_id)
        expected = [copy.deepcopy(t) for t in (listed, single)]
        storage.set_trial_user_attr(trial_id, "nested", {"a": [1, 2]})
        storage.set_trial_system_attr(trial_id, "k", "v")
        storage.set_trial_intermediate_value(trial_id, 0, 1.0)
        storage.set_trial_param(trial_id, "x", 0.5, FloatDistribution(0, 1))
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
        assert [listed, single] == expected
        assert listed.state == TrialState.RUNNING and listed.params == {}
        assert listed.user_attrs == {"nested": {"a": [1]}}

    def test_deepcopy_returns_independent_trials(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "copies")
        storage.create_new_trial(study_id, template_trial=_template())
        (mine,) = storage.get_all_trials(study_id, deepcopy=True)
        mine.params["float"] = 0.0
        mine.user_attrs["nested"]["a"]["b"].append("mutated")
        mine.intermediate_values[99] = 0.0
        (fresh,) = storage.get_all_trials(study_id, deepcopy=True)
        assert _typed(fresh.params) == _typed(_PARAMS)
        assert fresh.user_attrs["nested"] == JSON_VALUES["nested"]
        assert 99 not in fresh.intermediate_values

    @pytest.mark.parametrize("direction", [MIN, MAX], ids=lambda d: d.name.lower())
    def test_get_best_trial(self, storage: BaseStorage, direction: StudyDirection) -> None:
        study_id = storage.create_new_study([direction], "best")
        with pytest.raises(ValueError):
            storage.get_best_trial(study_id)
        storage.create_new_trial(study_id)
        storage.create_new_trial(study_id, template_trial=_template(TrialState.PRUNED, [-100.0]))
        storage.create_new_trial(study_id, template_trial=_template(TrialState.FAIL))
        with pytest.raises(ValueError):
            storage.get_best_trial(study_id)
        ids = {}
        for value in (3.0, 1.0, 2.0):
            ids[value] = storage.create_new_trial(study_id)
            storage.set_trial_state_values(ids[value], TrialState.COMPLETE, [value])
        expected = 1.0 if direction == MIN else 3.0
        assert storage.get_best_trial(study_id)._trial_id == ids[expected]
        better = -5.0 if direction == MIN else 5.0
        best = storage.create_new_trial(study_id, template_trial=_template(values=[better]))
        assert storage.get_best_trial(study_id)._trial_id == best
        assert storage.get_best_trial(study_id).values == [better]

    def test_get_best_trial_of_multi_objective_study_raises(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN, MAX], "multi")
        storage.create_new_trial(study_id, template_trial=_template(values=[1.0, 2.0]))
        with pytest.raises(RuntimeError):
            storage.get_best_trial(study_id)

    def test_get_trial_id_from_study_id_trial_number(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "numbers")
        other = storage.create_new_study([MIN], "other")
        storage.create_new_trial(other)
        ids = [storage.create_new_trial(study_id) for _ in range(4)]
        for number, trial_id in enumerate(ids):
            assert storage.get_trial_id_from_study_id_trial_number(study_id, number) == trial_id
        for number in (4, -1):
            with pytest.raises(KeyError):
                storage.get_trial_id_from_study_id_trial_number(study_id, number)
        with pytest.raises(KeyError):
            storage.get_trial_id_from_study_id_trial_number(_UNKNOWN_ID, 0)
