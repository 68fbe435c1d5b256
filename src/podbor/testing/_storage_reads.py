"""Storage conformance checks of reading trials: filters, counts, snapshots, the best trial."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.storages._base import BaseStorage
from podbor.testing._storage_common import (
    JSON_VALUES,
    MAX,
    MIN,
    PARAMS,
    UNKNOWN_ID,
    make_template,
    typed,
)

__all__ = ["ReadChecks"]


def _one_trial_per_state(storage: BaseStorage) -> tuple[int, dict[TrialState, int]]:
    study_id = storage.create_new_study([MIN], "states")
    ids = {
        state: storage.create_new_trial(study_id, template_trial=make_template(state))
        for state in TrialState
    }
    return study_id, ids


class ReadChecks:
    """The trial-reading part of :class:`~podbor.testing.storages.StorageConformance`."""

    def test_get_all_trials_filters_by_state(self, storage: BaseStorage) -> None:
        study_id, ids = _one_trial_per_state(storage)
        for deepcopy in (True, False):
            every = storage.get_all_trials(study_id, deepcopy=deepcopy)
            assert [t.number for t in every] == list(range(len(TrialState)))
            assert [t.state for t in every] == list(TrialState)
            for states in ((TrialState.COMPLETE,), (TrialState.WAITING, TrialState.RUNNING), ()):
                chosen = storage.get_all_trials(study_id, deepcopy=deepcopy, states=states)
                assert [t._trial_id for t in chosen] == [ids[s] for s in TrialState if s in states]

    def test_get_n_trials(self, storage: BaseStorage) -> None:
        study_id, _ = _one_trial_per_state(storage)
        storage.create_new_trial(study_id)
        assert storage.get_n_trials(study_id) == len(TrialState) + 1
        assert storage.get_n_trials(study_id, TrialState.RUNNING) == 2
        assert storage.get_n_trials(study_id, (TrialState.COMPLETE, TrialState.FAIL)) == 2
        assert storage.get_n_trials(study_id, ()) == 0
        assert storage.get_n_trials(study_id, state=TrialState.WAITING) == 1  # Optuna's name
        with pytest.raises(KeyError):
            storage.get_n_trials(UNKNOWN_ID)

    def test_get_one_trial_s_params_and_attrs(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "per-trial")
        trial_id = storage.create_new_trial(study_id)
        other = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "lr", 0.25, FloatDistribution(0, 1))
        storage.set_trial_param(trial_id, "layers", 2, CategoricalDistribution((1, 2, 3)))
        storage.set_trial_user_attr(trial_id, "fold", 3)
        storage.set_trial_system_attr(trial_id, "seed", [1, 2])
        assert storage.get_trial_params(trial_id) == {"lr": 0.25, "layers": 3}
        assert storage.get_trial_user_attrs(trial_id) == {"fold": 3}
        assert storage.get_trial_system_attrs(trial_id) == {"seed": [1, 2]}
        assert storage.get_trial_param(trial_id, "layers") == 2  # the internal value
        for read in (
            storage.get_trial_params,
            storage.get_trial_user_attrs,
            storage.get_trial_system_attrs,
        ):
            assert read(other) == {}
            with pytest.raises(KeyError):
                read(UNKNOWN_ID)
        with pytest.raises(KeyError):
            storage.get_trial_param(trial_id, "missing")

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

    def test_snapshots_read_between_writes_do_not_change(self, storage: BaseStorage) -> None:
        # A storage may change a trial in place until it hands it out: every way of reading it
        # (one trial, all trials, running ones, finished ones only) must end that.
        study_id = storage.create_new_study([MIN], "interleaved")
        trial_id = storage.create_new_trial(study_id)
        seen: list[tuple[object, object]] = []

        def keep(read: object) -> None:
            seen.append((read, copy.deepcopy(read)))

        readers: list[Callable[[], object]] = [
            lambda: storage.get_trial(trial_id),
            lambda: storage.get_all_trials(study_id, deepcopy=False),
            lambda: storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)),
            lambda: storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,)),
            lambda: storage.get_all_trials(study_id, deepcopy=True),
        ]
        for i, reads in enumerate(readers):
            keep(reads())
            storage.set_trial_param(trial_id, f"x{i}", 0.5, FloatDistribution(0, 1))
            keep(reads())
            storage.set_trial_user_attr(trial_id, f"u{i}", i)
            storage.set_trial_system_attr(trial_id, f"s{i}", i)
            storage.set_trial_intermediate_value(trial_id, i, float(i))
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
        assert [read for read, _ in seen] == [expected for _, expected in seen]
        final = storage.get_trial(trial_id)
        assert sorted(final.params) == [f"x{i}" for i in range(5)]
        assert final.intermediate_values == {i: float(i) for i in range(5)}

    def test_finished_trials_are_read_by_state_in_number_order(self, storage: BaseStorage) -> None:
        # Trials that finish out of order (parallel workers), and finished trials made at once.
        study_id = storage.create_new_study([MIN], "finish-order")
        ids = [storage.create_new_trial(study_id) for _ in range(6)]
        ends = [
            (4, TrialState.COMPLETE, [4.0]),
            (1, TrialState.PRUNED, None),
            (5, TrialState.COMPLETE, [5.0]),
            (0, TrialState.COMPLETE, [0.0]),
            (3, TrialState.FAIL, None),
        ]
        for number, state, values in ends:
            storage.set_trial_state_values(ids[number], state, values)
        storage.create_new_trial(study_id, template_trial=make_template(TrialState.PRUNED))
        storage.create_new_trial(study_id, template_trial=make_template(values=[6.0]))
        every = storage.get_all_trials(study_id, deepcopy=False)
        finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        for states in [(a,) for a in finished] + [finished[:2], finished[1:], finished]:
            for deepcopy in (False, True):
                chosen = storage.get_all_trials(study_id, deepcopy=deepcopy, states=states)
                assert [t.number for t in chosen] == [t.number for t in every if t.state in states]
                assert all(t.state in states for t in chosen)
            assert storage.get_n_trials(study_id, states) == len(
                [t for t in every if t.state in states]
            )
        complete = storage.get_all_trials(study_id, states=(TrialState.COMPLETE,))
        assert [t.values for t in complete] == [[0.0], [4.0], [5.0], [6.0]]
        assert storage.get_n_trials(study_id, TrialState.RUNNING) == 1

    def test_deepcopy_returns_independent_trials(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "copies")
        storage.create_new_trial(study_id, template_trial=make_template())
        (mine,) = storage.get_all_trials(study_id, deepcopy=True)
        mine.params["float"] = 0.0
        mine.user_attrs["nested"]["a"]["b"].append("mutated")
        mine.intermediate_values[99] = 0.0
        (fresh,) = storage.get_all_trials(study_id, deepcopy=True)
        assert typed(fresh.params) == typed(PARAMS)
        assert fresh.user_attrs["nested"] == JSON_VALUES["nested"]
        assert 99 not in fresh.intermediate_values

    @pytest.mark.parametrize("direction", [MIN, MAX], ids=lambda d: d.name.lower())
    def test_get_best_trial(self, storage: BaseStorage, direction: StudyDirection) -> None:
        study_id = storage.create_new_study([direction], "best")
        with pytest.raises(ValueError):
            storage.get_best_trial(study_id)
        storage.create_new_trial(study_id)
        storage.create_new_trial(
            study_id, template_trial=make_template(TrialState.PRUNED, [-100.0])
        )
        storage.create_new_trial(study_id, template_trial=make_template(TrialState.FAIL))
        with pytest.raises(ValueError):
            storage.get_best_trial(study_id)
        ids = {}
        for value in (3.0, 1.0, 2.0):
            ids[value] = storage.create_new_trial(study_id)
            storage.set_trial_state_values(ids[value], TrialState.COMPLETE, [value])
        expected = 1.0 if direction == MIN else 3.0
        assert storage.get_best_trial(study_id)._trial_id == ids[expected]
        better = -5.0 if direction == MIN else 5.0
        best = storage.create_new_trial(study_id, template_trial=make_template(values=[better]))
        assert storage.get_best_trial(study_id)._trial_id == best
        assert storage.get_best_trial(study_id).values == [better]

    def test_get_best_trial_of_multi_objective_study_raises(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN, MAX], "multi")
        storage.create_new_trial(study_id, template_trial=make_template(values=[1.0, 2.0]))
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
            storage.get_trial_id_from_study_id_trial_number(UNKNOWN_ID, 0)
