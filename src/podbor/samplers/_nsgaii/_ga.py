"""The generations of a genetic sampler, read from the trials so that workers share them.

Each trial records its generation in the trial system attribute ``"<Class>:generation"``. A new
trial joins the latest generation until that generation has ``population_size`` COMPLETE
trials, then opens the next one. The parents of generation ``g`` (the elite of generation
``g - 1`` and of its own parents) are chosen once and kept as trial numbers in the study system
attribute ``"<Class>:parent:<g>"`` (space-separated numbers), so every thread and process breeds from the same parents.

Example:
    >>> import podbor
    >>> sampler = podbor.samplers.NSGAIISampler(population_size=2, seed=0)
    >>> study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=6)
    >>> [t.system_attrs["NSGAIISampler:generation"] for t in study.trials]
    [0, 0, 1, 1, 2, 2]
"""

from __future__ import annotations

import abc
import threading
from typing import Any, ClassVar

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_int
from podbor.samplers._base import BaseSampler
from podbor.samplers._common import SeenTrials

__all__ = ["BaseGASampler"]

_COMPLETE = (TrialState.COMPLETE,)


class BaseGASampler(BaseSampler):
    """Base of genetic samplers: generations and parent populations kept in the study.

    Subclasses choose the parents of a generation in :meth:`select_parent` and implement the
    three sampling methods; :meth:`get_trial_generation`, :meth:`get_population` and
    :meth:`get_parent_population` do the bookkeeping.

    Args:
        population_size: The number of COMPLETE trials of one generation (an int >= 2).

    Example:
        >>> class Nothing(BaseGASampler):
        ...     def select_parent(self, study, generation):
        ...         return []
        ...     def infer_relative_search_space(self, study, trial):
        ...         return {}
        ...     def sample_relative(self, study, trial, search_space):
        ...         return {}
        ...     def sample_independent(self, study, trial, param_name, param_distribution):
        ...         return param_distribution.to_external_repr(0)
        >>> Nothing(population_size=4).population_size, Nothing._get_generation_key()
        (4, 'Nothing:generation')
    """

    _STUDY_CACHES: ClassVar[tuple[str, ...]] = (
        "_generation_counts",
        "_seen",
        "_decided",
        "_parents",
    )
    _GENERATION_KEY: ClassVar[str] = "BaseGASampler:generation"
    _PARENT_CACHE_KEY_PREFIX: ClassVar[str] = "BaseGASampler:parent:"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._GENERATION_KEY = f"{cls.__name__}:generation"
        cls._PARENT_CACHE_KEY_PREFIX = f"{cls.__name__}:parent:"

    def __init__(self, population_size: int) -> None:
        self._population_size = check_int(
            population_size, "population_size", owner=type(self).__name__, minimum=2
        )
        self._ga_lock = threading.RLock()
        self._new_caches()

    def _new_caches(self) -> None:
        self._generation_counts: dict[int, int] = {}
        self._seen = SeenTrials()
        self._decided: dict[tuple[Any, ...], int] = {}  # (number, start) -> generation given
        self._parents: dict[int, list[FrozenTrial]] = {}  # generation -> its parents

    @property
    def population_size(self) -> int:
        """The number of COMPLETE trials of one generation."""
        return self._population_size

    @classmethod
    def _get_generation_key(cls) -> str:
        return cls._GENERATION_KEY

    @classmethod
    def _get_parent_cache_key_prefix(cls) -> str:
        return cls._PARENT_CACHE_KEY_PREFIX

    @abc.abstractmethod
    def select_parent(self, study: StudyView, generation: int) -> list[FrozenTrial]:
        """Choose the parent population of ``generation`` (>= 1)."""

    def get_trial_generation(self, study: StudyView, trial: FrozenTrial) -> int:
        """The generation of ``trial``: recorded already, or decided now and recorded."""
        key = self._GENERATION_KEY
        if key in trial.system_attrs:
            return trial.system_attrs[key]  # type: ignore[no-any-return]
        asked = (trial.number, trial.datetime_start)
        with self._ga_lock:
            if asked in self._decided:  # asked again (sample_relative after before_trial)
                return self._decided[asked]
        self._absorb(study)
        with self._ga_lock:
            latest = max(self._generation_counts, default=0)
            full = self._generation_counts.get(latest, 0) >= self._population_size
            generation = latest + 1 if full else latest
            self._decided[asked] = generation
        study.set_trial_system_attr(trial, key, generation)
        return generation

    def _absorb(self, study: StudyView) -> None:
        """Take in the COMPLETE trials not seen yet: count their generations, then hand them to
        :meth:`_absorbed`."""
        complete = study.get_trials(deepcopy=False, states=_COMPLETE)
        key = self._GENERATION_KEY
        with self._ga_lock:
            if not self._seen.same_study(complete):
                self._new_caches()
            new = self._seen.take_new(complete)  # O(new): found from the end of the list
            for done in new:
                if key in done.system_attrs:
                    g = int(done.system_attrs[key])
                    self._generation_counts[g] = self._generation_counts.get(g, 0) + 1
            self._absorbed(new)

    def _absorbed(self, new: list[FrozenTrial]) -> None:
        """What a subclass learns from newly COMPLETE trials (nothing by default; called under
        the lock)."""

    def get_population(self, study: StudyView, generation: int) -> list[FrozenTrial]:
        """The COMPLETE trials of ``generation``."""
        key = self._GENERATION_KEY
        return [
            t
            for t in study.get_trials(deepcopy=False, states=_COMPLETE)
            if t.system_attrs.get(key) == generation
        ]

    def get_parent_population(self, study: StudyView, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation``: chosen once by :meth:`select_parent`, then read back
        from the study (``[]`` for generation 0)."""
        if generation == 0:
            return []
        with self._ga_lock:
            cached = self._parents.get(generation)
        if cached is not None:  # finished trials never change: the same list serves again
            return cached
        key = f"{self._PARENT_CACHE_KEY_PREFIX}{generation}"
        stored = study.system_attrs.get(key)
        if stored is None:
            parents = self.select_parent(study, generation)
            study.set_system_attr(key, _encode([t.number for t in parents]))
        else:
            parents = _by_number(study.get_trials(deepcopy=False), _decode(stored))
        with self._ga_lock:
            return self._parents.setdefault(generation, parents)


def _encode(numbers: list[int]) -> str:
    """Parent numbers as one string: the study layer copies every study system attribute on
    each read, and a string copies in O(1) where a list of ints costs per item."""
    return " ".join(map(str, numbers))


def _decode(stored: str | list[int]) -> list[int]:
    """The numbers of :func:`_encode` (a list, as Optuna keeps its ids, is read as is)."""
    if isinstance(stored, str):
        return [int(n) for n in stored.split()]
    return [int(n) for n in stored]


def _by_number(trials: list[FrozenTrial], numbers: list[int]) -> list[FrozenTrial]:
    """The trials of the given numbers (trials are in number order, usually one per index)."""
    if all(n < len(trials) and trials[n].number == n for n in numbers):
        return [trials[n] for n in numbers]
    index = {t.number: t for t in trials}
    return [index[n] for n in numbers]
