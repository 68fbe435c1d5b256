"""A snapshot block's trials as columns: one JSON line per chunk of trials, numbers in binary.

A snapshot line per trial cost ~11 µs a trial to write at 10⁵ trials: ~6 µs to build the row in
Python and ~5 µs for JSON to spell its floats and times as decimal text (``repr`` of a float
alone is ~0.5 µs). A chunk instead gathers the trials' fields into columns, and the columns of
floats (objective values, parameters' internal values, intermediate values) and of times
travel as little-endian 64-bit arrays in base64, which numpy writes and reads in bulk; the rest
(ids, states, attributes) stays JSON. Floats keep every bit (±inf and NaN included), times
every microsecond.

A chunk is a JSON object:

- ``trials``: how many; ``study``, ``id``, ``number``, ``state`` (``TrialState`` values): one
  entry per trial;
- ``n_values`` (``-1`` for ``values=None``) and ``values`` (float64, all trials' values in
  order);
- ``start``, ``complete``: ``{"us": int64}`` microseconds since 1970-01-01 (``NaT`` for
  ``None``) when every time of the column is naive, else ``{"iso": [text or null]}``;
- ``n_params`` per trial, then per parameter ``param_name`` (position in the chunk's
  ``param_names``), ``param_dist`` (position in the block head's distributions) and
  ``param_value`` (float64 internal values);
- ``user``, ``system``: the attributes, encoded as in journal lines (:mod:`._codec`);
- ``n_reports`` per trial, ``report_step`` and ``report_value`` (float64).
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor.distributions import BaseDistribution, FloatDistribution, IntDistribution
from podbor.storages._journal._codec import decode_attrs, encode_attrs

__all__ = ["CHUNK_TRIALS", "decode_chunk", "encode_chunk"]

CHUNK_TRIALS = 10_000
"""At most this many trials per chunk line (a line of ~1.5 MB at 4 parameters)."""

_EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)
_NAT = np.iinfo(np.int64).min  # numpy's "not a time": None
_NUMERIC = (FloatDistribution, IntDistribution)  # internal value: float(external)
_STATES = {state.value: state for state in TrialState}
_CODES = {state: state.value for state in TrialState}


def _pack(values: Sequence[float], dtype: str) -> str:
    """``values`` as a little-endian array of ``dtype`` (``"<f8"``, ``"<i8"``) in base64."""
    return base64.b64encode(np.asarray(values, dtype=dtype).tobytes()).decode("ascii")


def _unpack(text: str, dtype: str) -> npt.NDArray[Any]:
    """Inverse of :func:`_pack`."""
    return np.frombuffer(base64.b64decode(text, validate=True), dtype=dtype)


def _floats(values: Sequence[float]) -> str:
    return _pack(values, "<f8")


def _read_floats(text: str) -> list[float]:
    floats: list[float] = _unpack(text, "<f8").tolist()
    return floats


def _times(column: list[datetime.datetime | None]) -> dict[str, Any]:
    try:
        micros = [_NAT if t is None else (t - _EPOCH) // _MICROSECOND for t in column]
    except TypeError:  # a time with a time zone: kept as ISO text
        return {"iso": [None if t is None else t.isoformat() for t in column]}
    return {"us": _pack(micros, "<i8")}


def _read_times(encoded: dict[str, Any]) -> list[datetime.datetime | None]:
    if "us" in encoded:
        times: list[datetime.datetime | None] = (
            _unpack(encoded["us"], "<i8").view("datetime64[us]").tolist()
        )
        return times
    return [None if t is None else datetime.datetime.fromisoformat(t) for t in encoded["iso"]]


def encode_chunk(
    trials: Sequence[tuple[int, FrozenTrial]],
    dists: dict[int, int],
    new_dist: Callable[[BaseDistribution], int],
) -> dict[str, Any]:
    """The chunk of ``trials`` (study id, trial). ``dists`` maps ``id(distribution)`` to its
    position in the block's table; a distribution not in it yet is given to ``new_dist``, which
    adds it and returns its position.

    Raises:
        ValueError: An attribute JSON cannot hold (as :func:`._codec.encode_attr` says).
    """
    study: list[int] = []
    ids: list[int] = []
    numbers: list[int] = []
    states: list[int] = []
    n_values: list[int] = []
    values: list[float] = []
    starts: list[datetime.datetime | None] = []
    completes: list[datetime.datetime | None] = []
    n_params: list[int] = []
    names: dict[str, int] = {}
    param_names: list[int] = []
    param_dists: list[int] = []
    param_values: list[float] = []
    users: list[dict[str, Any]] = []
    systems: list[dict[str, Any]] = []
    n_reports: list[int] = []
    steps: list[int] = []
    reports: list[float] = []
    # bound once: this loop runs once per trial of a 10⁵-trial study
    name_at, dist_at, codes = names.get, dists.get, _CODES
    add_name, add_dist, add_param = param_names.append, param_dists.append, param_values.append
    for study_id, trial in trials:
        study.append(study_id)
        ids.append(trial._trial_id)
        numbers.append(trial._number)
        states.append(codes[trial.state])
        trial_values = trial._values
        if trial_values is None:
            n_values.append(-1)
        else:
            n_values.append(len(trial_values))
            values += trial_values
        starts.append(trial._datetime_start)
        completes.append(trial.datetime_complete)
        params, distributions = trial._params, trial._distributions
        n_params.append(len(distributions))
        for name, dist in distributions.items():
            at = name_at(name)
            if at is None:
                at = names[name] = len(names)
            add_name(at)
            at = dist_at(id(dist))
            add_dist(new_dist(dist) if at is None else at)
            value = params[name]
            add_param(float(value) if isinstance(dist, _NUMERIC) else dist.to_internal_repr(value))
        user, system = trial._user_attrs, trial._system_attrs
        users.append(encode_attrs(user, "user", stored=True))
        systems.append(encode_attrs(system, "system", stored=True))
        intermediate = trial.intermediate_values
        n_reports.append(len(intermediate))
        if intermediate:
            steps += intermediate.keys()
            reports += intermediate.values()
    return {
        "trials": len(ids),
        "study": study,
        "id": ids,
        "number": numbers,
        "state": states,
        "n_values": n_values,
        "values": _floats(values),
        "start": _times(starts),
        "complete": _times(completes),
        "n_params": n_params,
        "param_names": list(names),
        "param_name": param_names,
        "param_dist": param_dists,
        "param_value": _floats(param_values),
        "user": users,
        "system": systems,
        "n_reports": n_reports,
        "report_step": steps,
        "report_value": _floats(reports),
    }


def decode_chunk(
    chunk: dict[str, Any],
    table: Sequence[BaseDistribution],
    names: dict[str, str],
    keep_system: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[tuple[int, tuple[int, FrozenTrial]]]:
    """The trials of a chunk as ``(trial id, (study id, trial))``, in the chunk's order.

    ``table`` is the block's distributions, ``names`` the parameter names kept once (a name is
    taken from it when it is there), ``keep_system`` may swap a trial's system attributes for
    shared copies (:class:`._codec.StringCache`).

    Raises:
        ValueError: The chunk is not whole (columns of the wrong length or type).
    """
    k = chunk["trials"]
    study, ids, numbers, states = chunk["study"], chunk["id"], chunk["number"], chunk["state"]
    users, systems = chunk["user"], chunk["system"]
    n_values, n_params, n_reports = chunk["n_values"], chunk["n_params"], chunk["n_reports"]
    starts, completes = _read_times(chunk["start"]), _read_times(chunk["complete"])
    values = _read_floats(chunk["values"])
    param_values = _read_floats(chunk["param_value"])
    reports = _read_floats(chunk["report_value"])
    param_names, param_dists = chunk["param_name"], chunk["param_dist"]
    steps = chunk["report_step"]
    own = [names.setdefault(name, name) for name in chunk["param_names"]]
    per_trial = (study, ids, numbers, states, users, systems, n_values, n_params, n_reports)
    if (
        type(k) is not int
        or any(type(column) is not list or len(column) != k for column in per_trial)
        or len(starts) != k
        or len(completes) != k
        or sum(n for n in n_values if n > 0) != len(values)
        or not sum(n_params) == len(param_names) == len(param_dists) == len(param_values)
        or not sum(n_reports) == len(steps) == len(reports)
    ):
        raise ValueError("a snapshot chunk whose columns do not agree")
    out: list[tuple[int, tuple[int, FrozenTrial]]] = []
    at_value = at_param = at_report = 0
    for i in range(k):
        n = n_values[i]
        trial_values = None
        if n >= 0:
            trial_values = values[at_value : at_value + n]
            at_value += n
        params: dict[str, Any] = {}
        distributions: dict[str, BaseDistribution] = {}
        end = at_param + n_params[i]
        for name_at, dist_at, internal in zip(
            param_names[at_param:end], param_dists[at_param:end], param_values[at_param:end]
        ):
            name, dist = own[name_at], table[dist_at]
            params[name] = dist.to_external_repr(internal)
            distributions[name] = dist
        at_param = end
        end = at_report + n_reports[i]
        intermediate = dict(zip(steps[at_report:end], reports[at_report:end]))
        at_report = end
        user, system = users[i], systems[i]
        trial = FrozenTrial(
            numbers[i],
            _STATES[states[i]],
            None,
            starts[i],
            completes[i],
            params,
            distributions,
            decode_attrs(user),
            keep_system(decode_attrs(system)),
            intermediate,
            ids[i],
            values=trial_values,
        )
        out.append((ids[i], (study[i], trial)))
    return out
