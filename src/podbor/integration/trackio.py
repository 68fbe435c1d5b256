"""Track a study in Trackio: the trials as steps of one run, or one run per trial.

:class:`TrackioCallback` is a study callback for `Trackio <https://github.com/gradio-app/trackio>`_,
an experiment tracker that keeps its runs in a local SQLite file (under ``TRACKIO_DIR``, by
default ``~/.cache/huggingface/trackio``) with no account and no network; ``space_id=`` or
``dataset_id=`` also publish them on the Hugging Face Hub. By default the study is one run,
named after the study, and each finished trial logs its parameters, value(s) and number at step
``trial.number``. With ``as_multirun=True`` each trial is its own run, ``trial/<number>/<study
name>``. The :meth:`~TrackioCallback.track_in_trackio` decorator opens the trial's run before the
objective, so that what the objective logs with ``trackio.log`` lands in it.

Names, arguments and defaults are those of ``optuna_integration.TrackioCallback``; Trackio is
imported when the callback is built (``pip install podbor[trackio]``). Use it with ``n_jobs=1``:
Trackio has one current run per process. Where optuna-integration differs:

* without the decorator its callback logs nothing (it prints a note in multirun mode); here the
  callback opens the run it needs, so ``callbacks=[TrackioCallback(...)]`` alone tracks the study;
* its multirun decorator finishes the trial's run before the callback logs the trial into it;
  here the callback logs the trial, then finishes the run;
* its first trial is logged to a run named ``optuna-study``, the later ones to a run named after
  the study; here every trial goes to the study's run.

Example:
    >>> import os, tempfile
    >>> os.environ["TRACKIO_DIR"] = tempfile.mkdtemp()  # before Trackio is first imported
    >>> import podbor
    >>> from podbor.integration.trackio import TrackioCallback
    >>> callback = TrackioCallback("demo-project")
    >>> study = podbor.create_study(study_name="demo")
    >>> study.optimize(
    ...     lambda t: t.suggest_float("x", 0, 1), n_trials=3, callbacks=[callback]
    ... )  # doctest: +ELLIPSIS
    * ...
    >>> callback.finish()  # doctest: +ELLIPSIS
    * ...
    >>> import trackio
    >>> [row["step"] for row in trackio.SQLiteStorage.get_logs("demo-project", "demo")]
    [0, 1, 2]
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from podbor.exceptions import TrialPruned, invalid_argument
from podbor.integration._common import check_name, require
from podbor.integration._tracking import check_bool, check_kwargs, check_metric_name, metric_names

if TYPE_CHECKING:
    from podbor.study import Study
    from podbor.trial import FrozenTrial, Trial

__all__ = ["TrackioCallback"]

_OWNER = "TrackioCallback"
_RESUME = ("allow", "must", "never")
# trackio.init's arguments that the callback sets itself (not accepted in trackio_kwargs)
_OWN = frozenset({"project", "name", "space_id", "dataset_id", "private", "resume"})

Objective = Callable[["Trial"], "float | Sequence[float]"]


def _optional_str(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise invalid_argument(
            name,
            value,
            "None or a non-empty str such as 'username/name' on the Hugging Face Hub",
            owner=_OWNER,
            wrong_type=not isinstance(value, str),
        )
    return value


class TrackioCallback:
    """Log every finished trial of a study to Trackio.

    Each finished trial logs ``{**trial.params, **values, "trial_number": trial.number}``,
    where ``values`` maps the metric name(s) to the objective value(s) (a pruned trial's is its
    last report; a failed trial has none). In the study's run the step is the trial number; in
    a trial's own run the row comes after what the objective logged. Objectives wrapped by
    :meth:`track_in_trackio` also log ``trial_state`` (``"pruned"`` or ``"failed"``, with the
    ``error``) when they stop early, as optuna-integration does.

    Args:
        project: The Trackio project (its local database, and its name on the Hub).
        metric_name: The name of the objective value. For several objectives either one name
            per objective, in the order the objective returns them, or one ``str`` that is
            numbered: ``"value"`` logs ``value_0``, ``value_1``, ...
        as_multirun: One Trackio run per trial instead of one for the whole study.
        space_id: A Hugging Face Space (``"username/space"``) to publish the project's
            dashboard to; ``None`` keeps everything local.
        dataset_id: A Hugging Face Dataset (``"username/dataset"``) to export the logs to.
        private: Whether a Space or Dataset it creates is private (``None``: the Hub's
            default).
        resume: What ``trackio.init`` does with a run name that exists: ``"allow"`` (resume
            it, else start it), ``"must"`` (resume it, or fail), ``"never"`` (start a new one).
        trackio_kwargs: Further keyword arguments of ``trackio.init`` (``group``, ``config``,
            ``auto_log_cpu``, ...), used for every run the callback opens.

    Raises:
        ImportError: Trackio is not installed.
        podbor.exceptions.InvalidArgumentError: a bad argument (a ``TypeError`` too for a
            wrong type), naming it; a ``metric_name`` list whose length is not the number of
            objectives is reported at the first trial.

    Example:
        >>> import os, tempfile
        >>> os.environ["TRACKIO_DIR"] = tempfile.mkdtemp()
        >>> import podbor
        >>> callback = TrackioCallback("tuning", metric_name="loss", as_multirun=True)
        >>> study = podbor.create_study(study_name="mlp")
        >>> study.optimize(
        ...     lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[callback]
        ... )  # doctest: +ELLIPSIS
        * ...
        >>> import trackio
        >>> sorted(trackio.SQLiteStorage.get_runs("tuning"))
        ['trial/0/mlp', 'trial/1/mlp']
    """

    def __init__(
        self,
        project: str,
        metric_name: str | Sequence[str] = "value",
        *,
        as_multirun: bool = False,
        space_id: str | None = None,
        dataset_id: str | None = None,
        private: bool | None = None,
        resume: str = "allow",
        trackio_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self._trackio: Any = require("trackio", package="Trackio", extra="trackio", owner=_OWNER)
        self._project = check_name(
            project, "project", "the name of a Trackio project", owner=_OWNER
        )
        self._metric_name = check_metric_name(metric_name, owner=_OWNER)
        self._as_multirun = check_bool("as_multirun", as_multirun, owner=_OWNER)
        self._space_id = _optional_str("space_id", space_id)
        self._dataset_id = _optional_str("dataset_id", dataset_id)
        if private is not None:
            check_bool("private", private, owner=_OWNER)
        self._private = private
        if resume not in _RESUME:
            raise invalid_argument(
                "resume",
                resume,
                "one of 'allow', 'must', 'never'",
                owner=_OWNER,
                wrong_type=not isinstance(resume, str),
            )
        self._resume = resume
        init_names = inspect.signature(self._trackio.init).parameters
        self._trackio_kwargs = check_kwargs(
            "trackio_kwargs",
            trackio_kwargs,
            sorted(set(init_names) - _OWN),
            owner=_OWNER,
            what="keyword arguments of trackio.init other than the callback's own",
        )
        self._run: Any = None  # the run this callback opened and has not finished
        self._run_name: str | None = None

    @property
    def project(self) -> str:
        """The Trackio project the runs are logged to."""
        return self._project

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Log ``trial`` (finished) to its run; in multirun mode, then finish that run."""
        names = metric_names(self._metric_name, len(study.directions), owner=_OWNER)
        metrics: dict[str, Any] = dict(trial.params)
        if trial.values is not None:
            metrics.update(zip(names, trial.values, strict=True))
        metrics["trial_number"] = trial.number
        run = self._open(self._name(study.study_name, trial.number))
        run.log(metrics, step=None if self._as_multirun else trial.number)
        if self._as_multirun:
            self.finish()

    def track_in_trackio(self) -> Callable[[Objective], Objective]:
        """Decorate an objective so that what it logs with ``trackio.log`` goes to its run.

        The wrapper opens the trial's run (the study's, or with ``as_multirun`` the trial's own)
        before calling the objective. When the objective raises, it logs ``trial_state``
        (``"pruned"``, or ``"failed"`` and the ``error``) and lets the exception go on. Use
        the callback in the same ``optimize``: it logs the finished trial and, with
        ``as_multirun``, finishes the trial's run.

        Example:
            >>> import os, tempfile
            >>> os.environ["TRACKIO_DIR"] = tempfile.mkdtemp()
            >>> import podbor, trackio
            >>> callback = TrackioCallback("inside")
            >>> @callback.track_in_trackio()
            ... def objective(trial):
            ...     x = trial.suggest_float("x", -10, 10)
            ...     trackio.log({"distance": abs(x - 2)}, step=trial.number)
            ...     return (x - 2) ** 2
            >>> study = podbor.create_study(study_name="inside")
            >>> study.optimize(objective, n_trials=2, callbacks=[callback])  # doctest: +ELLIPSIS
            * ...
            >>> callback.finish()  # doctest: +ELLIPSIS
            * ...
        """

        def decorator(func: Objective) -> Objective:
            @functools.wraps(func)
            def wrapper(trial: Trial) -> float | Sequence[float]:
                study = getattr(trial, "study", None)  # a FixedTrial has none
                study_name = study.study_name if study is not None else "study"
                run = self._open(self._name(study_name, trial.number))
                try:
                    return func(trial)
                except TrialPruned:
                    run.log({"trial_state": "pruned"})
                    raise
                except Exception as err:
                    run.log({"trial_state": "failed", "error": str(err)})
                    raise

            return wrapper

        return decorator

    def finish(self) -> None:
        """Finish the run this callback has open (the study's run after ``optimize``), if any.

        Trackio also finishes it when the process exits; call this to close it sooner, e.g.
        before starting another tracker's run.
        """
        if self._run is not None:
            run, self._run, self._run_name = self._run, None, None
            if self._trackio.context_vars.current_run.get() is run:
                self._trackio.finish()
            else:
                run.finish()

    # -- helpers ----------------------------------------------------------------------------
    def _name(self, study_name: str, number: int) -> str:
        return f"trial/{number}/{study_name}" if self._as_multirun else study_name

    def _open(self, name: str) -> Any:
        """The open run called ``name``, opened now (finishing another one first) if need be.

        A run counts as open while it is Trackio's current run: after a ``trackio.finish()``
        of the user's, or ``trackio.init`` of another run, the study's run is resumed.
        """
        current = self._trackio.context_vars.current_run.get()
        if self._run is not None and self._run_name == name and current is self._run:
            return self._run
        self.finish()
        self._run = self._trackio.init(
            project=self._project,
            name=name,
            space_id=self._space_id,
            dataset_id=self._dataset_id,
            private=self._private,
            resume=self._resume,
            **self._trackio_kwargs,
        )
        self._run_name = name
        return self._run
