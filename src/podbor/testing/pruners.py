"""The pruner conformance suite: the checks that every pruner, ours or a third party's, passes.

Subclass :class:`PrunerConformance`, give it a ``make_pruner`` factory, and pytest collects every
check for that pruner. The base class has no ``Test`` prefix, so pytest never collects it on its
own. Needs pytest.

The checks build a history of complete trials through the public ``ask`` / ``report`` / ``tell``
path (asking the pruner at every report, so stateful pruners record what they need), then ask
about a new trial that reports clearly worse, clearly better, NaN or nothing. The pruner is
called with a strictly read-only ``StudyView`` (no storage, no private
ids). In a maximize study every reported value is mirrored (negated), so a direction-aware
pruner gives the same answers in both.

Configure ``make_pruner`` so that the pruner may act on the suite's history (ten complete trials,
ten steps each). A pruner that stops trials must stop the clearly worse one at some step; a
pruner that never stops anything sets ``never_prunes = True`` and is checked for exactly that.
A trial reporting only NaN is never stopped, unless ``nan_prunes = True`` (Optuna's rule for
its median, percentile, successive-halving, Hyperband and threshold pruners): then it must be.
A pruner that compares with fixed thresholds rather than with other trials may declare the
optional ``"direction_symmetry"`` feature unsupported, with its reason.

Example:
    In a third party's ``tests/test_my_pruner.py``::

        from podbor.pruners import BasePruner
        from podbor.testing.pruners import PrunerConformance

        class TestMyPruner(PrunerConformance):
            def make_pruner(self) -> BasePruner:
                return MyMedianPruner(n_startup_trials=5, n_warmup_steps=1)

        class TestMyThresholdPruner(PrunerConformance):
            unsupported_features = {
                "direction_symmetry": "compares each value with fixed bounds, not with other trials",
            }

            def make_pruner(self) -> BasePruner:
                return MyThresholdPruner(upper=50.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import ClassVar, Final

import pytest

from podbor._records.trial_state import TrialState
from podbor.exceptions import TrialPruned
from podbor.pruners._base import BasePruner
from podbor.samplers._random import RandomSampler
from podbor.study import Study, create_study
from podbor.testing._common import RestrictedStudyView, check_unsupported, quiet_podbor_logging
from podbor.trial._trial import Trial

__all__ = ["N_HISTORY", "N_STEPS", "OPTIONAL_FEATURES", "PrunerConformance"]

N_HISTORY: Final = 10
"""Complete trials in the suite's history."""

N_STEPS: Final = 10
"""Steps each trial reports (0 to ``N_STEPS - 1``)."""

OPTIONAL_FEATURES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "direction_symmetry": (
            "mirroring every value and the direction gives the same answers, and a clearly better "
            "trial is never stopped where a clearly worse one goes on (not for fixed thresholds)"
        ),
    }
)
"""What a pruner may opt out of, with a reason, in ``unsupported_features``."""

_DIRECTIONS: Final = ("minimize", "maximize")


def _history_value(index: int, step: int) -> float:
    """The learning curve of history trial ``index`` in a minimize study: improving, 1.1 to 3.9."""
    return 1.0 + 0.1 * index + 1.0 / (step + 1)


def _worse_curve() -> list[float]:
    return [100.0 + step for step in range(N_STEPS)]


def _better_curve() -> list[float]:
    return [0.5 - 0.01 * step for step in range(N_STEPS)]


def _sign(direction: str) -> float:
    return 1.0 if direction == "minimize" else -1.0


class PrunerConformance:
    """The checks every pruner passes; subclass it and override :meth:`make_pruner`.

    Attributes:
        never_prunes: True for a pruner that by design never stops a trial (``NopPruner``); the
            suite then checks that it answers False everywhere instead of checking that it
            stops a clearly worse trial.
        nan_prunes: True for a pruner that, like Optuna's median, percentile, successive
            halving, Hyperband and threshold pruners, treats a NaN report as worse than any
            value: the suite then checks that a trial reporting only NaN is stopped at some
            step. False (the default): such a trial is never stopped.
        unsupported_features: Feature of :data:`OPTIONAL_FEATURES` → why this pruner does not
            support it. Those checks are skipped with the reason.
    """

    never_prunes: ClassVar[bool] = False
    nan_prunes: ClassVar[bool] = False
    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def make_pruner(self) -> BasePruner:
        """Return a new pruner under test. Subclasses must override this."""
        raise NotImplementedError(
            f"{type(self).__name__} must override make_pruner(self) to return the pruner under "
            "test."
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

    @staticmethod
    def _decide(study: Study, trial: Trial) -> bool:
        """Ask the study's pruner about ``trial`` through a restricted view, as of now."""
        snapshot = study.get_trials(deepcopy=True)[trial.number]
        return bool(study.pruner.prune(RestrictedStudyView(study), snapshot))

    def _history_study(self, direction: str, *, with_unfinished: bool = False) -> Study:
        """A study whose history holds ``N_HISTORY`` complete trials (mirrored for maximize)."""
        sign = _sign(direction)
        study = create_study(
            direction=direction, pruner=self.make_pruner(), sampler=RandomSampler(seed=0)
        )
        for index in range(N_HISTORY):
            trial = study.ask()
            for step in range(N_STEPS):
                trial.report(sign * _history_value(index, step), step)
                self._decide(study, trial)  # a stateful pruner records what it needs
            study.tell(trial, sign * _history_value(index, N_STEPS - 1))
            if with_unfinished and index % 4 == 1:
                self._add_unfinished(study, sign)
        return study

    @staticmethod
    def _add_unfinished(study: Study, sign: float) -> None:
        pruned = study.ask()
        pruned.report(sign * 50.0, 0)
        study.tell(pruned, state=TrialState.PRUNED)
        failed = study.ask()
        failed.report(sign * 0.1, 0)
        study.tell(failed, state=TrialState.FAIL)

    def _answers(self, study: Study, values: Sequence[float]) -> list[bool]:
        """Report ``values`` step by step from a new trial and collect the pruner's answers."""
        trial = study.ask()
        answers = []
        for step, value in enumerate(values):
            trial.report(value, step)
            answers.append(self._decide(study, trial))
        return answers

    def _curve_answers(self, direction: str, curve: Sequence[float]) -> list[bool]:
        sign = _sign(direction)
        return self._answers(self._history_study(direction), [sign * v for v in curve])

    # -- checks ----------------------------------------------------------------------------------
    def test_declared_unsupported_features_are_known(self) -> None:
        problems = check_unsupported(
            type(self).__name__, self.unsupported_features, OPTIONAL_FEATURES
        )
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("direction", _DIRECTIONS)
    @pytest.mark.parametrize("history", [True, False], ids=["with_history", "empty_study"])
    def test_no_reports_never_pruned(self, direction: str, history: bool) -> None:
        if history:
            study = self._history_study(direction, with_unfinished=True)
        else:
            study = create_study(direction=direction, pruner=self.make_pruner())
        trial = study.ask()
        assert self._decide(study, trial) is False
        assert trial.should_prune() is False

    @pytest.mark.parametrize("direction", _DIRECTIONS)
    def test_nan_reports(self, direction: str) -> None:
        study = self._history_study(direction, with_unfinished=True)
        answers = self._answers(study, [math.nan] * N_STEPS)
        if self.nan_prunes and not self.never_prunes:
            assert any(answers), "a trial reporting only NaN is never stopped (nan_prunes=True)"
        else:
            assert answers == [False] * N_STEPS

    @pytest.mark.parametrize("direction", _DIRECTIONS)
    def test_deterministic_for_a_given_history(self, direction: str) -> None:
        sign = _sign(direction)
        worse = [sign * v for v in _worse_curve()]
        first = self._answers(self._history_study(direction, with_unfinished=True), worse)
        study = self._history_study(direction, with_unfinished=True)
        second = self._answers(study, worse)
        assert first == second
        last = study.get_trials(deepcopy=False)[-1]
        snapshot = study.get_trials(deepcopy=True)[last.number]
        view = RestrictedStudyView(study)
        again = [bool(study.pruner.prune(view, snapshot)) for _ in range(3)]
        assert again == [second[-1]] * 3

    def test_direction_symmetry(self) -> None:
        self._require("direction_symmetry")
        for curve in (_worse_curve(), _better_curve()):
            minimize = self._curve_answers("minimize", curve)
            maximize = self._curve_answers("maximize", curve)
            assert minimize == maximize, f"curve {curve}: {minimize} vs {maximize}"
        for direction in _DIRECTIONS:
            worse = self._curve_answers(direction, _worse_curve())
            better = self._curve_answers(direction, _better_curve())
            stopped_better = [s for s in range(N_STEPS) if better[s] and not worse[s]]
            assert not stopped_better, (
                f"{direction}: the clearly better trial is pruned at steps {stopped_better} "
                "where the clearly worse one is not"
            )

    def test_prunes_clearly_worse_trial(self) -> None:
        if self.never_prunes:
            pytest.skip(f"{type(self).__name__} never prunes; test_never_prunes checks that")
        answers = self._curve_answers("minimize", _worse_curve())
        assert any(answers), (
            "the pruner never stops a trial reporting 100+ against a history of 1.1 to 3.9 "
            "(configure make_pruner so that it acts on this history, or set never_prunes)"
        )

    def test_never_prunes(self) -> None:
        if not self.never_prunes:
            pytest.skip(f"{type(self).__name__} may prune; test_prunes_clearly_worse_trial applies")
        for direction in _DIRECTIONS:
            for curve in (_worse_curve(), _better_curve()):
                assert not any(self._curve_answers(direction, curve))

    @pytest.mark.parametrize("n_jobs", [1, 2])
    def test_should_prune_inside_optimize(self, n_jobs: int) -> None:
        study = create_study(pruner=self.make_pruner(), sampler=RandomSampler(seed=0))
        asked: list[bool] = []

        def objective(trial: Trial) -> float:
            x = trial.suggest_float("x", 0.0, 10.0)
            for step in range(N_STEPS):
                trial.report(x + 1.0 / (step + 1), step)
                answer = trial.should_prune()
                asked.append(answer)
                if answer:
                    raise TrialPruned()
            return x

        study.optimize(objective, n_trials=20, n_jobs=n_jobs)
        trials = study.get_trials(deepcopy=False)
        assert len(trials) == 20
        assert all(isinstance(a, bool) for a in asked)
        for trial in trials:
            assert trial.state in (TrialState.COMPLETE, TrialState.PRUNED), trial
            if trial.state == TrialState.PRUNED:
                last = trial.intermediate_values[max(trial.intermediate_values)]
                assert trial.value == last
        if self.never_prunes:
            assert all(t.state == TrialState.COMPLETE for t in trials)
