"""The sampler conformance suite: the checks that every sampler, ours or a third party's, passes.

Subclass :class:`SamplerConformance`, give it a ``make_sampler`` factory, and pytest collects every
check for that sampler. The base class has no ``Test`` prefix, so pytest never collects it on its
own. Needs pytest.

Every check runs real studies through ``Study.optimize``. The suite wraps the sampler under test
in a recorder that hands it a strictly read-only ``StudyView`` (no
storage, no private ids) and checks each value ``sample_relative`` and ``sample_independent``
return against the distribution it was asked for.

All checks suggest parameters from :data:`SEARCH_SPACE`. A sampler with a fixed search space
builds it from there (:func:`grid_search_space` does it for grid-like samplers) and may declare,
with a reason, which of the :data:`OPTIONAL_FEATURES` it does not support; those checks are
reported as skipped with that reason. Every other check always runs.

One feature is not skipped but narrowed: a sampler that only enumerates finite spaces (such as
:class:`~podbor.samplers.BruteForceSampler`) declares ``"infinite_search_space"``, and then every
check runs on :data:`FINITE_SEARCH_SPACE`, where a study may stop before ``n_trials`` once every
point of the space it suggests was tried; such a check then asserts that no point was tried
twice and that every point was tried.

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

        class TestMyExhaustiveSampler(SamplerConformance):
            unsupported_features = {
                "infinite_search_space": "it tries each point of a finite space once",
            }

            def make_sampler(self, seed: int | None) -> BaseSampler:
                return MyExhaustiveSampler(seed=seed)
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import pickle
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

import pytest

from podbor._records.base_trial import BaseTrial
from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor.distributions import (
    BaseDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import TrialPruned
from podbor.samplers._base import BaseSampler
from podbor.study import Study, create_study
from podbor.testing._common import RestrictedStudyView, check_unsupported, quiet_podbor_logging
from podbor.testing._sampler_spaces import (
    BRANCH_PARAMS,
    FINITE_SEARCH_SPACE,
    MAIN_PARAMS,
    N_TRIALS,
    OPTIONAL_FEATURES,
    SEARCH_SPACE,
    SEED,
    SINGLE_PARAMS,
    Space,
    branch_leaf,
    grid_search_space,
    is_member,
    make_objective,
    params_of,
    point_of,
    signature,
    space_parts,
    stored_problems,
    suggest,
    suggest_all,
    value_of,
)

__all__ = [
    "BRANCH_PARAMS",
    "FINITE_SEARCH_SPACE",
    "MAIN_PARAMS",
    "OPTIONAL_FEATURES",
    "SEARCH_SPACE",
    "SINGLE_PARAMS",
    "SamplerConformance",
    "grid_search_space",
]


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
            ok = dist is not None and is_member(dist, value)
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
        ok = is_member(param_distribution, value)
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
            support it. Those checks are skipped with the reason (``"infinite_search_space"``
            narrows every check to :data:`FINITE_SEARCH_SPACE` instead); an unknown feature name
            or an empty reason fails the suite.
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

    @property
    def _finite_only(self) -> bool:
        """True for a sampler of finite spaces only, which may stop a study once it is done."""
        return "infinite_search_space" in self.unsupported_features

    @property
    def _space(self) -> Space:
        """The distributions this sampler's checks suggest, by parameter name."""
        return FINITE_SEARCH_SPACE if self._finite_only else SEARCH_SPACE

    def _assert_all_ran(
        self, trials: Sequence[FrozenTrial], names: Sequence[str], n_trials: int
    ) -> None:
        """Assert that ``n_trials`` trials ran and completed.

        A finite-space sampler may run fewer, but only by stopping once each point of the space
        that ``names`` span was tried: its trials are never the same point twice, and when the
        space has at most ``n_trials`` points, they are every point.
        """
        states = [t.state for t in trials]
        if not self._finite_only:
            assert states == [TrialState.COMPLETE] * n_trials
            return
        parts = space_parts(names, self._space)
        n_points = math.prod(len(part) for part in parts)
        assert states == [TrialState.COMPLETE] * min(n_trials, n_points), (len(states), n_points)
        points = [point_of(t) for t in trials]
        repeated = [t.params for t, p in zip(trials, points) if points.count(p) > 1]
        assert not repeated, f"points tried more than once: {repeated}"
        if n_points <= n_trials:
            every = {frozenset(itertools.chain(*combo)) for combo in itertools.product(*parts)}
            assert set(points) == every, f"points never tried: {every - set(points)}"

    def _study(
        self, seed: int | None = SEED, directions: Sequence[str] = ("minimize",)
    ) -> tuple[Study, _RecordingSampler]:
        recorder = _RecordingSampler(self.make_sampler(seed))
        return create_study(sampler=recorder, directions=list(directions)), recorder

    @staticmethod
    def _assert_valid(study: Study, recorder: _RecordingSampler) -> None:
        problems = list(recorder.violations)
        for trial in study.get_trials(deepcopy=False):
            problems.extend(stored_problems(trial))
        assert not problems, "\n".join(problems)

    def _run_sequence(self, seed: int, n_trials: int) -> list[list[tuple[str, str]]]:
        study, recorder = self._study(seed)
        study.optimize(
            make_objective((*MAIN_PARAMS, *BRANCH_PARAMS), self._space), n_trials=n_trials
        )
        self._assert_valid(study, recorder)
        return signature(params_of(study.get_trials(deepcopy=False)))

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
        dist = self._space[name]

        def objective(trial: BaseTrial) -> float:
            seen.append(suggest(trial, name, dist))
            return value_of({name: seen[-1]}, self._space)

        study.optimize(objective, n_trials=20)
        self._assert_valid(study, recorder)
        trials = study.get_trials(deepcopy=False)
        self._assert_all_ran(trials, (name,), 20)
        stored = [t.params[name] for t in trials]
        assert signature(params_of(trials)) == signature([{name: v} for v in seen])
        assert all(is_member(dist, v) for v in stored)

    def test_conditional_search_space(self) -> None:
        study, recorder = self._study()
        study.optimize(make_objective(BRANCH_PARAMS, self._space), n_trials=N_TRIALS)
        self._assert_valid(study, recorder)
        trials = study.get_trials(deepcopy=False)
        for trial in trials:
            assert trial.state == TrialState.COMPLETE
            assert set(trial.params) == {"branch", branch_leaf(trial.params["branch"])}, (
                trial.params
            )
        self._assert_all_ran(trials, BRANCH_PARAMS, N_TRIALS)

    def test_same_seed_gives_same_sequence(self) -> None:
        first = self._run_sequence(SEED, 12)
        second = self._run_sequence(SEED, 12)
        assert first == second

    @pytest.mark.parametrize("how", ["deepcopy", "pickle"])
    def test_copies_draw_the_same_sequence(self, how: str) -> None:
        """A sampler can be deep-copied (``sklearn.clone``) or pickled (worker processes), and
        a copy made before any trial draws the same sequence as the original."""
        original = self.make_sampler(SEED)
        if how == "deepcopy":
            copied = copy.deepcopy(original)
        else:
            copied = pickle.loads(pickle.dumps(original))
        sequences = []
        for sampler in (original, copied):
            recorder = _RecordingSampler(sampler)
            study = create_study(sampler=recorder)
            study.optimize(make_objective((*MAIN_PARAMS, *BRANCH_PARAMS), self._space), n_trials=12)
            self._assert_valid(study, recorder)
            sequences.append(signature(params_of(study.get_trials(deepcopy=False))))
        assert sequences[0] == sequences[1]

    def test_different_seeds_differ(self) -> None:
        self._require("seed_diversity")
        assert self._run_sequence(0, 10) != self._run_sequence(1, 10)

    def test_parallel_threads(self) -> None:
        study, recorder = self._study(seed=None)
        names = (*MAIN_PARAMS, *BRANCH_PARAMS)

        def objective(trial: BaseTrial) -> float:
            params = suggest_all(trial, names, self._space)
            time.sleep(0.001)  # let the other worker interleave
            return value_of(params, self._space)

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
        study.optimize(make_objective(names, self._space), n_trials=6)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
        assert signature(params_of(trials[:3])) == signature(fixed)
        self._assert_valid(study, recorder)

    def test_partially_enqueued_trials(self) -> None:
        self._require("partial_enqueue")
        study, recorder = self._study()
        study.enqueue_trial({"categorical": False})
        study.enqueue_trial({"float": 0.25, "log_int": 10})
        study.optimize(make_objective(MAIN_PARAMS, self._space), n_trials=4)
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
        dists = {n: self._space[n] for n in names}
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
        suggest_all(running, names, self._space)

        def objective(trial: BaseTrial) -> float:
            value = value_of(suggest_all(trial, names, self._space), self._space)
            trial.report(value, 0)
            if trial.number % 3 == 0:
                raise TrialPruned()
            if trial.number % 3 == 1:
                raise ValueError("a failing objective")
            return value

        study.optimize(objective, n_trials=15, catch=(ValueError,))
        study.optimize(make_objective(names, self._space), n_trials=5)
        states = [t.state for t in study.get_trials(deepcopy=False)]
        assert len(states) == 23
        assert states[-5:] == [TrialState.COMPLETE] * 5
        assert {TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING} <= set(states)
        self._assert_valid(study, recorder)

    def test_infinite_values_in_history(self) -> None:
        study, recorder = self._study()
        dists = {"float": self._space["float"], "int": self._space["int"]}
        for value, x in ((math.inf, 0.0), (-math.inf, 1.0), (1.0, -1.0)):
            study.add_trial(
                create_trial(params={"float": x, "int": 0}, distributions=dists, value=value)
            )
        study.optimize(make_objective(("float", "int"), self._space), n_trials=10)
        assert [t.state for t in study.get_trials(deepcopy=False)][3:] == [TrialState.COMPLETE] * 10
        self._assert_valid(study, recorder)

    def test_single_value_distributions(self) -> None:
        sampler = self.make_sampler(SEED)
        study = create_study(sampler=sampler)
        direct: list[tuple[str, Any]] = []

        def objective(trial: BaseTrial) -> float:
            params = suggest_all(trial, (*SINGLE_PARAMS, "float"), self._space)
            frozen = study.get_trials(deepcopy=True)[trial.number]
            for name in SINGLE_PARAMS:  # also asked directly, outside the Trial's shortcut
                value = sampler.sample_independent(
                    RestrictedStudyView(study), frozen, name, self._space[name]
                )
                direct.append((name, value))
            return value_of(params, self._space)

        study.optimize(objective, n_trials=5)
        for trial in study.get_trials(deepcopy=False):
            assert trial.state == TrialState.COMPLETE
            assert not stored_problems(trial)
        for name, value in direct:
            dist = self._space[name]
            assert is_member(dist, value), f"{name}={value!r} is not the only value of {dist!r}"

    def test_samples_stay_inside_distributions(self) -> None:
        study, recorder = self._study()
        names = (*MAIN_PARAMS, *BRANCH_PARAMS)
        study.optimize(make_objective(names, self._space), n_trials=N_TRIALS)
        assert recorder.n_samples > 0, "the sampler was never asked for a value"
        assert len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) == N_TRIALS
        self._assert_all_ran(study.get_trials(deepcopy=False), names, N_TRIALS)
        self._assert_valid(study, recorder)

    def test_dynamic_search_space(self) -> None:
        self._require("dynamic_search_space")
        study, recorder = self._study()
        study.optimize(make_objective(("float", "int", "log_float"), self._space), n_trials=10)
        narrow: dict[str, BaseDistribution] = {
            "float": FloatDistribution(-1.0, 0.5),
            "int": IntDistribution(0, 2),
            "log_float": FloatDistribution(0.1, 0.2, log=True),
        }
        if self._finite_only:  # the same ranges, stepped as in FINITE_SEARCH_SPACE
            narrow["float"] = FloatDistribution(-1.0, 0.5, step=0.125)
            narrow["log_float"] = FloatDistribution(0.5, 2.0, step=0.25)

        def objective(trial: BaseTrial) -> float:
            return sum(float(suggest(trial, name, dist)) for name, dist in narrow.items())

        study.optimize(objective, n_trials=10)
        for trial in study.get_trials(deepcopy=False)[10:]:
            assert trial.distributions == narrow
        self._assert_valid(study, recorder)

    def test_multi_objective(self) -> None:
        self._require("multi_objective")
        study, recorder = self._study(directions=("minimize", "maximize"))

        def objective(trial: BaseTrial) -> tuple[float, float]:
            names = (*MAIN_PARAMS, *BRANCH_PARAMS)
            value = value_of(suggest_all(trial, names, self._space), self._space)
            return value, -abs(value - 1.0)

        study.optimize(objective, n_trials=15)
        trials = study.get_trials(deepcopy=False)
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 15
        assert all(t.values is not None and len(t.values) == 2 for t in trials)
        self._assert_valid(study, recorder)

    def test_state_is_json_serializable(self) -> None:
        study, recorder = self._study()
        study.enqueue_trial({"float": 0.0, "int": 1, "categorical": "1"})
        study.optimize(make_objective(("float", "int", "categorical"), self._space), n_trials=8)
        json.dumps(study.system_attrs)
        for trial in study.get_trials(deepcopy=False):
            json.dumps(trial.system_attrs)
        self._assert_valid(study, recorder)

    def test_reseed_rng_keeps_working(self) -> None:
        study, recorder = self._study()
        study.optimize(make_objective(MAIN_PARAMS, self._space), n_trials=3)
        recorder.reseed_rng()
        study.optimize(make_objective(MAIN_PARAMS, self._space), n_trials=3)
        assert len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) == 6
        self._assert_valid(study, recorder)
        assert isinstance(repr(recorder.inner), str)
