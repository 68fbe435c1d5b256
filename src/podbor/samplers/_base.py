"""The contract every sampler fulfils, and the plumbing the built-in samplers share.

A trial's parameters come from two calls. Once per trial, ``infer_relative_search_space`` and
``sample_relative`` may propose values for a joint search space (model-based samplers use the
correlations between parameters there). Each ``suggest_*`` outside that space calls
``sample_independent``.

Contract, for every implementation:

* Returned values are *external* representations (what the objective sees: a float, an int,
  the categorical choice itself, not its index), from ``sample_relative`` and
  ``sample_independent`` alike, and always lie inside the distribution.
* Samplers see the study only through ``StudyView``; they never touch
  a storage or private ids. Their persistent state is JSON-serializable.
* The same ``seed`` and the same history give the same proposals (single-threaded).
* Methods may be called from several threads at once; implementations guard their own state.

:class:`BaseSampler` also carries what every built-in sampler needs around that contract, so that
none writes it again: the hooks (``before_trial``, ``after_trial``, ``reseed_rng``) handed on to
the samplers a sampler is built from (:meth:`BaseSampler._delegates`), copies and pickles that
leave out what was learnt of one study (``_STUDY_CACHES``), and locks that survive both.
:class:`SeededSampler` adds the sampler's own seeded ``numpy.random.Generator``.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView
from podbor._validation import check_seed
from podbor.distributions import BaseDistribution

__all__ = ["BaseSampler", "SeededSampler"]


class BaseSampler(abc.ABC):
    """Abstract base of all samplers.

    Subclasses implement the three sampling methods. The hooks have working defaults: a sampler
    built from other samplers names them in :meth:`_delegates` and the hooks reach them; its own
    bookkeeping goes into :meth:`_trial_started`, :meth:`_trial_finished` and :meth:`_reseed`.

    Example:
        >>> class Zero(BaseSampler):
        ...     def infer_relative_search_space(self, study, trial):
        ...         return {}
        ...     def sample_relative(self, study, trial, search_space):
        ...         return {}
        ...     def sample_independent(self, study, trial, param_name, param_distribution):
        ...         return param_distribution.to_external_repr(0)
        >>> repr(Zero())
        'Zero()'
    """

    _STUDY_CACHES: ClassVar[tuple[str, ...]] = ()
    """Attributes that hold what the sampler learnt of one study: copies and pickles leave them
    out, and :meth:`_new_caches` builds them afresh."""

    @abc.abstractmethod
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """Return the joint search space to hand to ``sample_relative`` (``{}`` for none)."""

    @abc.abstractmethod
    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Return external values for (a subset of) ``search_space``."""

    @abc.abstractmethod
    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Return an external value for one parameter, drawn without the joint model."""

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        """Hook called once a trial is RUNNING, before the objective starts.

        The default runs :meth:`_trial_started`, then hands the call to each of
        :meth:`_delegates`.
        """
        self._trial_started(study, trial)
        for sampler in self._delegates():
            sampler.before_trial(study, trial)

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Hook called after the objective returned, before the trial's state is stored.

        The default runs :meth:`_trial_finished`, then hands the call to each of
        :meth:`_delegates`.
        """
        self._trial_finished(study, trial, state)
        for sampler in self._delegates():
            sampler.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        """Draw a fresh random seed (each worker process should diverge).

        The default runs :meth:`_reseed`, then reseeds each of :meth:`_delegates`.
        """
        self._reseed()
        for sampler in self._delegates():
            sampler.reseed_rng()

    # -- what subclasses fill in ------------------------------------------------------------------
    def _delegates(self) -> Sequence[BaseSampler]:
        """The samplers this one is built from, which the hooks reach too (none by default)."""
        return ()

    def _trial_started(self, study: StudyView, trial: FrozenTrial) -> None:
        """This sampler's own part of :meth:`before_trial` (nothing by default)."""

    def _trial_finished(self, study: StudyView, trial: FrozenTrial, state: TrialState) -> None:
        """This sampler's own part of :meth:`after_trial` (nothing by default)."""

    def _reseed(self) -> None:
        """This sampler's own part of :meth:`reseed_rng` (nothing by default)."""

    def _new_caches(self) -> None:
        """Build the attributes named in ``_STUDY_CACHES`` (nothing by default)."""

    # -- copies and pickles ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        """Locks cannot be copied or pickled: replace them by markers (see ``__setstate__``), so
        that samplers can be deep-copied (``sklearn.clone``) and sent to worker processes. What
        was learnt of one study (``_STUDY_CACHES``) is left out."""
        state = self.__dict__.copy()
        for cache in self._STUDY_CACHES:
            state.pop(cache, None)
        for key, value in state.items():
            if isinstance(value, _LOCK_TYPES):
                state[key] = _LockMarker(reentrant=isinstance(value, _RLOCK_TYPE))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            if isinstance(value, _LockMarker):
                state[key] = threading.RLock() if value.reentrant else threading.Lock()
        self.__dict__.update(state)
        self._new_caches()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SeededSampler(BaseSampler):
    """A sampler with its own ``numpy.random.Generator``, seeded by the one rule of every sampler.

    It sets ``_seed`` (an int >= 0 or None, checked by :func:`~podbor._validation.check_seed`),
    ``_rng`` and ``_lock`` (re-entrant; guard ``_rng`` with it), and reseeds ``_rng`` in
    :meth:`reseed_rng`. It proposes no joint search space: each parameter goes to
    ``sample_independent``, unless a subclass overrides the two relative methods.

    Args:
        seed: The seed, or None for a random one.
        owner: The sampler's name, for the error message of a bad seed.

    Example:
        >>> class Uniform(SeededSampler):
        ...     def sample_independent(self, study, trial, param_name, param_distribution):
        ...         with self._lock:
        ...             return float(self._rng.random())
        >>> Uniform(seed=1, owner="Uniform")._seed
        1
    """

    def __init__(self, seed: int | None, *, owner: str) -> None:
        self._seed = check_seed(seed, owner=owner)
        self._rng = np.random.default_rng(self._seed)
        self._lock = threading.RLock()

    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def _reseed(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()


_RLOCK_TYPE = type(threading.RLock())
_LOCK_TYPES = (type(threading.Lock()), _RLOCK_TYPE)


class _LockMarker:
    """Stands for a lock in a copied or pickled sampler's state."""

    def __init__(self, reentrant: bool) -> None:
        self.reentrant = reentrant
