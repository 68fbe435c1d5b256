"""What the Keras callbacks share: report one value of each epoch's logs and prune by it.

``KerasPruningCallback`` (Keras 3, any backend) and ``TFKerasPruningCallback`` (``tf.keras``)
differ only in the ``Callback`` class they derive from, which each module imports from its own
library; the behaviour is this mixin's, so that both treat a missing or bad ``monitor`` alike.
Nothing here imports Keras or TensorFlow.

A ``monitor`` the logs do not hold:

* on an epoch that ran no validation (a ``"val_..."`` monitor and no ``"val_..."`` key in the
  logs: ``fit`` was given no ``validation_data`` / ``validation_split``, or ``validation_freq``
  skips this epoch) nothing is reported and a ``UserWarning`` says so, as optuna-integration
  does;
* otherwise (a misspelt name such as ``"val_acc"`` for Keras 3's ``"val_accuracy"``, a metric
  not given to ``compile``) it raises :class:`~podbor.exceptions.InvalidArgumentError` listing
  the names the logs hold, where optuna-integration only warns and never prunes.

Example:
    >>> from podbor.trial import FixedTrial
    >>> class Reporter(EpochLogsPruning):  # a Keras callback adds keras.callbacks.Callback
    ...     owner = "Reporter"
    >>> reporter = Reporter(FixedTrial({}), "val_loss", interval=1)
    >>> reporter.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})  # a FixedTrial never prunes
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import Any

from podbor._records.base_trial import BaseTrial
from podbor._validation import check_instance
from podbor.exceptions import invalid_argument
from podbor.integration._common import (
    check_name,
    check_single_objective,
    report_and_prune,
    unknown_name,
)

__all__ = ["EpochLogsPruning"]

_VALIDATION_PREFIX = "val_"  # Keras names the metrics of validation_data "val_<metric>"


class EpochLogsPruning:
    """Report ``monitor`` from the logs every ``interval`` epochs at step ``epoch``; prune.

    Subclasses set :attr:`owner` (their public name, for messages) and put Keras's
    ``Callback`` after this class among their bases.
    """

    owner = "EpochLogsPruning"
    # what the no-validation warning suggests for fit(validation_freq=k)
    validation_freq_hint = (
        "with validation_freq=k, pass interval=k to check only the epochs that validate"
    )

    def __init__(self, trial: BaseTrial, monitor: str, interval: int = 1) -> None:
        super().__init__()  # the Keras Callback's
        owner = self.owner
        check_instance(trial, "trial", BaseTrial, owner=owner, allowed="a podbor trial")
        check_single_objective(trial, owner=owner)
        what = "the name of a value of the epoch's logs such as 'val_loss'"
        check_name(monitor, "monitor", what, owner=owner)
        wrong_type = isinstance(interval, bool) or not isinstance(interval, numbers.Integral)
        if wrong_type or interval < 1:
            raise invalid_argument(
                "interval", interval, "an int >= 1", owner=owner, wrong_type=wrong_type
            )
        self._trial = trial
        self._monitor = monitor
        self._interval = int(interval)

    @property
    def monitor(self) -> str:
        """The name of the logged value that is reported."""
        return self._monitor

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Called by Keras after each epoch: report ``monitor``; raise TrialPruned if told.

        Args:
            epoch: The epoch that ended (0-based).
            logs: Keras's values of that epoch: the loss and metrics, and with validation
                their ``"val_"`` counterparts.

        Raises:
            podbor.TrialPruned: When the study's pruner stops the trial at this epoch.
        """
        if (epoch + 1) % self._interval != 0:
            return
        logs = logs or {}
        if self._monitor not in logs:
            self._missing(logs)
            return
        value = logs[self._monitor]
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise invalid_argument(
                "monitor",
                self._monitor,
                f"the name of a value that is one number, but the logs hold {value!r} under it",
                owner=self.owner,
            ) from None
        report_and_prune(self._trial, number, epoch, what="epoch")

    def _missing(self, logs: Mapping[str, Any]) -> None:
        """Warn for an epoch that ran no validation; raise for a name the logs do not hold."""
        ran_validation = any(str(key).startswith(_VALIDATION_PREFIX) for key in logs)
        if self._monitor.startswith(_VALIDATION_PREFIX) and not ran_validation:
            listed = ", ".join(repr(str(key)) for key in sorted(logs, key=str)) or "(none)"
            warnings.warn(
                f"{self.owner}: an epoch ran no validation, so its logs have no "
                f"{self._monitor!r} to report (they hold {listed}), so the trial is not checked "
                f"for pruning then. Give model.fit validation_data= or validation_split=; "
                f"{self.validation_freq_hint}.",
                UserWarning,
                stacklevel=3,  # the caller of on_epoch_end
            )
            return
        raise unknown_name(
            "monitor",
            self._monitor,
            logs,
            owner=self.owner,
            what="the name of a value of the epoch's logs (the loss, a metric given to "
            "compile(), either with 'val_' before it for validation_data; a callback that adds "
            "a value must come before this one), which hold",
        )
