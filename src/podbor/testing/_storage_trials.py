"""Storage conformance checks of writing trials: creating them, parameters, states, reports,
values and attributes, and the rules every write keeps (compatible distributions, JSON values,
finished trials never change)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any, Final

import pytest

from podbor._records.frozen_trial import create_trial
from podbor._records.trial_state import TrialState
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import InvalidArgumentError, UpdateFinishedTrialError
from podbor.storages._base import BaseStorage
from podbor.testing._storage_common import (
    DISTRIBUTIONS,
    FINISHED,
    JSON_VALUES,
    MAX,
    MIN,
    PARAMS,
    UNKNOWN_ID,
    finished_trial,
    make_template,
    typed,
)

__all__ = ["TrialChecks"]

_NOT_JSON: Final[dict[str, Any]] = {
    "object": object(),
    "set": {1, 2},
    "nested": {"fine": [1, 2], "not": [{"deep": object()}]},
}
"""Attribute values no storage may accept: the contract's JSON rule."""


def _every_update(storage: BaseStorage, trial_id: int) -> list[Callable[[], object]]:
    """Every call that changes a trial, ready to run."""
    return [
        lambda: storage.set_trial_param(trial_id, "new", 0.5, FloatDistribution(0, 1)),
        lambda: storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.0]),
        lambda: storage.set_trial_state_values(trial_id, TrialState.FAIL),
        lambda: storage.set_trial_state_values(trial_id, TrialState.PRUNED),
        lambda: storage.set_trial_state_values(trial_id, TrialState.RUNNING),
        lambda: storage.set_trial_state_values(trial_id, TrialState.WAITING),
        lambda: storage.set_trial_intermediate_value(trial_id, 9, 1.0),
        lambda: storage.set_trial_user_attr(trial_id, "k", 1),
        lambda: storage.set_trial_system_attr(trial_id, "k", 1),
    ]


class TrialChecks:
    """The trial-writing part of :class:`~podbor.testing.storages.StorageConformance`."""

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
        storage.create_new_trial(a, template_trial=make_template(TrialState.WAITING))
        for study_id in (a, b):
            trials = storage.get_all_trials(study_id)
            assert [t.number for t in trials] == list(range(len(trials)))
        all_ids = ids[a] + ids[b]
        assert len(set(all_ids)) == len(all_ids)
        for trial_ids in ids.values():
            numbers = [storage.get_trial_number_from_id(i) for i in trial_ids]
            assert numbers == list(range(len(trial_ids)))

    @pytest.mark.parametrize("state", list(TrialState), ids=lambda s: s.name)
    def test_template_trial_is_kept(self, storage: BaseStorage, state: TrialState) -> None:
        study_id = storage.create_new_study([MIN], "templates")
        storage.create_new_trial(study_id)
        template = make_template(state)
        trial_id = storage.create_new_trial(study_id, template_trial=template)
        trial = storage.get_trial(trial_id)
        assert (trial.number, trial._trial_id, trial.state) == (1, trial_id, state)
        assert trial.values == template.values
        assert typed(trial.params) == typed(PARAMS)
        assert trial.distributions == DISTRIBUTIONS
        assert typed(trial.user_attrs) == typed(JSON_VALUES)
        assert trial.system_attrs == {"sampler": {"state": [1, 2, 3]}, "flag": False}
        assert trial.intermediate_values == {0: 3.0, 1: 2.5, 4: -1.0}
        assert trial.datetime_start == template.datetime_start
        assert trial.datetime_complete == template.datetime_complete
        assert (template.number, template._trial_id) == (-1, -1), "the template was changed"

    @pytest.mark.parametrize("method", ["create_new_trial", "create_running_trial"])
    def test_a_started_trial_reads_back_as_its_template(
        self, storage: BaseStorage, method: str
    ) -> None:
        """What a study relies on when it describes a trial it just started from the template
        it wrote, with no read back: the stored trial is the template, and its number is
        known at once."""
        study_id = storage.create_new_study([MIN], "started")
        storage.create_new_trial(study_id)
        now = datetime.datetime.now()
        template = create_trial(state=TrialState.RUNNING, system_attrs={"worker": "host:1"})
        template.datetime_start = now
        if method == "create_new_trial":
            trial_id = storage.create_new_trial(study_id, template_trial=template)
        else:
            started = storage.create_running_trial(study_id, template, heartbeat=True)
            assert started is not None
            trial_id = started
        assert storage.get_trial_number_from_id(trial_id) == 1
        trial = storage.get_trial(trial_id)
        assert (trial.number, trial._trial_id, trial.state) == (1, trial_id, TrialState.RUNNING)
        assert trial.datetime_start == now
        assert trial.system_attrs == {"worker": "host:1"}
        assert trial.params == {} and trial.user_attrs == {} and trial.values is None
        assert trial.intermediate_values == {}

    def test_template_with_several_values(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN, MAX], "multi")
        trial_id = storage.create_new_trial(
            study_id, template_trial=make_template(values=[1.0, -2.5])
        )
        assert storage.get_trial(trial_id).values == [1.0, -2.5]

    # -- parameters ------------------------------------------------------------------------------
    def test_set_trial_param(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "params")
        trial_id = storage.create_new_trial(study_id)
        for name, value in PARAMS.items():
            dist = DISTRIBUTIONS[name]
            storage.set_trial_param(trial_id, name, dist.to_internal_repr(value), dist)
        trial = storage.get_trial(trial_id)
        assert typed(trial.params) == typed(PARAMS)
        assert trial.distributions == DISTRIBUTIONS
        for name, value in PARAMS.items():
            internal = DISTRIBUTIONS[name].to_internal_repr(value)
            assert storage.get_trial_param(trial_id, name) == internal

    def test_params_come_back_in_the_order_they_were_set(self, storage: BaseStorage) -> None:
        """A trial's params and distributions are in suggestion order, never sorted by name:
        Optuna's storages keep that order, and code zips, prints and plots them in it."""
        order = ["step_int", "cat_str", "float", "log_int", "cat_none", "int"]  # not sorted
        study_id = storage.create_new_study([MIN], "order")
        running = storage.create_new_trial(study_id)
        for name in order:
            dist = DISTRIBUTIONS[name]
            storage.set_trial_param(running, name, dist.to_internal_repr(PARAMS[name]), dist)
        again = DISTRIBUTIONS["step_int"]  # set again: the value changes, its place does not
        storage.set_trial_param(running, "step_int", again.to_internal_repr(8), again)
        template = create_trial(
            params={name: PARAMS[name] for name in reversed(order)},
            distributions={name: DISTRIBUTIONS[name] for name in reversed(order)},
            value=1.0,
        )
        added = storage.create_new_trial(study_id, template_trial=template)
        expected = {running: order, added: order[::-1]}

        def check() -> None:
            for trial_id, names in expected.items():
                trial = storage.get_trial(trial_id)
                assert (list(trial.params), list(trial.distributions)) == (names, names)
                assert list(storage.get_trial_params(trial_id)) == names
            for deepcopy in (True, False):
                listed = storage.get_all_trials(study_id, deepcopy=deepcopy)
                assert [list(t.params) for t in listed] == list(expected.values())
                assert [list(t.distributions) for t in listed] == list(expected.values())

        check()
        assert storage.get_trial(running).params["step_int"] == 8
        storage.set_trial_state_values(running, TrialState.COMPLETE, [0.5])
        check()  # finished: where a storage keeps finished trials, from that copy
        check()

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
        waiting = storage.create_new_trial(
            study_id, template_trial=make_template(TrialState.WAITING)
        )
        assert storage.get_trial(waiting).datetime_start is None
        assert storage.set_trial_state_values(waiting, TrialState.RUNNING) is True
        trial = storage.get_trial(waiting)
        assert trial.state == TrialState.RUNNING and trial.datetime_start is not None
        assert storage.set_trial_state_values(waiting, TrialState.RUNNING) is False
        running = storage.create_new_trial(study_id)
        assert storage.set_trial_state_values(running, TrialState.RUNNING) is False

    @pytest.mark.parametrize("state", FINISHED, ids=lambda s: s.name)
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

    @pytest.mark.parametrize("state", FINISHED, ids=lambda s: s.name)
    @pytest.mark.parametrize("origin", ["finished", "template"])
    def test_finished_trial_cannot_change(
        self, storage: BaseStorage, state: TrialState, origin: str
    ) -> None:
        study_id = storage.create_new_study([MIN], "immutable")
        if origin == "finished":
            trial_id = finished_trial(storage, study_id, state)
        else:
            trial_id = storage.create_new_trial(study_id, template_trial=make_template(state))
        before = storage.get_trial(trial_id)
        for update in _every_update(storage, trial_id):
            with pytest.raises(UpdateFinishedTrialError):
                update()
        assert storage.get_trial(trial_id) == before

    def test_claim_waiting_trial_in_order(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "queue")
        assert storage.claim_waiting_trial(study_id) is None
        storage.create_new_trial(study_id)
        waiting = [
            storage.create_new_trial(study_id, template_trial=make_template(TrialState.WAITING))
            for _ in range(3)
        ]
        claimed = [storage.claim_waiting_trial(study_id) for _ in range(4)]
        assert claimed == [*waiting, None]
        for trial_id in waiting:
            trial = storage.get_trial(trial_id)
            assert trial.state == TrialState.RUNNING and trial.datetime_start is not None

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
        neg = storage.create_new_trial(study_id, template_trial=make_template(values=[-math.inf]))
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
        assert typed(attrs) == typed({**JSON_VALUES, "int": 8})
        assert getattr(storage.get_trial(other_id), f"{kind}_attrs") == {}

    @pytest.mark.parametrize("value", list(_NOT_JSON.values()), ids=list(_NOT_JSON))
    @pytest.mark.parametrize("owner", ["study", "trial", "template"])
    @pytest.mark.parametrize("kind", ["user", "system"])
    def test_non_json_attribute_is_refused(
        self, storage: BaseStorage, kind: str, owner: str, value: Any
    ) -> None:
        study_id = storage.create_new_study([MIN], "json")
        trial_id = storage.create_new_trial(study_id)
        with pytest.raises(InvalidArgumentError, match=rf"{kind} attr 'bad'.*JSON-serializable"):
            if owner == "study":
                getattr(storage, f"set_study_{kind}_attr")(study_id, "bad", value)
            elif owner == "trial":
                getattr(storage, f"set_trial_{kind}_attr")(trial_id, "bad", value)
            else:
                attrs: dict[str, dict[str, Any]] = {"user": {}, "system": {}}
                attrs[kind] = {"ok": 1, "bad": value}
                bad = create_trial(
                    value=0.0, user_attrs=attrs["user"], system_attrs=attrs["system"]
                )
                storage.create_new_trial(study_id, template_trial=bad)
        assert getattr(storage, f"get_study_{kind}_attrs")(study_id) == {}
        (trial,) = storage.get_all_trials(study_id)
        assert trial._trial_id == trial_id and getattr(trial, f"{kind}_attrs") == {}

    def test_unknown_trial_id_raises_key_error(self, storage: BaseStorage) -> None:
        study_id = storage.create_new_study([MIN], "s")
        storage.create_new_trial(study_id)
        calls: list[Callable[[], object]] = [
            lambda: storage.get_trial(UNKNOWN_ID),
            lambda: storage.get_trial_number_from_id(UNKNOWN_ID),
            *_every_update(storage, UNKNOWN_ID),
        ]
        for call in calls:
            with pytest.raises(KeyError):
                call()
