"""``PyTorchLightningPruningCallback``: report a Lightning metric each validation and prune by it.

optuna-integration's callback of the same name and signature, for Lightning 2.x
(``lightning.pytorch``, or the older ``pytorch_lightning`` package when only that one is
installed). After every validation run (not the sanity check) the monitored metric of
``trainer.callback_metrics`` is reported at step ``current_epoch``; when the study's pruner gives
up on the trial, :class:`~podbor.TrialPruned` stops ``trainer.fit`` at once.

Under distributed data parallel training (``strategy="ddp"`` / ``"ddp_spawn"``, several devices)
every process runs the callback, but only rank 0 reports to the trial and asks the pruner; its
decision is broadcast so that all ranks stop together (``trainer.should_stop``) rather than one
raising while the others wait in a collective. The decision is also written to the trial's
storage, so call :meth:`PyTorchLightningPruningCallback.check_pruned` right after
``trainer.fit``: it raises ``TrialPruned`` in the process that runs the objective. With
``ddp_spawn`` rank 0 runs in a spawned process, so the study needs a storage that processes share
(:class:`~podbor.storages.RDBStorage`, :class:`~podbor.storages.JournalStorage`); an in-memory
study is refused with an error.

The module derives its class from Lightning's ``Callback``, so it imports Lightning when it is
imported; ``podbor.integration`` imports it only on first use.

Example:
    >>> from podbor.trial import FixedTrial
    >>> callback = PyTorchLightningPruningCallback(FixedTrial({}), monitor="val_acc")
    >>> callback.monitor
    'val_acc'
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from podbor.integration._common import check_name, check_single_objective, unknown_name

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # pragma: no cover - depends on the environment
    try:
        from pytorch_lightning.callbacks import Callback  # type: ignore[assignment, unused-ignore]
    except ImportError as _err:
        raise ImportError(
            "PyTorchLightningPruningCallback needs Lightning, which is not installed: "
            "pip install podbor[lightning]"
        ) from _err

from podbor._records.base_trial import BaseTrial
from podbor._validation import check_instance
from podbor.exceptions import TrialPruned, invalid_argument
from podbor.storages import InMemoryStorage

if TYPE_CHECKING:
    from lightning.pytorch import LightningModule, Trainer

__all__ = ["PyTorchLightningPruningCallback"]

_OWNER = "PyTorchLightningPruningCallback"
_PRUNED_EPOCH_KEY = "lightning:pruned_epoch"
"""System attribute that rank 0 sets to the epoch at which a distributed run was pruned."""


class PyTorchLightningPruningCallback(Callback):
    """Lightning callback that reports ``monitor`` after each validation and prunes the trial.

    Args:
        trial: The trial of the objective (a live :class:`~podbor.Trial` or a
            :class:`~podbor.FixedTrial`, which never prunes); its study must have one
            objective.
        monitor: The name of a logged metric (``self.log("val_acc", ...)`` in the
            ``LightningModule``), e.g. ``"val_loss"`` or ``"val_acc"``. Whether lower or higher
            is better is the study's direction.

    Raises:
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) at construction for a trial
            of a multi-objective study or a ``monitor`` that is not a non-empty str; at the
            first validation for a ``monitor`` that was not logged (the message lists the
            logged metrics); at ``fit`` start for a distributed run whose rank 0 cannot reach
            the study's in-memory storage.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(direction="maximize")
        >>> callback = PyTorchLightningPruningCallback(study.ask(), monitor="val_acc")
        >>> callback.is_ddp_backend
        False
    """

    def __init__(self, trial: BaseTrial, monitor: str) -> None:
        super().__init__()
        check_instance(trial, "trial", BaseTrial, owner=_OWNER, allowed="a podbor trial")
        check_single_objective(trial, owner=_OWNER)
        check_name(monitor, "monitor", "the name of a logged metric", owner=_OWNER)
        self._trial = trial
        self.monitor = monitor
        self.is_ddp_backend = False
        self._pid = os.getpid()
        self._pruned_epoch: int | None = None

    # -- Lightning hooks -------------------------------------------------------------------
    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Note whether the run is distributed; refuse a storage rank 0 cannot reach."""
        self.is_ddp_backend = int(getattr(trainer, "world_size", 1)) > 1
        self._pruned_epoch = None
        if not self.is_ddp_backend or not trainer.is_global_zero:
            return
        storage = getattr(self._trial, "storage", None)
        if isinstance(storage, InMemoryStorage) and os.getpid() != self._pid:
            raise invalid_argument(
                "trial",
                f"<trial {getattr(self._trial, 'number', '?')} of an in-memory study>",
                "a trial of a study whose storage other processes reach (RDBStorage, "
                "JournalStorage): under this distributed strategy rank 0 runs in another "
                "process and its reports would be lost",
                owner=_OWNER,
            )
        self._trial.set_system_attr(_PRUNED_EPOCH_KEY, None)  # a fresh fit of the same trial

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Report the monitored metric at ``current_epoch``; prune (or stop every rank)."""
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        if self.monitor not in metrics:
            raise unknown_name(
                "monitor", self.monitor, metrics.keys(), owner=_OWNER, what="a logged metric"
            )
        value = _as_float(metrics[self.monitor])
        epoch = int(pl_module.current_epoch)
        if not self.is_ddp_backend:
            self._trial.report(value, step=epoch)
            if self._trial.should_prune():
                self._pruned_epoch = epoch
                raise TrialPruned(
                    f"Trial was pruned at epoch {epoch} ({self.monitor}={value:.6g})."
                )
            return
        should_stop = False
        if trainer.is_global_zero:
            self._trial.report(value, step=epoch)
            should_stop = bool(self._trial.should_prune())
        should_stop = bool(trainer.strategy.broadcast(should_stop, src=0))
        if not should_stop:
            return
        trainer.should_stop = True
        self._pruned_epoch = epoch
        if trainer.is_global_zero:
            self._trial.set_system_attr(_PRUNED_EPOCH_KEY, epoch)

    # -- after fit -------------------------------------------------------------------------
    def check_pruned(self) -> None:
        """Raise :class:`~podbor.TrialPruned` if a distributed run was stopped by the pruner.

        Call it right after ``trainer.fit(...)``: a distributed run stops all its processes
        instead of raising inside one of them. The decision is read from this callback (the
        ``"ddp"`` strategy, where rank 0 is this process) or from the trial's storage
        (``"ddp_spawn"``, where rank 0 was a spawned process). Does nothing otherwise.

        Example:
            >>> from podbor.trial import FixedTrial
            >>> PyTorchLightningPruningCallback(FixedTrial({}), "val_loss").check_pruned()
        """
        epoch = self._pruned_epoch
        if epoch is None:
            epoch = self._stored_pruned_epoch()
        if epoch is not None:
            raise TrialPruned(f"Trial was pruned at epoch {epoch}.")

    def _stored_pruned_epoch(self) -> int | None:
        storage = getattr(self._trial, "storage", None)
        trial_id = getattr(self._trial, "_trial_id", None)
        if storage is None or trial_id is None:
            return None
        epoch = storage.get_trial_system_attrs(trial_id).get(_PRUNED_EPOCH_KEY)
        return None if epoch is None else int(epoch)


def _as_float(value: Any) -> float:
    """A logged metric (a 0-d tensor or a number) as a float; NaN stays NaN."""
    item = getattr(value, "item", None)
    number = item() if callable(item) else value
    try:
        return float(number)
    except (TypeError, ValueError):
        return math.nan
