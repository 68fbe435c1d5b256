"""PyTorch Ignite's pruning handler: report an evaluator's metric each epoch, stop the run early.

``PyTorchIgnitePruningHandler`` is the handler of ``optuna_integration.pytorch_ignite`` under the
same name and signature. Attach it to the evaluator's ``Events.COMPLETED``::

    evaluator = create_supervised_evaluator(model, metrics={"accuracy": Accuracy()})
    evaluator.add_event_handler(
        Events.COMPLETED, PyTorchIgnitePruningHandler(trial, "accuracy", trainer)
    )
    trainer.add_event_handler(Events.EPOCH_COMPLETED, lambda _: evaluator.run(val_loader))
    trainer.run(train_loader, max_epochs=10)  # raises TrialPruned when the pruner says so

Each evaluation reports ``evaluator.state.metrics[metric]`` at the trainer's epoch
(``trainer.state.epoch``, 1 after the first epoch, as in optuna-integration); when the pruner
gives up on the trial, :class:`~podbor.TrialPruned` leaves both ``run`` calls. Ignite logs every
exception that ends a run as an ERROR; a pruned trial is no error, so those two lines are left
out of the two engines' logs (any other exception is still logged).

Ignite is imported when the handler is built, so importing this module works without it.

Example:
    >>> from podbor.trial import FixedTrial
    >>> from ignite.engine import Engine
    >>> handler = PyTorchIgnitePruningHandler(FixedTrial({}), "accuracy", Engine(lambda e, b: None))
    >>> handler.metric
    'accuracy'
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from podbor._records.base_trial import BaseTrial
from podbor._validation import check_instance
from podbor.exceptions import TrialPruned, invalid_argument
from podbor.integration._common import (
    check_name,
    check_single_objective,
    report_and_prune,
    require,
    unknown_name,
)

if TYPE_CHECKING:
    from ignite.engine import Engine

__all__ = ["PyTorchIgnitePruningHandler"]

_PRUNED_MESSAGE = "due to exception: Trial was pruned at epoch "
"""What Ignite's ERROR line says when a run ends by this handler's TrialPruned."""


class _PrunedIsNoError(logging.Filter):
    """Drops Ignite's "Engine run is terminating due to exception: Trial was pruned …" line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _PRUNED_MESSAGE not in record.getMessage()


_HIDE_PRUNED = _PrunedIsNoError()


class PyTorchIgnitePruningHandler:
    """Report an Ignite metric after each evaluation; raise TrialPruned when the pruner says so.

    Add it to the evaluator with ``evaluator.add_event_handler(Events.COMPLETED, handler)``.
    The step of each report is the trainer's epoch, so pruners compare trials epoch by epoch.

    Args:
        trial: The trial of the objective (a live :class:`~podbor.Trial`, or a
            :class:`~podbor.FixedTrial`, which keeps the values and never prunes); its study
            must have one objective.
        metric: The name the metric was attached under (``metrics={"accuracy": Accuracy()}`` of
            ``create_supervised_evaluator``, or ``Accuracy().attach(evaluator, "accuracy")``).
            Whether lower or higher is better is the study's direction.
        trainer: The trainer :class:`ignite.engine.Engine`, whose ``state.epoch`` is the step.

    Raises:
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``; a ``TypeError`` for a
            ``metric`` that is no str) at construction for a trial of a study with several
            objectives or a bad argument; at the first evaluation for a ``metric``
            the evaluator does not compute (the message lists those it computes) or one whose
            value is not a single number.
        ImportError: When PyTorch Ignite is not installed (``pip install podbor[ignite]``).

    Example:
        >>> import podbor
        >>> from types import SimpleNamespace
        >>> from ignite.engine import Engine
        >>> trainer, evaluator = Engine(lambda e, b: None), Engine(lambda e, b: None)
        >>> study = podbor.create_study(direction="maximize")
        >>> handler = PyTorchIgnitePruningHandler(study.ask(), "accuracy", trainer)
        >>> trainer.state.epoch = 3
        >>> handler(SimpleNamespace(state=SimpleNamespace(metrics={"accuracy": 0.91})))
        >>> study.trials[0].intermediate_values
        {3: 0.91}
    """

    def __init__(self, trial: BaseTrial, metric: str, trainer: Engine) -> None:
        owner = type(self).__name__
        ignite = require("ignite.engine", package="PyTorch Ignite", extra="ignite", owner=owner)
        check_instance(trial, "trial", BaseTrial, owner=owner, allowed="a podbor trial")
        check_single_objective(trial, owner=owner)
        check_name(metric, "metric", "the name of a metric attached to the evaluator", owner=owner)
        check_instance(trainer, "trainer", ignite.Engine, owner=owner, allowed="an Ignite Engine")
        self._trial = trial
        self._metric = metric
        self._trainer = trainer

    @property
    def metric(self) -> str:
        """The name of the reported metric."""
        return self._metric

    def __call__(self, engine: Engine) -> None:
        """Report ``engine.state.metrics[metric]`` at the trainer's epoch; prune if told to."""
        metrics = engine.state.metrics
        if self._metric not in metrics:
            raise unknown_name(
                "metric",
                self._metric,
                metrics,
                owner=type(self).__name__,
                what="a metric the evaluator computes (attach it to the evaluator that runs "
                "this handler)",
            )
        value = _scalar(metrics[self._metric], self._metric, owner=type(self).__name__)
        try:
            report_and_prune(self._trial, value, int(self._trainer.state.epoch), what="epoch")
        except TrialPruned:
            for run in (engine, self._trainer):
                logger = getattr(run, "logger", None)
                if isinstance(logger, logging.Logger):
                    logger.addFilter(_HIDE_PRUNED)  # once per logger: the filter is shared
            raise


def _scalar(value: Any, metric: str, *, owner: str) -> float:
    """A metric's value (a number, or a tensor / array with one element) as a float."""
    try:
        item = value.item() if hasattr(value, "item") else value
        return float(item)
    except (TypeError, ValueError, RuntimeError):
        shape = getattr(value, "shape", None)
        kind = type(value).__name__ + (f" of shape {tuple(shape)}" if shape is not None else "")
        raise invalid_argument(
            "metric",
            metric,
            f"the name of a metric whose value is one number, not a {kind}",
            owner=owner,
        ) from None
