"""What a trial is apart from any study: the core layer's trial pieces.

``trial_state`` (:class:`TrialState`), ``frozen_trial`` (:class:`FrozenTrial`, the record of a
trial that storages keep and samplers read, and :func:`create_trial`), ``base_trial``
(:class:`BaseTrial`, the ``suggest_*`` API every kind of trial answers) and ``fixed_trial``
(:class:`FixedTrial`, an objective run on given values). Storages, samplers and pruners import
these modules; none of them needs a study. The live :class:`~podbor.Trial`, which does,
sits a layer up in ``podbor/trial/``, and ``podbor.trial`` re-exports all of them under
Optuna's names.
"""

from podbor._records.base_trial import BaseTrial
from podbor._records.fixed_trial import FixedTrial
from podbor._records.frozen_trial import FrozenTrial, create_trial
from podbor._records.trial_state import TrialState

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "TrialState", "create_trial"]
