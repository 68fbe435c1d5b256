"""Track a study in Weights & Biases: the trials as steps of one run, or one run per trial.

:class:`WeightsAndBiasesCallback` is a study callback. By default the whole study is one W&B run
(started when the callback is built) and each finished trial logs its parameters and value(s)
at step ``trial.number``, so W&B plots the search as it goes. With ``as_multirun=True`` each
trial is its own run (named ``trial/<number>/...``, tagged with the study's name, finished by
the callback), which gives W&B's sweep-style panels: parameter importance, parallel
coordinates. The :meth:`~WeightsAndBiasesCallback.track_in_wandb` decorator starts the trial's
run before the objective, so what the objective logs with ``wandb.log`` lands in it.

Names, arguments and defaults are those of ``optuna_integration.WeightsAndBiasesCallback``;
W&B is imported when the callback is built (``pip install podbor[wandb]``). Log in first
(``wandb login``), or set ``WANDB_MODE=offline`` to write runs to disk only. Use it with
``n_jobs=1``: W&B has one current run per process.

Example:
    >>> from podbor.integration.wandb import WeightsAndBiasesCallback
    >>> callback = WeightsAndBiasesCallback(wandb_kwargs={"mode": "disabled"})  # or a project
    >>> # study.optimize(objective, n_trials=20, callbacks=[callback])
    >>> import wandb; wandb.finish()
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from podbor.integration._common import require
from podbor.integration._tracking import check_bool, check_kwargs, check_metric_name, metric_names

if TYPE_CHECKING:
    from podbor.study import Study
    from podbor.trial import FrozenTrial, Trial

__all__ = ["WeightsAndBiasesCallback"]

_OWNER = "WeightsAndBiasesCallback"

Objective = Callable[["Trial"], "float | Sequence[float]"]


class WeightsAndBiasesCallback:
    """Log every finished trial of a study to Weights & Biases.

    Each trial logs ``{**trial.params, **metrics}``; the metrics are the objective value(s)
    (a pruned trial's is its last report; a failed trial has none) and, with
    ``as_multirun``, ``trial_number``. In the study's run the W&B step is the trial number
    (unless the objective logged further steps itself); a trial's own run appends a row after
    what the objective logged (Optuna logs at the trial number there too, and W&B drops the
    row of trial 0 when the objective logged anything). The run's
    config gets ``direction`` (the study's directions by name) and, per trial run, the params.

    Args:
        metric_name: The name of the objective value. For several objectives either one name
            per objective, in the order the objective returns them, or one ``str`` that is
            numbered: ``"value"`` logs ``value_0``, ``value_1``, ...
        wandb_kwargs: Keyword arguments of ``wandb.init`` (``project``, ``entity``, ``group``,
            ``tags``, ``mode``, ``dir``, ...), used for every run the callback starts.
        as_multirun: One W&B run per trial instead of one for the whole study.

    Raises:
        ImportError: wandb is not installed.
        podbor.exceptions.InvalidArgumentError: a bad argument (a ``TypeError`` too for a
            wrong type), naming it; a ``metric_name`` list whose length is not the number of
            objectives is reported at the first trial.

    Example:
        >>> import podbor, wandb
        >>> callback = WeightsAndBiasesCallback("loss", wandb_kwargs={"mode": "disabled"})
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[callback])
        >>> wandb.finish()  # end the study's run
    """

    def __init__(
        self,
        metric_name: str | Sequence[str] = "value",
        wandb_kwargs: dict[str, Any] | None = None,
        as_multirun: bool = False,
    ) -> None:
        self._wandb: Any = require(
            "wandb", package="Weights & Biases (wandb)", extra="wandb", owner=_OWNER
        )
        self._metric_name = check_metric_name(metric_name, owner=_OWNER)
        parameters = inspect.signature(self._wandb.init).parameters.values()
        open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
        self._wandb_kwargs = check_kwargs(
            "wandb_kwargs",
            wandb_kwargs,
            None if open_ended else [p.name for p in parameters],
            owner=_OWNER,
            what="keyword arguments of wandb.init",
        )
        self._as_multirun = check_bool("as_multirun", as_multirun, owner=_OWNER)
        if not self._as_multirun:
            self._initialize_run()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Log ``trial`` (finished) to the current run; in multirun mode, then finish it."""
        names = metric_names(self._metric_name, len(study.directions), owner=_OWNER)
        metrics: dict[str, Any] = {}
        if trial.values is not None:
            metrics.update(zip(names, trial.values, strict=True))
        if self._as_multirun:
            metrics["trial_number"] = trial.number
        run = self._wandb.run
        if run is None:
            run = self._start_trial_run(trial.number)
        run.log({**trial.params, **metrics}, step=self._step(run, trial.number))
        directions = {"direction": [d.name for d in study.directions]}
        if self._as_multirun:
            run.config.update({**directions, **trial.params})
            run.tags = (*(self._wandb_kwargs.get("tags") or ()), study.study_name)
            run.finish()
        else:
            run.config.update(directions)

    def track_in_wandb(self) -> Callable[[Objective], Objective]:
        """Decorate an objective so that what it logs with ``wandb.log`` goes to its trial's run.

        Without ``as_multirun`` that is the study's run; with it, the wrapper starts the
        trial's run (with ``wandb_kwargs``) before calling the objective, and the callback
        logs the trial into it and finishes it. Use the callback in the same ``optimize``.

        Example:
            >>> import podbor, wandb
            >>> callback = WeightsAndBiasesCallback(
            ...     wandb_kwargs={"mode": "disabled"}, as_multirun=True
            ... )
            >>> @callback.track_in_wandb()
            ... def objective(trial):
            ...     x = trial.suggest_float("x", -10, 10)
            ...     wandb.log({"distance": abs(x - 2)})  # into this trial's run
            ...     return (x - 2) ** 2
            >>> study = podbor.create_study()
            >>> study.optimize(objective, n_trials=2, callbacks=[callback])
        """

        def decorator(func: Objective) -> Objective:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> float | Sequence[float]:
                if self._wandb.run is None:
                    self._start_trial_run(trial.number)
                return func(trial)

            return wrapper

        return decorator

    # -- helpers ----------------------------------------------------------------------------
    def _step(self, run: Any, number: int) -> int | None:
        """The W&B step to log trial ``number`` at; ``None`` is "the run's next step".

        A trial's own run (multirun) appends after whatever the objective logged. The study's
        run uses the trial number, so the charts' x axis is the trial, unless the objective
        already logged past it (W&B drops data logged at a step behind the run's).
        """
        if self._as_multirun:
            return None
        current = getattr(run, "step", 0)
        return number if isinstance(current, int) and current <= number else None

    def _start_trial_run(self, number: int) -> Any:
        """A new run for trial ``number`` (multirun), or a new study run after ``wandb.finish``."""
        run = self._initialize_run()
        if self._as_multirun:
            run.name = f"trial/{number}/{run.name}" if run.name else f"trial/{number}"
        return run

    def _initialize_run(self) -> Any:
        run = self._wandb.init(**self._wandb_kwargs)
        if not isinstance(run, self._wandb.sdk.wandb_run.Run):
            raise RuntimeError(
                f"wandb.init returned {type(run).__name__}, not a wandb Run: {_OWNER} needs one"
                " run to log to (check wandb_kwargs, e.g. 'mode')."
            )
        return run
