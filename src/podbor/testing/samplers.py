"""The sampler conformance suite: the checks that every sampler, ours or a third party's, passes.

Subclass :class:`SamplerConformance`, give it a ``make_sampler`` factory, and pytest collects every
check for that sampler. The base class has no ``Test`` prefix, so pytest never collects it on its
own. Needs pytest.

Every check runs real studies through ``Study.optimize``. The suite wraps the sampler under test
in a recorder that hands it a strictly read-only :class:`~podbor._study_view.StudyView` (no
storage, no private ids) and checks each value ``sample_relative`` and ``sample_independent``
return against the distribution it was asked for.

All checks suggest parameters from :data:`SEARCH_SPACE`. A sampler with a fixed search space
builds it from there (:func:`grid_search_space` does it for grid-like samplers) and may declare,
with a reason, which of the :data:`OPTIONAL_FEATURES` it does not support; those checks are
reported as skipped with that reason. Every other check always runs.

Example:
    In a third party's ``tests/test_my_sampler.py``::

        from podbor.samplers import BaseSampler, GridSampler
        from podbor.testing.samplers import SamplerConformance, grid_search_space

        class TestMySampler(SamplerConformance):
            def make_sampler(self, seed: int | None) -> BaseSampler:
                return MySampler(seed=seed)

        class TestMyGridSampler(SamplerConformance):
            unsupported_features = {
                "partial_enqueue": "every grid parameter of an enqueued trial must be given",
            }

            def make_sampler(self, seed: int | None) -> BaseSampler:
                return GridSampler(grid_search_space(), seed=seed)
"""

from __future__ import annotations

import copy
import json
import math
import pickle
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, Final

import pytest

from podbor._records.base_trial import BaseTrial
from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import TrialPruned
from podbor.samplers._base import BaseSampler
from podbor.study import Study, create_study
from podbor.testing._common import RestrictedStudyView, check_unsupported, quiet_podbor_logging

__all__ = [
    "BRANCH_PARAMS",
    "MAIN_PARAMS",
    "OPTIONAL_FEATURES",
    "SEARCH_SPACE",
    "SINGLE_PARAMS",
    "SamplerConformance",
    "grid_search_space",
]

SEARCH_SPACE: Final[Mapping[str, BaseDistribution]] = MappingProxyType(
    {
        "float": FloatDistribution(-3.5, 2.0),
        "log_float": FloatDistribution(1e-4, 10.0, log=True),
        "step_float": FloatDistribution(-0.5, 0.7, step=0.1),
        "int": IntDistribution(-5, 5),
        "log_int": IntDistribution(1, 1000, log=True),
        "step_int": IntDistribution(0, 12, step=3),
        "categorical": CategoricalDistribution((None, True, False, 0, 1, 1.0, 2.5, "1", "a")),
        "bool_categorical": CategoricalDistribution((False, True)),
        "branch": CategoricalDistribution(("a", "b")),
        "branch_a": FloatDistribution(0.0, 1.0),
        "branch_b": IntDistribution(0, 10),
        "single_float": FloatDistribution(1.5, 1.5),
        "single_log_float": FloatDistribution(0.01, 0.01, log=True),
        "single_step_float": FloatDistribution(0.5, 0.5, step=0.1),
        "single_int": IntDistribution(7, 7),
        "single_log_int": IntDistribution(8, 8, log=True),
        "single_categorical": CategoricalDistribution(("only",)),
    }
)
"""Every parameter the suite suggests, by name. A fixed-space sampler must cover all of them."""

MAIN_PARAMS: Final[tuple[str, ...]] = (
    "float",
    "log_float",
    "step_float",
    "int",
    "log_int",
    "step_int",
    "categorical",
    "bool_categorical",
)
"""One parameter per kind of distribution: plain, log and stepped floats and ints, categoricals."""

BRANCH_PARAMS: Final[tuple[str, ...]] = ("branch", "branch_a", "branch_b")
"""A conditional space: ``branch_a`` is suggested when ``branch == 'a'``, else ``branch_b``."""

SINGLE_PARAMS: Final[tuple[str, ...]] = (
    "single_float",
    "single_log_float",
    "single_step_float",
    "single_int",
    "single_log_int",
    "single_categorical",
)
"""Distributions that allow exactly one value."""

OPTIONAL_FEATURES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "seed_diversity": "different seeds give different proposals (not for deterministic samplers)",
        "partial_enqueue": "enqueued trials that fix only some of the suggested parameters",
        "dynamic_search_space": "a parameter's range narrows between trials; proposals follow it",
        "multi_objective": "studies with several objectives",
    }
)
"""What a sampler may opt out of, with a reason, in ``unsupported_features``."""

_N_TRIALS: Final = 30
_SEED: Final = 42


def grid_search_space() -> dict[str, list[CategoricalChoiceType]]:
    """Return grid values covering :data:`SEARCH_SPACE`: a grid-like sampler passes the suite with it.

    Numeric parameters get their two bounds (one value when the range allows only one),
    categoricals every choice.

    Example:
        >>> grid = grid_search_space()
        >>> grid["int"], grid["single_categorical"]
        ([-5, 5], ['only'])
    """
    grid: dict[str, list[CategoricalChoiceType]] = {}
    for name, dist in SEARCH_SPACE.items():
        if isinstance(dist, CategoricalDistribution):
            grid[name] = list(dist.choices)
        elif isinstance(dist, (FloatDistribution, IntDistribution)):
            grid[name] = [dist.low] if dist.single() else [dist.low, dist.high]
    return grid


# -- suggesting and checking --------------------------------------------------------------------
def _suggest(trial: BaseTrial, name: str, dist: BaseDistribution | None = None) -> Any:
    dist = SEARCH_SPACE[name] if dist is None else dist
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, dist.choices)


def _suggest_all(trial: BaseTrial, names: Sequence[str]) -> dict[str, Any]:
    params = {name: _suggest(trial, name) for name in names if name not in BRANCH_PARAMS}
    if "branch" in names:
        branch = _suggest(trial, "branch")
        params["branch"] = branch
        leaf = "branch_a" if branch == "a" else "branch_b"
        params[leaf] = _suggest(trial, leaf)
    return params


def _value_of(params: Mapping[str, Any]) -> float:
    """A deterministic, finite objective value of the suggested parameters."""
    return sum(SEARCH_SPACE[n].to_internal_repr(v) for n, v in sorted(params.items()))


def _objective(names: Sequence[str]) -> Callable[[BaseTrial], float]:
    def objective(trial: BaseTrial) -> float:
        return _value_of(_suggest_all(trial, names))

    return objective


def _is_member(dist: BaseDistribution, value: Any) -> bool:
    """True when ``value`` lies in ``dist``; a categorical value must be one choice, type and all."""
    if isinstance(dist, CategoricalDistribution):
        return any(type(value) is type(c) and value == c for c in dist.choices)
    return not isinstance(value, bool) and dist.contains_external(value)


def _stored_problems(trial: FrozenTrial) -> list[str]:
    """What is wrong with the parameters a study stored for ``trial``."""
    problems = []
    for name, value in trial.params.items():
        dist = trial.distributions[name]
        expected_type: type | None = {FloatDistribution: float, IntDistribution: int}.get(
            type(dist)
        )
        if not _is_member(dist, value) or (expected_type and type(value) is not expected_type):
            problems.append(f"trial {trial.number}: {name}={value!r} is not a value of {dist!r}")
    return problems


def _signature(params: Sequence[Mapping[str, Any]]) -> list[list[tuple[str, str]]]:
    """Each parameter dict with its values' types, in a form that compares exactly (1 != True)."""
    return [sorted((name, f"{type(v).__name__}:{v!r}") for name, v in p.items()) for p in params]


def _params(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    return [t.params for t in trials]


class _RecordingSampler(BaseSampler):
    """Wrap the sampler under test: restrict its study view and check every value it returns."""

    def __init__(self, inner: BaseSampler) -> None:
        self.inner = inner
        self.violations: list[str] = []
        self.n_samples = 0
        self._lock = threading.Lock()

    def _record(self, problem: str | None) -> None:
        with self._lock:
            self.n_samples += 1
            if problem is not None:
                self.violations.append(problem)

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self.inner.infer_relative_search_space(RestrictedStudyView(study), trial)
        for name, dist in space.items():
            if not isinstance(dist, BaseDistribution):
                with self._lock:
                    self.violations.append(f"relative search space of {name!r} is {dist!r}")
        return space

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        values = self.inner.sample_relative(RestrictedStudyView(study), trial, search_space)
        for name, value in values.items():
            dist = search_space.get(name)
            ok = dist is not None and _is_member(dist, value)
            self._record(None if ok else f"sample_relative gave {name}={value!r} for {dist!r}")
        return values

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        value = self.inner.sample_independent(
            RestrictedStudyView(study), trial, param_name, param_distribution
        )
        ok = _is_member(param_distribution, value)
        problem = f"sample_independent gave {param_name}={value!r} for {param_distribution!r}"
        self._record(None if ok else problem)
        return value

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        self.inner.before_trial(RestrictedStudyView(study), trial)

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.inner.after_trial(RestrictedStudyView(study), trial, state, values)

    def reseed_rng(self) -> None:
        self.inner.reseed_rng()

    def __repr__(self) -> str:
        return f"_RecordingSampler({self.inner!r})"


# -- the suite ----------------------------------------------------------------------------------
class SamplerConformance:
    """The checks every sampler passes; subclass it and override :meth:`make_sampler`.

    Attributes:
        unsupported_features: Feature of :data:`OPTIONAL_FEATURES` → why this sampler does not
            support it. Those checks are skipped with the reason; an unknown feature name or an
            empty reason fails the suite.
    """

    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def make_sampler(self, seed: int | None) -> BaseSampler:
        """Return a new sampler under test, seeded with ``seed`` (``None``: unseeded).

        Subclasses must override this; the same seed must give the same proposals.
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override make_sampler(self, seed) to return the sampler "
            "under test."
        )

    @pytest.fixture(autouse=True)
    def _quiet_logging(self) -> Iterator[None]:
        with quiet_podbor_logging():
            yield

    # -- helpers ---------------------------------------------------------------------------------
    def _require(self, feature: str) -> None:
        reason = self.unsupported_features.get(feature)
        if reason is not None:
            pytest.skip(f"{type(self).__name__} does not support {feature!r}: {reason}")

    def _study(
        self, seed: int | None = _SEED, directions: Sequence[str] = ("minimize",)
    ) -> tuple[Study, _RecordingSampler]:
        recorder = _RecordingSampler(self.make_sampler(seed))
        return create_study(sampler=recorder, directions=list(directions)), recorder

    @staticmethod
    def _assert_valid(study: Study, recorder: _RecordingSampler) -> None:
        problems = list(recorder.violations)
        for trial in study.get_trials(deepcopy=False):
            problems.extend(_stored_problems(trial))
        assert not problems, "\n".join(problems)

    def _run_sequence(self, seed: int, n_trials: int) -> list[list[tuple[str, str]]]:
        study, recorder = self._study(seed)
        study.optimize(_objective((*MAIN_PARAMS, *BRANCH_PARAMS)), n_trials=n_trials)
        self._assert_valid(study, recorder)
        return _signature(_params(study.get_trials(deepcopy=False)))

    # -- checks ----------------------------------------------------------------------------------
    def test_declared_unsupported_features_are_known(self) -> None:
        problems = check_unsupported(
            type(self).__name__, self.unsupported_features, OPTIONAL_FEATURES
        )
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("name", MAIN_PARAMS)
    def test_values_inside_bounds(self, name: str) -> None:
        study, recorder = self._study()
        seen: list[Any] = []

        def objective(trial: BaseTrial) -> float:
            seen.append(_suggest(trial, name))
            return _value_of({name: seen[-1]})

        study.optimize(objective, n_trials=20)
        self._assert_valid(study, recorder)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 20
        stored = [t.params[name] for t in trials]
        assert _signature(_params(trials)) == _signature([{name: v} for v in seen])
        assert all(_is_member(SEARCH_SPACE[name], v) for v in stored)

    def test_conditional_search_space(self) -> None:
        study, recorder = self._study()
        study.optimize(_objective(BRANCH_PARAMS), n_trials=_N_TRIALS)
        self._assert_valid(study, recorder)
        for trial in study.get_trials(deepcopy=False):
            assert trial.state == TrialState.COMPLETE
            leaf = "branch_a" if trial.params["branch"] == "a" else "branch_b"
            assert set(trial.params) == {"branch", leaf}, trial.params

    def test_same_seed_gives_same_sequence(self) -> None:
        first = self._run_sequence(_SEED, 12)
        second = self._run_sequence(_SEED, 12)
        assert first == second

    @pytest.mark.parametrize("how", ["deepcopy", "pickle"])
    def test_copies_draw_the_same_sequence(self, how: str) -> None:
        """A sampler can be deep-copied (``sklearn.clone``) or pickled (worker processes), and
        a copy made before any trial draws the same sequence as the original."""
        original = self.make_sampler(_SEED)
        if how == "deepcopy":
            copied = copy.deepcopy(original)
        else:
            copied = pickle.loads(pickle.dumps(original))
        sequences = []
        for sampler in (original, copied):
            recorder = _RecordingSampler(sampler)
            study = create_study(sampler=recorder)
            study.optimize(_objective((*MAIN_PARAMS, *BRANCH_PARAMS)), n_trials=12)
            self._assert_valid(study, recorder)
            sequences.append(_signature(_params(study.get_trials(deepcopy=False))))
        assert sequences[0] == sequences[1]

    def test_different_seeds_differ(self) -> None:
        self._require("seed_diversity")
        assert self._run_sequence(0, 10) != self._run_sequence(1, 10)

    def test_parallel_threads(self) -> None:
        study, recorder = self._study(seed=None)
        names = (*MAIN_PARAMS, *BRANCH_PARAMS)

        def objective(trial: BaseTrial) -> float:
            params = _suggest_all(trial, names)
            time.sleep(0.001)  # let the other worker interleave
            return _value_of(params)

        study.optimize(objective, n_trials=24, n_jobs=2)
        trials = study.get_trials(deepcopy=False)
        assert [t.number for t in trials] == list(range(24))
        assert all(t.state == TrialState.COMPLETE for t in trials)
        self._assert_valid(study, recorder)

    def test_enqueued_trials_are_respected(self) -> None:
        study, recorder = self._study()
        names = ("float", "int", "categorical")
        fixed: list[dict[str, Any]] = [
            {"float": 0.125, "int": -2, "categorical": True},
            {"float": -3.5, "int": 5, "categorical": 1},
            {"float": 2.0, "int": 0, "categorical": None},
        ]
        for params in fixed:
            study.enqueue_trial(params)
        study.optimize(_objective(names), n_trials=6)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
        assert _signature(_params(trials[:3])) == _signature(fixed)
        self._assert_valid(study, recorder)

    def test_partially_enqueued_trials(self) -> None:
        self._require("partial_enqueue")
        study, recorder = self._study()
        study.enqueue_trial({"categorical": False})
        study.enqueue_trial({"float": 0.25, "log_int": 10})
        study.optimize(_objective(MAIN_PARAMS), n_trials=4)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
        assert type(trials[0].params["categorical"]) is bool
        assert trials[0].params["categorical"] is False
        assert (trials[1].params["float"], trials[1].params["log_int"]) == (0.25, 10)
        assert all(set(t.params) == set(MAIN_PARAMS) for t in trials)
        self._assert_valid(study, recorder)

    def test_history_with_pruned_failed_and_running_trials(self) -> None:
        study, recorder = self._study()
        names = ("float", "int", "categorical")
        dists = {n: SEARCH_SPACE[n] for n in names}
        params = {"float": 0.5, "int": 1, "categorical": "a"}
        study.add_trial(
            create_trial(
                state=TrialState.PRUNED,
                params=params,
                distributions=dists,
                intermediate_values={0: 3.0, 1: 2.0},
                value=2.0,
            )
        )
        study.add_trial(create_trial(state=TrialState.FAIL, params=params, distributions=dists))
        running = study.ask()  # left RUNNING for the rest of the check
        _suggest_all(running, names)

        def objective(trial: BaseTrial) -> float:
            value = _value_of(_suggest_all(trial, names))
            trial.report(value, 0)
            if trial.number % 3 == 0:
                raise TrialPruned()
            if trial.number % 3 == 1:
                raise ValueError("a failing objective")
            return value

        study.optimize(objective, n_trials=15, catch=(ValueError,))
        study.optimize(_objective(names), n_trials=5)
        states = [t.state for t in study.get_trials(deepcopy=False)]
        assert len(states) == 23
        assert states[-5:] == [TrialState.COMPLETE] * 5
        assert {TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING} <= set(states)
        self._assert_valid(study, recorder)

    def test_infinite_values_in_history(self) -> None:
        study, recorder = self._study()
        dists = {"float": SEARCH_SPACE["float"], "int": SEARCH_SPACE["int"]}
        for value, x in ((math.inf, 0.0), (-math.inf, 1.0), (1.0, -1.0)):
            study.add_trial(
                create_trial(params={"float": x, "int": 0}, distributions=dists, value=value)
            )
        study.optimize(_objective(("float", "int")), n_trials=10)
        assert [t.state for t in study.get_trials(deepcopy=False)][3:] == [TrialState.COMPLETE] * 10
        self._assert_valid(study, recorder)

    def test_single_value_distributions(self) -> None:
        sampler = self.make_sampler(_SEED)
        study = create_study(sampler=sampler)
        direct: list[tuple[str, Any]] = []

        def objective(trial: BaseTrial) -> float:
            params = _suggest_all(trial, (*SINGLE_PARAMS, "float"))
            frozen = study.get_trials(deepcopy=True)[trial.number]
            for name in SINGLE_PARAMS:  # also asked directly, outside the Trial's shortcut
                value = sampler.sample_independent(
                    RestrictedStudyView(study), frozen, name, SEARCH_SPACE[name]
                )
                direct.append((name, value))
            return _value_of(params)

        study.optimize(objective, n_trials=5)
        for trial in study.get_trials(deepcopy=False):
            assert trial.state == TrialState.COMPLETE
            assert not _stored_problems(trial)
        for name, value in direct:
            dist = SEARCH_SPACE[name]
            assert _is_member(dist, value), f"{name}={value!r} is not the only value of {dist!r}"

    def test_samples_stay_inside_distributions(self) -> None:
        study, recorder = self._study()
        study.optimize(_objective((*MAIN_PARAMS, *BRANCH_PARAMS)), n_trials=_N_TRIALS)
        assert recorder.n_samples > 0, "the sampler was never asked for a value"
        assert len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) == _N_TRIALS
        self._assert_valid(study, recorder)

    def test_dynamic_search_space(self) -> None:
        self._require("dynamic_search_space")
        study, recorder = self._study()
        study.optimize(_objective(("float", "int", "log_float")), n_trials=10)
        narrow = {
            "float": FloatDistribution(-1.0, 0.5),
            "int": IntDistribution(0, 2),
            "log_float": FloatDistribution(0.1, 0.2, log=True),
        }

        def objective(trial: BaseTrial) -> float:
            return sum(float(_suggest(trial, name, dist)) for name, dist in narrow.items())

        study.optimize(objective, n_trials=10)
        for trial in study.get_trials(deepcopy=False)[10:]:
            assert trial.distributions == narrow
        self._assert_valid(study, recorder)

    def test_multi_objective(self) -> None:
        self._require("multi_objective")
        study, recorder = self._study(directions=("minimize", "maximize"))

        def objective(trial: BaseTrial) -> tuple[float, float]:
            value = _value_of(_suggest_all(trial, (*MAIN_PARAMS, *BRANCH_PARAMS)))
            return value, -abs(value - 1.0)

        study.optimize(objective, n_trials=15)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 15
        assert all(t.values is not None and len(t.values) == 2 for t in trials)
        self._assert_valid(study, recorder)

    def test_state_is_json_serializable(self) -> None:
        study, recorder = self._study()
        study.enqueue_trial({"float": 0.0, "int": 1, "categorical": "1"})
        study.optimize(_objective(("float", "int", "categorical")), n_trials=8)
        json.dumps(study.system_attrs)
        for trial in study.get_trials(deepcopy=False):
            json.dumps(trial.system_attrs)
        self._assert_valid(study, recorder)

    def test_reseed_rng_keeps_working(self) -> None:
        study, recorder = self._study()
        study.optimize(_objective(MAIN_PARAMS), n_trials=3)
        recorder.reseed_rng()
        study.optimize(_objective(MAIN_PARAMS), n_trials=3)
        assert len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) == 6
        self._assert_valid(study, recorder)
        assert isinstance(repr(recorder.inner), str)
