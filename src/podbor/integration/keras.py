"""``KerasPruningCallback``: report a Keras metric at the end of each epoch and prune by it.

optuna-integration's callback of the same name and signature, for Keras 3 on any of its
backends (JAX, TensorFlow, PyTorch)::

    model.fit(x, y, validation_data=(x_val, y_val), epochs=20,
              callbacks=[KerasPruningCallback(trial, "val_loss")])

Every ``interval`` epochs the value of ``monitor`` in the epoch's logs is reported to the trial
at step ``epoch`` (0-based); when the study's pruner gives up on the trial,
:class:`~podbor.TrialPruned` leaves ``model.fit`` at once and the study records the trial as
PRUNED.

A ``monitor`` the logs do not hold:

* on an epoch that ran no validation (a ``"val_..."`` monitor and no ``"val_..."`` key in the
  logs: ``fit`` was given no ``validation_data`` / ``validation_split``, or ``validation_freq``
  skips this epoch) nothing is reported and a ``UserWarning`` says so, as optuna-integration
  does (``interval=k`` with ``validation_freq=k`` checks exactly the epochs that validate);
* otherwise (a misspelt name such as ``"val_acc"`` for Keras 3's ``"val_accuracy"``, a metric
  not given to ``compile``) it raises :class:`~podbor.exceptions.InvalidArgumentError` listing
  the names the logs hold, where optuna-integration only warns and never prunes.

The class derives from Keras's ``Callback``, so this module imports Keras when it is imported
(``import podbor.integration`` does not). Keras chooses its backend when first imported, from
``KERAS_BACKEND`` or ``~/.keras/keras.json`` (TensorFlow by default); this module never sets it.

Example:
    >>> from podbor.trial import FixedTrial
    >>> callback = KerasPruningCallback(FixedTrial({}), "val_loss", interval=2)
    >>> callback.on_epoch_end(1, {"loss": 0.52, "val_loss": 0.61})  # a FixedTrial never prunes
    >>> callback.monitor, callback.interval
    ('val_loss', 2)
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
    check_single_objective,
    report_and_prune,
    require,
    unknown_name,
)

__all__ = ["KerasPruningCallback"]

_OWNER = "KerasPruningCallback"
_VALIDATION_PREFIX = "val_"  # Keras names the metrics of validation_data "val_<metric>"


def _import_keras() -> None:
    """Import Keras, telling a missing Keras apart from a missing backend."""
    try:
        require("keras", package="Keras", extra="keras", owner="podbor.integration.keras")
    except ImportError as err:
        cause = err.__cause__
        missing = getattr(cause, "name", None) or ""
        if not isinstance(cause, ModuleNotFoundError) or missing.split(".")[0] == "keras":
            raise
        # Keras is installed; the backend it was told to use is not.
        raise ModuleNotFoundError(
            f"podbor.integration.keras: Keras is installed but its backend could not be imported "
            f"({cause}). Install that backend, or set KERAS_BACKEND to an installed one "
            f"('jax', 'tensorflow' or 'torch') before Keras is first imported.",
            name=missing,
        ) from cause


_import_keras()

from keras.callbacks import Callback  # noqa: E402  (after the friendly check above)


class KerasPruningCallback(Callback):  # type: ignore[misc]  # Keras ships no type hints
    """Keras callback that reports ``monitor`` every ``interval`` epochs and prunes the trial.

    Pass it in ``callbacks=[...]`` of ``model.fit``. Each reported step is the epoch (0-based,
    counted from ``initial_epoch``), so pruners compare trials epoch by epoch; whether lower or
    higher is better is the study's direction.

    Args:
        trial: The trial of the objective (a live :class:`~podbor.Trial`, or a
            :class:`~podbor.FixedTrial`, which keeps nothing and never prunes); its study must
            have one objective.
        monitor: The name of a value of the epoch's logs, e.g. ``"val_loss"`` or
            ``"val_accuracy"`` (``"val_"`` and a metric given to ``compile``, with
            ``validation_data`` given to ``fit``), or a training one such as ``"loss"``.
        interval: Report and ask the pruner every ``interval``-th epoch only (epochs
            ``interval - 1``, ``2 * interval - 1``, …); 1 checks every epoch.

    Raises:
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) at construction for a
            trial of a multi-objective study or one that is not a podbor trial, a ``monitor``
            that is not a non-empty str, or an ``interval`` that is not an int >= 1; at the end
            of an epoch for a ``monitor`` the logs do not hold (the message lists the names
            they do) or whose value is not a single number. An epoch that ran no validation
            only warns (see the module's notes).

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> callback = KerasPruningCallback(study.ask(), "val_loss")
        >>> callback.on_epoch_end(0, {"loss": 0.7, "val_loss": 0.65})
        >>> study.trials[0].intermediate_values
        {0: 0.65}
    """

    def __init__(self, trial: BaseTrial, monitor: str, interval: int = 1) -> None:
        super().__init__()
        check_instance(trial, "trial", BaseTrial, owner=_OWNER, allowed="a podbor trial")
        check_single_objective(trial, owner=_OWNER)
        if not isinstance(monitor, str) or not monitor:
            raise invalid_argument(
                "monitor",
                monitor,
                "the name of a value of the epoch's logs such as 'val_loss' (a non-empty str)",
                owner=_OWNER,
                wrong_type=not isinstance(monitor, str),
            )
        wrong_type = isinstance(interval, bool) or not isinstance(interval, numbers.Integral)
        if wrong_type or interval < 1:
            raise invalid_argument(
                "interval", interval, "an int >= 1", owner=_OWNER, wrong_type=wrong_type
            )
        self._trial = trial
        self._monitor = monitor
        self._interval = int(interval)

    @property
    def monitor(self) -> str:
        """The name of the logged value that is reported."""
        return self._monitor

    @property
    def interval(self) -> int:
        """Every how many epochs the value is reported and the pruner asked."""
        return self._interval

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
                owner=_OWNER,
            ) from None
        report_and_prune(self._trial, number, epoch, what="epoch")

    def _missing(self, logs: Mapping[str, Any]) -> None:
        """Warn for an epoch that ran no validation; raise for a name the logs do not hold."""
        ran_validation = any(str(key).startswith(_VALIDATION_PREFIX) for key in logs)
        if self._monitor.startswith(_VALIDATION_PREFIX) and not ran_validation:
            listed = ", ".join(repr(str(key)) for key in sorted(logs, key=str)) or "(none)"
            warnings.warn(
                f"{_OWNER}: an epoch ran no validation, so its logs have no {self._monitor!r} to "
                f"report (they hold {listed}), so the trial is not checked for pruning then. Give "
                "model.fit validation_data= or validation_split=; with validation_freq=k, pass "
                "interval=k to check only the epochs that validate.",
                UserWarning,
                stacklevel=3,  # the caller of on_epoch_end
            )
            return
        raise unknown_name(
            "monitor",
            self._monitor,
            logs,
            owner=_OWNER,
            what="the name of a value of the epoch's logs (the loss, a metric given to "
            "compile(), either with 'val_' before it for validation_data; a callback that adds "
            "a value must come before this one), which hold",
        )
