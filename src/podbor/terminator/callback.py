"""The study callback that stops :meth:`podbor.Study.optimize` when a terminator says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

from podbor._validation import check_instance
from podbor.logging import get_logger
from podbor.terminator.terminator import BaseTerminator, Terminator

if TYPE_CHECKING:
    from podbor._records.frozen_trial import FrozenTrial
    from podbor.study import Study

__all__ = ["TerminatorCallback"]

_logger = get_logger(__name__)


class TerminatorCallback:
    """Stop the optimization after the trial at which the terminator first says stop.

    Pass it in ``callbacks=`` of :meth:`podbor.Study.optimize`; after each finished trial it asks
    the terminator and, if the answer is True, logs one line and calls :meth:`podbor.Study.stop`
    (the trials already running finish; no new one starts).

    Args:
        terminator: Any :class:`~podbor.terminator.BaseTerminator`; a
            :class:`~podbor.terminator.Terminator` with its default evaluators if None (the
            objective must then report its fold scores with
            :func:`~podbor.terminator.report_cross_validation_scores`).

    Raises:
        ValueError: ``terminator`` is not a BaseTerminator.

    Example:
        >>> import podbor
        >>> from podbor.terminator import BestValueStagnationEvaluator, Terminator
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        >>> stop = TerminatorCallback(Terminator(BestValueStagnationEvaluator(5), min_n_trials=1))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=100, callbacks=[stop])
        >>> len(study.trials) < 100
        True
    """

    def __init__(self, terminator: BaseTerminator | None = None) -> None:
        check_instance(
            terminator,
            "terminator",
            BaseTerminator,
            owner="TerminatorCallback",
            allowed="a BaseTerminator",
            allow_none=True,
        )
        self._terminator = terminator if terminator is not None else Terminator()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Stop ``study`` if the terminator says so (``trial`` is the one that just finished)."""
        if self._terminator.should_terminate(study):
            _logger.info(f"The study was stopped by the terminator after trial {trial.number}.")
            study.stop()
