"""Track a study in MLflow: one MLflow run per trial, in an experiment named after the study.

:class:`MLflowCallback` is a study callback (``study.optimize(..., callbacks=[cb])``). For each
finished trial it opens an MLflow run named after the trial number and logs the parameters,
the objective value(s) as metrics, and tags: the trial's state, number and times, the study's
direction(s), each parameter's distribution and, if asked, the trial's and the study's user
attributes. Its :meth:`~MLflowCallback.track_in_mlflow` decorator opens the trial's run before
the objective starts, so what the objective logs with ``mlflow.log_*`` lands in the same run.

Names, arguments and defaults are those of ``optuna_integration.MLflowCallback``, so code
written for Optuna only changes its import. MLflow is imported when the callback is built
(``pip install podbor[mlflow]``; ``mlflow-skinny`` is enough).

Example:
    >>> from podbor.integration.mlflow import MLflowCallback
    >>> callback = MLflowCallback(tracking_uri="sqlite:///mlflow.db", metric_name="accuracy")
    >>> # study.optimize(objective, n_trials=20, callbacks=[callback])
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from podbor.exceptions import invalid_argument
from podbor.integration._common import require
from podbor.integration._tracking import (
    check_bool,
    check_kwargs,
    check_metric_name,
    metric_names,
    truncate,
)

if TYPE_CHECKING:
    from podbor.study import Study
    from podbor.trial import FrozenTrial, Trial

__all__ = ["RUN_ID_ATTRIBUTE_KEY", "MLflowCallback"]

RUN_ID_ATTRIBUTE_KEY = "mlflow_run_id"
"""The trial system attribute where :meth:`MLflowCallback.track_in_mlflow` keeps the run id."""

_OWNER = "MLflowCallback"
# Keys of ``mlflow_kwargs`` the callback does not pass on: it chooses the run to resume itself.
_RESERVED_KWARGS = frozenset({"run_id"})

Objective = Callable[["Trial"], "float | Sequence[float]"]


class MLflowCallback:
    """Log every finished trial of a study as one MLflow run.

    Each trial becomes a run named ``str(trial.number)`` (or ``mlflow_kwargs["run_name"]``)
    with the trial's parameters as MLflow params, its value(s) as metrics (a pruned or failed
    trial has none, and logs none), and tags ``number``, ``datetime_start``,
    ``datetime_complete``, ``state``, ``direction`` and ``<param>_distribution``. Tag and
    parameter texts longer than MLflow accepts are cut, ending in ``...``. The callback is
    thread-safe (``n_jobs > 1``).

    Args:
        tracking_uri: Where MLflow writes (``mlflow.set_tracking_uri``), e.g.
            ``"sqlite:///mlflow.db"`` or a server's URL; ``None`` keeps MLflow's current one.
        metric_name: The metric name of the objective value. For several objectives either
            one name per objective, in the order the objective returns them, or one ``str``
            that is numbered: ``"value"`` logs ``value_0``, ``value_1``, ...
        create_experiment: Use (and create if needed) an experiment named after the study.
            With ``False`` the runs go to ``mlflow_kwargs["experiment_id"]``, else to MLflow's
            active experiment (``mlflow.set_experiment``), else to its default one; use
            ``False`` inside a Databricks notebook.
        mlflow_kwargs: Keyword arguments of ``mlflow.start_run`` for each trial's run, e.g.
            ``{"nested": True}`` to log the trials as children of an active run, ``"tags"``,
            ``"description"``, ``"run_name"``, ``"experiment_id"``; ``run_id`` is not allowed.
        tag_study_user_attrs: Also tag each run with the study's user attributes (they win
            over the trial's ones of the same key).
        tag_trial_user_attrs: Tag each run with the trial's user attributes.

    Raises:
        ImportError: MLflow is not installed.
        podbor.exceptions.InvalidArgumentError: a bad argument (a ``TypeError`` too for a
            wrong type), naming it; a ``metric_name`` list whose length is not the number of
            objectives is reported at the first trial.

    Example:
        >>> callback = MLflowCallback(tracking_uri="sqlite:///mlflow.db")
        >>> @callback.track_in_mlflow()
        ... def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     # mlflow.log_metric("x_squared", x**2) would go to this trial's run
        ...     return (x - 2) ** 2
        >>> # study.optimize(objective, n_trials=10, callbacks=[callback])
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        metric_name: str | Sequence[str] = "value",
        create_experiment: bool = True,
        mlflow_kwargs: dict[str, Any] | None = None,
        tag_study_user_attrs: bool = False,
        tag_trial_user_attrs: bool = True,
    ) -> None:
        self._mlflow: Any = require("mlflow", package="MLflow", extra="mlflow", owner=_OWNER)
        if tracking_uri is not None and (not isinstance(tracking_uri, str) or not tracking_uri):
            raise invalid_argument(
                "tracking_uri",
                tracking_uri,
                "None or a non-empty str",
                owner=_OWNER,
                wrong_type=not isinstance(tracking_uri, str),
            )
        self._tracking_uri = tracking_uri
        self._metric_name = check_metric_name(metric_name, owner=_OWNER)
        self._create_experiment = check_bool("create_experiment", create_experiment, owner=_OWNER)
        start_run_args = inspect.signature(self._mlflow.start_run).parameters
        self._mlflow_kwargs = check_kwargs(
            "mlflow_kwargs",
            mlflow_kwargs,
            [name for name in start_run_args if name not in _RESERVED_KWARGS],
            owner=_OWNER,
            what="keyword arguments of mlflow.start_run",
        )
        self._tag_study_user_attrs = check_bool(
            "tag_study_user_attrs", tag_study_user_attrs, owner=_OWNER
        )
        self._tag_trial_user_attrs = check_bool(
            "tag_trial_user_attrs", tag_trial_user_attrs, owner=_OWNER
        )
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Log ``trial`` (finished) as an MLflow run, resuming the decorator's run if any."""
        names = metric_names(self._metric_name, len(study.directions), owner=_OWNER)
        mlflow = self._mlflow
        with self._lock:
            experiment_id = self._experiment_id(study)
            run_id = trial.system_attrs.get(RUN_ID_ATTRIBUTE_KEY)
            if run_id is None:
                run = mlflow.start_run(**self._start_kwargs(trial.number, experiment_id))
            else:  # the run track_in_mlflow opened: resume it
                run = mlflow.start_run(
                    run_id=run_id, nested=bool(self._mlflow_kwargs.get("nested", False))
                )
            with run:
                if trial.values is not None:
                    mlflow.log_metrics(dict(zip(names, trial.values, strict=True)))
                limit = int(mlflow.utils.validation.MAX_PARAM_VAL_LENGTH)
                mlflow.log_params({k: truncate(str(v), limit) for k, v in trial.params.items()})
                mlflow.set_tags(self._tags(study, trial))

    def track_in_mlflow(self) -> Callable[[Objective], Objective]:
        """Decorate an objective so that what it logs to MLflow goes to its trial's run.

        The wrapper opens the trial's run (as the callback would) before calling the
        objective and records its id in the trial's system attributes; the callback then
        adds the parameters, values and tags to that same run. Use the callback in the
        same ``optimize`` call.

        Example:
            >>> callback = MLflowCallback(tracking_uri="sqlite:///mlflow.db")
            >>> @callback.track_in_mlflow()
            ... def objective(trial):
            ...     return trial.suggest_float("x", 0, 1)
            >>> objective.__name__
            'objective'
        """

        def decorator(func: Objective) -> Objective:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> float | Sequence[float]:
                with self._lock:
                    experiment_id = self._experiment_id(trial.study)
                    run = self._mlflow.start_run(**self._start_kwargs(trial.number, experiment_id))
                with run:  # ends the run as FAILED if the objective raises
                    trial.set_system_attr(RUN_ID_ATTRIBUTE_KEY, run.info.run_id)
                    return func(trial)

            return wrapper

        return decorator

    # -- helpers ----------------------------------------------------------------------------
    def _experiment_id(self, study: Any) -> str | None:
        """Point MLflow at the tracking URI; the experiment for the study's runs (None: MLflow's)."""
        if self._tracking_uri is not None:
            self._mlflow.set_tracking_uri(self._tracking_uri)
        given = self._mlflow_kwargs.get("experiment_id")
        if self._create_experiment:
            experiment = self._mlflow.set_experiment(study.study_name)
            return str(given) if given is not None else str(experiment.experiment_id)
        return None if given is None else str(given)

    def _start_kwargs(self, number: int, experiment_id: str | None) -> dict[str, Any]:
        kwargs = dict(self._mlflow_kwargs)
        kwargs["experiment_id"] = experiment_id
        kwargs.setdefault("run_name", str(number))
        kwargs["nested"] = bool(kwargs.get("nested", False))
        return kwargs

    def _tags(self, study: Study, trial: FrozenTrial) -> dict[str, str]:
        tags: dict[str, Any] = dict(self._mlflow_kwargs.get("tags") or {})
        tags["number"] = trial.number
        tags["datetime_start"] = trial.datetime_start
        tags["datetime_complete"] = trial.datetime_complete
        if trial.state.is_finished():
            tags["state"] = trial.state.name
        directions = [d.name for d in study.directions]
        tags["direction"] = directions[0] if len(directions) == 1 else directions
        for name, distribution in trial.distributions.items():
            tags[f"{name}_distribution"] = distribution
        if self._tag_trial_user_attrs:
            tags.update(trial.user_attrs)
        if self._tag_study_user_attrs:
            tags.update(study.user_attrs)
        limit = int(self._mlflow.utils.validation.MAX_TAG_VAL_LENGTH)
        return {str(k): truncate(str(v), limit) for k, v in tags.items()}
