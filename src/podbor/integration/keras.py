"""``KerasPruningCallback``: report a Keras metric at the end of each epoch and prune by it.

optuna-integration's callback of the same name and signature, for Keras 3 on any of its
backends (JAX, TensorFlow, PyTorch)::

    model.fit(x, y, validation_data=(x_val, y_val), epochs=20,
              callbacks=[KerasPruningCallback(trial, "val_loss")])

Every ``interval`` epochs the value of ``monitor`` in the epoch's logs is reported to the trial
at step ``epoch`` (0-based); when the study's pruner gives up on the trial,
:class:`~podbor.TrialPruned` leaves ``model.fit`` at once and the study records the trial as
PRUNED.

A ``monitor`` the logs do not hold warns on an epoch that ran no validation, as
optuna-integration does (``interval=k`` with ``validation_freq=k`` checks exactly the epochs
that validate), and is otherwise an :class:`~podbor.exceptions.InvalidArgumentError` listing
the names the logs hold, where optuna-integration only warns and never prunes (the rules are in
``podbor/integration/_keras_logs.py``, shared with ``TFKerasPruningCallback``).

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

from podbor._records.base_trial import BaseTrial
from podbor.integration._common import require
from podbor.integration._keras_logs import EpochLogsPruning

__all__ = ["KerasPruningCallback"]


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


class KerasPruningCallback(EpochLogsPruning, Callback):  # type: ignore[misc]  # Keras: no hints
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

    owner = "KerasPruningCallback"

    def __init__(self, trial: BaseTrial, monitor: str, interval: int = 1) -> None:
        super().__init__(trial, monitor, interval)

    @property
    def interval(self) -> int:
        """Every how many epochs the value is reported and the pruner asked."""
        return self._interval
