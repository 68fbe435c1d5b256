"""Track a study in TensorBoard's HParams dashboard, with the ``tensorboard`` package alone.

:class:`TensorBoardCallback` is a study callback. It writes an hparams *experiment* (one
hyperparameter per parameter of the study, with its range or choices, and the objective(s) as
metrics) into ``dirname``, and one *session* per finished trial into ``dirname/trial-<number>``:
its parameter values, its value(s) as scalars and its outcome. ``tensorboard --logdir
dirname`` then shows the trials as a table, parallel coordinates and scatter plots; the
intermediate values a trial reported appear as its learning curve in the Scalars dashboard.

Optuna's callback of the same name needs TensorFlow to write these files; this one builds the
event records from TensorBoard's own protocol buffers, so ``pip install podbor[tensorboard]``
(``tensorboard`` only, no TensorFlow) is enough. Names and arguments follow
``optuna_integration.TensorBoardCallback``.

Example:
    >>> import tempfile
    >>> import podbor
    >>> from podbor.integration.tensorboard import TensorBoardCallback
    >>> def objective(trial):
    ...     return trial.suggest_float("x", -1, 1) ** 2
    >>> study = podbor.create_study()
    >>> with tempfile.TemporaryDirectory() as logdir:
    ...     callback = TensorBoardCallback(logdir, metric_name="loss")
    ...     study.optimize(objective, n_trials=2, callbacks=[callback])
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.exceptions import invalid_argument
from podbor.integration._common import require
from podbor.integration._tracking import check_metric_name, metric_names
from podbor.logging import get_logger
from podbor.trial import TrialState

if TYPE_CHECKING:
    from podbor.study import Study
    from podbor.trial import FrozenTrial

__all__ = ["TensorBoardCallback"]

_OWNER = "TensorBoardCallback"
_logger = get_logger(__name__)

INTERMEDIATE_TAG = "intermediate_value"
"""The scalar tag of the values a trial reported with ``trial.report`` (step = its step)."""

# The kinds of hparam TensorBoard knows. A parameter's domain is one of these, as a key to compare.
_Domain = tuple[str, Any, Any]


class TensorBoardCallback:
    """Write every finished trial of a study as a session of TensorBoard's HParams dashboard.

    ``dirname`` holds the experiment (the hyperparameters' domains: a float parameter is a real
    interval, an int one an int interval, a categorical one its choices; choices of mixed or
    unsupported types become strings, with a warning) and ``dirname/trial-<number>`` each
    trial's session: its parameters, its value(s) as scalars at step ``trial.number`` (a pruned
    trial's value is its last report; a failed one has none), the reported intermediate values
    under ``intermediate_value`` and a status: *success* when complete, *failure* when failed,
    *unknown* when pruned (TensorBoard has no "pruned"). Optuna's callback writes complete
    trials only. When later trials widen the search space, the experiment is written again.

    Args:
        dirname: The log directory (``tensorboard --logdir dirname``); created if needed.
        metric_name: The name of the objective value, e.g. ``"accuracy"``. For several
            objectives either one name per objective or one ``str`` numbered ``_0``, ``_1``...

    Raises:
        ImportError: tensorboard is not installed.
        podbor.exceptions.InvalidArgumentError: a bad argument (a ``TypeError`` too for a
            wrong type), naming it; a ``metric_name`` list whose length is not the number of
            objectives is reported at the first trial.

    Example:
        >>> import tempfile
        >>> callback = TensorBoardCallback(tempfile.mkdtemp(), ["error", "latency"])
    """

    def __init__(self, dirname: str | os.PathLike[str], metric_name: str | Sequence[str]) -> None:
        require("tensorboard", package="TensorBoard", extra="tensorboard", owner=_OWNER)
        from tensorboard.plugins.hparams import api_pb2, metadata, summary_v2

        self._api: Any = api_pb2
        self._hp: Any = summary_v2
        self._metadata: Any = metadata
        if not isinstance(dirname, (str, os.PathLike)) or not os.fspath(dirname):
            raise invalid_argument(
                "dirname",
                dirname,
                "a non-empty str or path of the log directory",
                owner=_OWNER,
                wrong_type=not isinstance(dirname, (str, os.PathLike)),
            )
        self._dirname = os.fspath(dirname)
        self._metric_name = check_metric_name(metric_name, owner=_OWNER)
        self._domains: dict[str, _Domain] = {}
        self._written_domains: dict[str, _Domain] | None = None
        self._written_names: list[str] = []
        self._config_file: str | None = None
        self._warned: set[str] = set()  # parameters whose choices were logged as text
        self._lock = threading.Lock()

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Write ``trial``'s session, updating the experiment first if its space grew."""
        names = metric_names(self._metric_name, len(study.directions), owner=_OWNER)
        with self._lock:
            if not self._domains:  # resuming a study: start from all the space seen so far
                for old in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                    self._add_distributions(old.distributions)
            self._add_distributions(trial.distributions)
            if self._domains != self._written_domains or names != self._written_names:
                self._write_experiment(names)
            self._write_session(trial, names)

    # -- the experiment ---------------------------------------------------------------------
    def _add_distributions(self, distributions: dict[str, BaseDistribution]) -> None:
        for name, distribution in distributions.items():
            domain = _domain_of(name, distribution, self._warned)
            old = self._domains.get(name)
            self._domains[name] = domain if old is None else _union(old, domain)

    def _write_experiment(self, names: list[str]) -> None:
        hp = self._hp
        hparams = [
            hp.HParam(name, _hp_domain(hp, domain)) for name, domain in self._domains.items()
        ]
        metrics = [hp.Metric(name) for name in names]
        summary = hp.hparams_config_pb(hparams, metrics, time_created_secs=time.time())
        previous = self._config_file
        self._config_file = self._write(self._dirname, [(summary, 0)], suffix=".hparams")
        if previous is not None and os.path.exists(previous):
            # TensorBoard keeps the first experiment it reads; only the newest must be there.
            os.remove(previous)
        self._written_domains = dict(self._domains)
        self._written_names = list(names)

    # -- one trial --------------------------------------------------------------------------
    def _write_session(self, trial: FrozenTrial, names: list[str]) -> None:
        hparams = {
            name: _session_value(self._domains[name], value) for name, value in trial.params.items()
        }
        run = f"trial-{trial.number}"
        start = trial.datetime_start.timestamp() if trial.datetime_start else time.time()
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else time.time()
        records: list[tuple[Any, int]] = [
            (self._hp.hparams_pb(hparams, trial_id=run, start_time_secs=start), 0)
        ]
        scalar_pb = _scalar_pb()
        for step, value in sorted(trial.intermediate_values.items()):
            records.append((scalar_pb(INTERMEDIATE_TAG, float(value)), step))
        if trial.values is not None:
            for name, value in zip(names, trial.values, strict=True):
                records.append((scalar_pb(name, float(value)), trial.number))
        records.append((self._session_end(trial.state, end), 0))
        self._write(os.path.join(self._dirname, run), records)

    def _session_end(self, state: TrialState, end_time: float) -> Any:
        status = {
            TrialState.COMPLETE: self._api.STATUS_SUCCESS,
            TrialState.FAIL: self._api.STATUS_FAILURE,
        }.get(state, self._api.STATUS_UNKNOWN)
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.plugins.hparams import plugin_data_pb2

        data = plugin_data_pb2.HParamsPluginData(
            session_end_info=plugin_data_pb2.SessionEndInfo(status=status, end_time_secs=end_time)
        )
        summary = summary_pb2.Summary()
        summary.value.add(
            tag=self._metadata.SESSION_END_INFO_TAG,
            metadata=self._metadata.create_summary_metadata(data),
            tensor=self._metadata.NULL_TENSOR,
        )
        return summary

    @staticmethod
    def _write(logdir: str, records: list[tuple[Any, int]], suffix: str = "") -> str:
        """Write ``(summary, step)`` records to a new event file in ``logdir``; its path."""
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        writer = EventFileWriter(logdir, filename_suffix=suffix)
        try:
            for summary, step in records:
                writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
        finally:
            writer.close()
        return str(writer._file_name)  # the writer has no public getter for its file


def _scalar_pb() -> Any:
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb

    return scalar_pb


def _domain_of(name: str, distribution: BaseDistribution, warned: set[str]) -> _Domain:
    """The hparam domain of a distribution: ("real"|"int", low, high) or ("discrete", type, values)."""
    if isinstance(distribution, FloatDistribution):
        return ("real", float(distribution.low), float(distribution.high))
    if isinstance(distribution, IntDistribution):
        return ("int", int(distribution.low), int(distribution.high))
    if isinstance(distribution, CategoricalDistribution):
        choices = tuple(distribution.choices)
        kind = type(choices[0])
        if kind in (bool, int, float, str) and all(type(c) is kind for c in choices):
            return ("discrete", kind, choices)
        if name not in warned:
            warned.add(name)
            _logger.warning(
                f"The choices of {name!r} are of mixed types or of a type TensorBoard does not show "
                f"(it shows bool, int, float and str): {_OWNER} logs them as strings."
            )
        return ("discrete", str, tuple(dict.fromkeys(str(c) for c in choices)))
    return ("any", None, None)  # a distribution TensorBoard has no domain for: values as text


def _union(old: _Domain, new: _Domain) -> _Domain:
    """One domain that holds both (the search space of a dynamic objective can change)."""
    if old == new:
        return old
    if old[0] == new[0] and old[0] in ("real", "int"):
        return (old[0], min(old[1], new[1]), max(old[2], new[2]))
    if old[0] == new[0] == "discrete" and old[1] is new[1]:
        return ("discrete", old[1], tuple(dict.fromkeys((*old[2], *new[2]))))
    if old[0] == "discrete" and new[0] == "discrete":
        as_text = (str(c) for c in (*old[2], *new[2]))
        return ("discrete", str, tuple(dict.fromkeys(as_text)))
    return ("any", None, None)


def _hp_domain(hp: Any, domain: _Domain) -> Any:
    kind, a, b = domain
    if kind == "real":
        return hp.RealInterval(a, b)
    if kind == "int":
        return hp.IntInterval(a, b)
    if kind == "discrete":
        return hp.Discrete(list(b), dtype=a)
    return None


def _session_value(domain: _Domain, value: Any) -> bool | int | float | str:
    """``value`` as the type its hparam holds (text for choices shown as strings)."""
    kind, dtype, _ = domain
    if kind == "real":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "discrete" and type(value) is dtype:
        return value  # type: ignore[no-any-return]
    return str(value)
