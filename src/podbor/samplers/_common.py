"""Pieces the built-in samplers share, written once.

* :class:`SeenTrials`: which finished trials a cache has taken in. Finished trials never change,
  so every cache of them (the inferred search spaces, TPE's encoded history, the GP's training
  sets, ``AutoSampler``'s counts) reads each trial once, and can tell when it has been handed
  another study (:func:`trial_stamp`).
* :class:`IndependentSamplingWarner`: the one warning, logged once per parameter, that a
  parameter was sampled outside a sampler's joint model: which sampler, which parameter, by
  what, why, and how to silence it.
* :class:`FallbackSampler`: the base of a model-based sampler that hands the parameters its model
  does not cover to an independent sampler (``QMCSampler``, ``GPSampler``).
* :func:`refuse_multi_objective`: the one error of a sampler that ranks one objective only.
"""

from __future__ import annotations

import abc
import bisect
import threading
from collections.abc import Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_view import StudyView
from podbor._validation import check_bool, check_instance
from podbor.distributions import BaseDistribution
from podbor.logging import get_logger
from podbor.samplers._base import BaseSampler, SeededSampler
from podbor.samplers._random import RandomSampler

__all__ = [
    "FallbackSampler",
    "IndependentSamplingWarner",
    "SeenTrials",
    "refuse_multi_objective",
    "trial_stamp",
]

_logger = get_logger(__name__)


def trial_stamp(trial: FrozenTrial) -> tuple[Any, ...]:
    """What tells a finished trial apart from another study's trial of the same number.

    Example:
        >>> from podbor.trial import create_trial
        >>> trial_stamp(create_trial(value=1.0))[3]
        [1.0]
    """
    params = sorted(trial.params.items(), key=lambda kv: kv[0])
    return (trial.number, trial.datetime_start, trial.datetime_complete, trial.values, params)


def refuse_multi_objective(study: StudyView, *, owner: str) -> None:
    """Raise ``ValueError`` when ``study`` has several objectives (``owner`` ranks one only).

    Example:
        >>> import podbor
        >>> refuse_multi_objective(podbor.create_study(), owner="CmaEsSampler")
    """
    if len(study.directions) > 1:
        raise ValueError(
            f"{owner} cannot be used for multi-objective optimization: the study has "
            f"{len(study.directions)} objectives."
        )


class SeenTrials:
    """The finished trials a cache has taken in, by number. Not thread-safe: the owner locks.

    Finished trials never change, so a cache reads each one once (:meth:`take_new`). The stamp of
    the first one tells whether a later list of finished trials is still the same study's
    (:meth:`same_study`), so that one sampler may serve several studies one after the other.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> seen = SeenTrials()
        >>> [t.number for t in seen.take_new(study.trials)], seen.take_new(study.trials)
        ([0, 1, 2], [])
        >>> seen.same_study(study.trials), seen.same_study(podbor.create_study().trials)
        (True, False)
    """

    def __init__(self) -> None:
        self._numbers: set[int] = set()
        self._first: tuple[Any, ...] | None = None

    def __len__(self) -> int:
        return len(self._numbers)

    def take_new(self, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Return the trials not taken in yet, in the given order, and note them as taken.

        ``trials`` are the finished trials of one study, each list holding every earlier one,
        so a list as long as what was taken holds nothing new.
        """
        missing = len(trials) - len(self._numbers)
        if missing <= 0:
            return []
        # New trials are found from the end of the list: they are usually the last ones (a
        # trial that finished late sits only a few places before the end), so a long history
        # costs O(new) per call, not O(n); the scan stops once every missing trial is found.
        found: list[FrozenTrial] = []
        numbers = self._numbers
        for trial in reversed(trials):
            if trial.number not in numbers:
                found.append(trial)
                if len(found) == missing:
                    break
        new = found[::-1]
        if new and self._first is None:
            self._first = trial_stamp(new[0])
        self._numbers.update(t.number for t in new)
        return new

    def same_study(self, finished: Sequence[FrozenTrial]) -> bool:
        """Whether ``finished`` (in number order) extends what was taken in: False when it is
        another study's (fewer trials, or another first trial)."""
        if self._first is None:
            return True
        if len(finished) < len(self._numbers):
            return False
        i = bisect.bisect_left(finished, self._first[0], key=lambda t: t.number)
        return i < len(finished) and trial_stamp(finished[i]) == self._first


class IndependentSamplingWarner:
    """Logs, once per parameter, that a sampler sampled it outside its joint model.

    Args:
        owner: The sampler's name, which the message starts with.
        enabled: The sampler's ``warn_independent_sampling``; False logs nothing.

    Example:
        >>> warner = IndependentSamplingWarner("TPESampler", enabled=True)
        >>> warner.pending("y")
        True
        >>> warner.warn("y", 3, sampled_by="RandomSampler()", reason="it is conditional")
        >>> warner.pending("y")
        False
    """

    def __init__(self, owner: str, *, enabled: bool) -> None:
        self.owner = owner
        self.enabled = enabled
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def pending(self, param_name: str) -> bool:
        """Whether a warning about ``param_name`` would still be logged."""
        return self.enabled and param_name not in self._warned

    def warn(self, param_name: str, trial_number: int, *, sampled_by: str, reason: str) -> None:
        """Log the warning about ``param_name``, unless it was logged already or is disabled.

        Args:
            param_name: The parameter.
            trial_number: The trial it was sampled for.
            sampled_by: What sampled it instead (a sampler's repr, or a description).
            reason: Why it is outside the joint model.
        """
        with self._lock:
            if not self.pending(param_name):
                return
            self._warned.add(param_name)
        _logger.warning(
            f"{self.owner} samples the parameter {param_name!r} of trial {trial_number} "
            f"independently, with {sampled_by}: {reason}. This is logged once per parameter; "
            "pass warn_independent_sampling=False to silence it."
        )

    def __getstate__(self) -> dict[str, Any]:
        return {"owner": self.owner, "enabled": self.enabled, "warned": set(self._warned)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.owner = state["owner"]
        self.enabled = state["enabled"]
        self._warned = set(state["warned"])
        self._lock = threading.Lock()


class FallbackSampler(SeededSampler):
    """A model-based sampler that hands what its model does not cover to an independent sampler.

    ``sample_independent`` warns once per parameter (when :meth:`_why_independent` gives a
    reason) and asks the independent sampler, which the hooks reach too.

    Args:
        seed: The sampler's seed (:class:`~podbor.samplers._base.SeededSampler`), also the seed
            of the default independent sampler.
        independent_sampler: The independent sampler; None for ``RandomSampler(seed=seed)``.
        warn_independent_sampling: Whether to log the warnings.
        owner: The sampler's name, for error messages and warnings.

    Example:
        >>> class Nothing(FallbackSampler):
        ...     def _why_independent(self, study, trial, param_name):
        ...         return "this sampler models nothing"
        >>> Nothing(0, None, True, owner="Nothing")._delegates()
        (RandomSampler(seed=0),)
    """

    def __init__(
        self,
        seed: int | None,
        independent_sampler: BaseSampler | None,
        warn_independent_sampling: bool,
        *,
        owner: str,
    ) -> None:
        super().__init__(seed, owner=owner)
        check_instance(
            independent_sampler,
            "independent_sampler",
            BaseSampler,
            owner=owner,
            allowed="a BaseSampler",
            allow_none=True,
        )
        check_bool(warn_independent_sampling, "warn_independent_sampling", owner=owner)
        self._independent = independent_sampler or RandomSampler(seed=self._seed)
        self._warner = IndependentSamplingWarner(owner, enabled=warn_independent_sampling)

    def _delegates(self) -> Sequence[BaseSampler]:
        return (self._independent,)

    @abc.abstractmethod
    def _why_independent(self, study: StudyView, trial: FrozenTrial, param_name: str) -> str | None:
        """Why ``param_name`` is outside the model, or None when that needs no warning."""

    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if not param_distribution.single() and self._warner.pending(param_name):
            reason = self._why_independent(study, trial, param_name)
            if reason is not None:
                by = repr(self._independent)
                self._warner.warn(param_name, trial.number, sampled_by=by, reason=reason)
        return self._independent.sample_independent(study, trial, param_name, param_distribution)
