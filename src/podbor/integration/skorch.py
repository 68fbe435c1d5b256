"""skorch's pruning callback: report a score of ``net.history`` each epoch, stop the fit early.

``SkorchPruningCallback`` is the callback of ``optuna_integration.skorch`` under the same name
and signature. Pass it in ``callbacks=[...]`` of a ``NeuralNetClassifier`` /
``NeuralNetRegressor``; after each epoch it reports ``net.history[-1, monitor]`` at step
``len(net.history) - 1`` (0 for the first epoch; a ``partial_fit`` that continues the training
continues the count), and when the pruner gives up on the trial, :class:`~podbor.TrialPruned`
leaves ``net.fit``.

scikit-learn's ``clone`` (``cross_val_score``, ``GridSearchCV`` around a net) and ``copy.deepcopy``
copy the callback, not its trial: every copy reports to the same live trial. Folds trained one
after the other each report epochs 0, 1, …: the first fold's value at a step is kept, a later
fold's value at the same step is ignored with a warning, and the pruner may stop any fold. Give
those functions ``error_score="raise"``: by default scikit-learn takes the pruned fit for a
failed one, records a NaN score and goes on.

skorch accepts only subclasses of its ``skorch.callbacks.Callback``, so this module imports
skorch when it is imported (``import podbor`` and ``import podbor.integration`` do not import
it); without skorch the import fails with the ``pip install`` to run.

Example:
    >>> from podbor.trial import FixedTrial
    >>> callback = SkorchPruningCallback(FixedTrial({}), "valid_acc")
    >>> callback.get_params()["monitor"]
    'valid_acc'
"""

from __future__ import annotations

import copy
from typing import Any

from podbor._records.base_trial import BaseTrial
from podbor._validation import check_instance
from podbor.integration._common import (
    check_name,
    check_single_objective,
    report_and_prune,
    require,
    unknown_name,
)

require("skorch", package="skorch", extra="skorch", owner="podbor.integration.skorch")

from skorch.callbacks import Callback  # noqa: E402  (after the friendly check above)

__all__ = ["SkorchPruningCallback"]

_OWNER = "SkorchPruningCallback"


class SkorchPruningCallback(Callback):  # type: ignore[misc]  # skorch ships no type hints
    """Report a score of skorch's history after each epoch; raise TrialPruned when told.

    The arguments are kept as the attributes ``trial`` and ``monitor``, as skorch's
    ``get_params`` / ``set_params`` expect of a callback (``net.set_params(
    callbacks__SkorchPruningCallback__monitor="valid_loss")`` works).

    Args:
        trial: The trial of the objective (a live :class:`~podbor.Trial`, or a
            :class:`~podbor.FixedTrial`, which keeps the values and never prunes); its study
            must have one objective.
        monitor: A key of ``net.history``, e.g. ``"valid_loss"``, ``"valid_acc"`` (skorch's
            default scores for a classifier with a validation split), ``"train_loss"`` or the
            name of an ``EpochScoring`` callback listed before this one. Whether lower or higher
            is better is the study's direction.

    Raises:
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) at construction for a trial
            of a study with several objectives or a ``monitor`` that is not a non-empty str; at
            the first epoch, for a ``monitor`` that is not in that epoch's history (the message
            lists the keys that are).

    Example:
        >>> import podbor
        >>> from types import SimpleNamespace
        >>> study = podbor.create_study(direction="maximize")
        >>> callback = SkorchPruningCallback(study.ask(), "valid_acc")
        >>> callback.on_epoch_end(SimpleNamespace(history=[{"epoch": 1, "valid_acc": 0.93}]))
        >>> study.trials[0].intermediate_values
        {0: 0.93}
    """

    def __init__(self, trial: BaseTrial, monitor: str) -> None:
        check_instance(trial, "trial", BaseTrial, owner=_OWNER, allowed="a podbor trial")
        check_single_objective(trial, owner=_OWNER)
        check_name(monitor, "monitor", "a key of net.history such as 'valid_loss'", owner=_OWNER)
        super().__init__()
        self.trial = trial
        self.monitor = monitor

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:
        """Called by skorch after each epoch: report ``net.history[-1, monitor]``; prune if told."""
        history = net.history
        if not history:
            return
        row = history[-1]
        if self.monitor not in row:
            raise unknown_name(
                "monitor",
                self.monitor,
                [key for key in row if key != "batches"],
                owner=_OWNER,
                what="a key of net.history at this epoch (an EpochScoring callback must be "
                "listed before this one to have written its score)",
            )
        report_and_prune(self.trial, row[self.monitor], len(history) - 1, what="epoch")

    def __sklearn_clone__(self) -> SkorchPruningCallback:
        # scikit-learn's clone() would rebuild the callback from get_params() and deep-copy the
        # trial on the way, leaving a copy that reports to a detached trial.
        return copy.copy(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> SkorchPruningCallback:
        # copy.deepcopy(net): the copy must still report to the same live trial.
        duplicate = copy.copy(self)
        memo[id(self)] = duplicate
        return duplicate
