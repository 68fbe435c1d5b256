"""``TFKerasPruningCallback``: prune a ``tf.keras`` model's training by an epoch's logged value.

optuna-integration's callback of the same name and signature, for code that builds its models
with TensorFlow's ``tf.keras``::

    model.fit(x, y, validation_data=(x_val, y_val), epochs=20,
              callbacks=[TFKerasPruningCallback(trial, "val_loss")])

After every epoch the value of ``monitor`` in the epoch's logs is reported to the trial at step
``epoch`` (0-based); when the study's pruner gives up on the trial, :class:`~podbor.TrialPruned`
leaves ``model.fit`` at once and the study records the trial as PRUNED.

It behaves as :class:`~podbor.integration.KerasPruningCallback` with ``interval=1`` (a missing
``monitor`` warns on an epoch that ran no validation and is otherwise an error listing the
logged names, where optuna-integration always only warns) and differs only in its base class:
``tf.keras.callbacks.Callback``, which is Keras 3's ``Callback`` from TensorFlow 2.16 on and
``tf_keras``'s with ``TF_USE_LEGACY_KERAS=1``. With Keras 3 and another backend, use
``KerasPruningCallback``. This module imports TensorFlow when it is imported (``import
podbor.integration`` does not); ``pip install podbor[tfkeras]``.

Example:
    >>> from podbor.trial import FixedTrial
    >>> callback = TFKerasPruningCallback(FixedTrial({}), "val_loss")
    >>> callback.on_epoch_end(0, {"loss": 0.52, "val_loss": 0.61})  # a FixedTrial never prunes
    >>> callback.monitor
    'val_loss'
"""

from __future__ import annotations

from typing import Any

from podbor._records.base_trial import BaseTrial
from podbor.integration._common import require
from podbor.integration._keras_logs import EpochLogsPruning

__all__ = ["TFKerasPruningCallback"]

_tf = require(
    "tensorflow", package="TensorFlow", extra="tfkeras", owner="podbor.integration.tfkeras"
)
_Callback: Any = _tf.keras.callbacks.Callback  # Keras 3's, or tf_keras's under legacy Keras


class TFKerasPruningCallback(EpochLogsPruning, _Callback):  # type: ignore[misc]
    """``tf.keras`` callback that reports ``monitor`` after each epoch and prunes the trial.

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

    Raises:
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) at construction for a
            trial of a multi-objective study or one that is not a podbor trial, or a
            ``monitor`` that is not a non-empty str; at the end of an epoch for a ``monitor``
            the logs do not hold (the message lists the names they do) or whose value is not a
            single number. An epoch that ran no validation only warns.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> callback = TFKerasPruningCallback(study.ask(), "val_loss")
        >>> callback.on_epoch_end(0, {"loss": 0.7, "val_loss": 0.65})
        >>> study.trials[0].intermediate_values
        {0: 0.65}
    """

    owner = "TFKerasPruningCallback"
    validation_freq_hint = (
        "with validation_freq=k, use KerasPruningCallback(trial, monitor, interval=k) to check "
        "only the epochs that validate"
    )

    def __init__(self, trial: BaseTrial, monitor: str) -> None:
        super().__init__(trial, monitor)
