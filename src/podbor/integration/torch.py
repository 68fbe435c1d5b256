"""PyTorch helpers: pick the device, and report each epoch with pruning in one call.

PyTorch is optional: it is imported when a function here is called, with an error that says how
to install it.

Example:
    >>> from podbor.trial import FixedTrial
    >>> reporter = EpochReporter(FixedTrial({}))
    >>> reporter(0.81, epoch=0)  # reports the value; raises TrialPruned if the pruner says so
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from podbor._records.base_trial import BaseTrial
from podbor.exceptions import TrialPruned, invalid_argument

if TYPE_CHECKING:
    import torch

__all__ = ["EpochReporter", "select_device"]


def _torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "podbor.integration.torch needs PyTorch; install it with `pip install torch`."
        ) from err
    return torch


def select_device(preferred: str | None = None) -> torch.device:
    """Return ``preferred`` if given, else the first available of CUDA, Apple MPS and the CPU.

    Args:
        preferred: A device string such as ``"cuda:1"`` or ``"cpu"``; None to choose.

    Raises:
        ValueError: If ``preferred`` names a CUDA device while CUDA is not available.

    Example:
        >>> select_device("cpu").type
        'cpu'
    """
    th = _torch()
    return cast("torch.device", th.device(_choose(th, preferred)))


def _choose(torch: Any, preferred: str | None) -> str:
    if preferred is not None:
        device = torch.device(preferred)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise invalid_argument(
                "preferred",
                preferred,
                "'cpu' or None: CUDA is not available here",
                owner="select_device",
            )
        return preferred
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


class EpochReporter:
    """Report a validation metric after each epoch and stop the trial when the pruner says so.

    It replaces the three lines every training loop repeats (``report``, ``should_prune``,
    ``raise TrialPruned``) and keeps the best value seen, for the objective to return.

    Args:
        trial: The trial of the objective.
        maximize: Whether a larger metric is better (for :attr:`best`); accuracy: True.

    Example:
        >>> from podbor.trial import FixedTrial
        >>> reporter = EpochReporter(FixedTrial({}), maximize=True)
        >>> for epoch, accuracy in enumerate([0.5, 0.7, 0.6]):
        ...     reporter(accuracy, epoch=epoch)
        >>> reporter.best
        0.7
    """

    def __init__(self, trial: BaseTrial, *, maximize: bool = True) -> None:
        self._trial = trial
        self._maximize = maximize
        self.best = -math.inf if maximize else math.inf

    def __call__(self, value: float, *, epoch: int) -> None:
        """Report ``value`` at ``epoch``; raise :class:`~podbor.TrialPruned` to stop the trial."""
        value = float(value)
        if not math.isnan(value):
            self.best = max(self.best, value) if self._maximize else min(self.best, value)
        self._trial.report(value, epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"Pruned at epoch {epoch} with value {value:.6g}.")
