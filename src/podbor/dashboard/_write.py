"""The dashboard's write routes; they exist only when the server runs with ``allow_write``.

Each one goes through the public storage and study API (as a script would) and answers JSON:
deleting a study, storing its note (a study system attribute), telling a RUNNING or WAITING
trial by hand (a person in the loop) and enqueueing a trial with given parameters. The guard
in front (:mod:`._security`) has already checked the CSRF token and the ``Origin`` header.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from podbor._study_core import FIXED_PARAMS_KEY
from podbor.dashboard._json import trial_row
from podbor.dashboard._routes import (
    NOTE_KEY,
    ApiResponse,
    BadRequest,
    Context,
    context,
    error_response,
    int_argument,
)
from podbor.exceptions import UpdateFinishedTrialError
from podbor.trial import TrialState

__all__ = ["MAX_NOTE_LENGTH", "write_routes"]

MAX_NOTE_LENGTH = 100_000
"""The longest note (in characters) a study keeps."""

_MAX_BODY = 12 * MAX_NOTE_LENGTH + 65_536  # bytes: a note fits even written as \uXXXX pairs
_TOLD_STATES = {
    "COMPLETE": TrialState.COMPLETE,
    "PRUNED": TrialState.PRUNED,
    "FAIL": TrialState.FAIL,
}

Work = Callable[[Context, dict[str, Any], dict[str, Any]], Any]
"""A write: the context, the path's arguments and the JSON body → the answer's body."""


def _write(work: Work, *, needs_body: bool = True) -> Callable[[Request], Any]:
    """An endpoint that reads the JSON body and runs ``work(ctx, path, body)`` off the loop."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await _json_body(request) if needs_body else {}
            path = dict(request.path_params)
            result = await run_in_threadpool(work, context(request), path, body)
        except Exception as err:
            return error_response(err)
        return ApiResponse(result)

    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's body: a JSON object."""
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise BadRequest(f"The request's body is too large ({len(raw)} bytes).")
    try:
        body = json.loads(raw or b"null")
    except ValueError as err:
        raise BadRequest(f"The request's body must be JSON: {err}.") from None
    if not isinstance(body, dict):
        raise BadRequest(f"The request's body must be a JSON object. Got {type(body).__name__}.")
    return body


def _field(body: dict[str, Any], name: str, kind: type, what: str, *, optional: bool) -> Any:
    """A field of the body, checked against ``kind``."""
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind):
        shown = json.dumps(value)[:200]
        raise BadRequest(f"The field {name!r} must be {what}. Got {shown} instead.")
    return value


# -- the work -----------------------------------------------------------------------------------
def _study_id(path: dict[str, Any]) -> int:
    """The study id the path names (400 when it is not an integer)."""
    return int_argument(path["study_id"], "study_id")


def _delete(ctx: Context, path: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    study_id = _study_id(path)
    monitor = ctx.monitors.get(study_id)
    name = monitor.name
    ctx.source.storage.delete_study(study_id)
    ctx.monitors.forget(study_id)
    return {"deleted": name}


def _note(ctx: Context, path: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    study_id = _study_id(path)
    note = _field(body, "note", str, "a string", optional=False)
    if len(note) > MAX_NOTE_LENGTH:
        raise BadRequest(
            f"A note holds at most {MAX_NOTE_LENGTH:,} characters; this one has {len(note):,}."
        )
    ctx.monitors.get(study_id)  # 404 for no such study
    ctx.source.storage.set_study_system_attr(study_id, NOTE_KEY, note)
    return {"note": note}


def _tell(ctx: Context, path: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    study_id = _study_id(path)
    state_name = _field(body, "state", str, "'COMPLETE', 'PRUNED' or 'FAIL'", optional=False)
    if state_name not in _TOLD_STATES:
        raise BadRequest(
            f"The field 'state' must be 'COMPLETE', 'PRUNED' or 'FAIL'. Got {state_name!r}."
        )
    values = _field(body, "values", list, "a list of numbers or null", optional=True)
    if values is not None and not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    ):
        raise BadRequest("The field 'values' must be a list of numbers or null.")
    number = int_argument(path["number"], "number")
    monitor = ctx.monitors.get(study_id)
    storage = ctx.source.storage
    trial_id = _trial_id(storage, study_id, number)
    trial = storage.get_trial(trial_id)
    if trial.state == TrialState.WAITING:  # a person runs it: claim it first, as a worker would
        storage.set_trial_state_values(trial_id, TrialState.RUNNING)
        trial = storage.get_trial(trial_id)
    if trial.state != TrialState.RUNNING:
        raise UpdateFinishedTrialError(
            f"Trial {number} is {trial.state.name}: only a RUNNING or WAITING trial can be told."
        )
    told = monitor.study().tell(number, values, state=_TOLD_STATES[state_name])
    return trial_row(told)


def _trial_id(storage: Any, study_id: int, number: int) -> int:
    """The id of trial ``number`` of the study; KeyError (404) for none."""
    try:
        return int(storage.get_trial_id_from_study_id_trial_number(study_id, number))
    except KeyError:
        raise KeyError(f"The study {study_id} has no trial number {number}.") from None


def _enqueue(ctx: Context, path: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    study_id = _study_id(path)
    params = _field(body, "params", dict, "a JSON object of parameter → value", optional=False)
    user_attrs = _field(body, "user_attrs", dict, "a JSON object", optional=True) or {}
    monitor = ctx.monitors.get(study_id)
    study = monitor.study()
    study.enqueue_trial(params, user_attrs=user_attrs)
    return {"number": _enqueued_number(ctx, study_id, params, user_attrs)}


def _enqueued_number(
    ctx: Context, study_id: int, params: dict[str, Any], user_attrs: dict[str, Any]
) -> int:
    """The number of the trial just enqueued: the newest one still WAITING with these params
    (or, should a worker have taken it already, the newest with these params)."""
    storage = ctx.source.storage
    for states in ((TrialState.WAITING,), None):
        trials = storage.get_all_trials(study_id, deepcopy=False, states=states)
        for trial in reversed(trials):
            if (
                trial.system_attrs.get(FIXED_PARAMS_KEY) == params
                and trial.user_attrs == user_attrs
            ):
                return int(trial.number)
    raise KeyError(f"The trial enqueued in study {study_id} is gone (was the study deleted?).")


def write_routes() -> list[BaseRoute]:
    """The write routes (mounted only with ``allow_write``)."""
    study = "/api/studies/{study_id}"
    return [
        Route(study, _write(_delete, needs_body=False), methods=["DELETE"]),
        Route(f"{study}/note", _write(_note), methods=["PUT"]),
        Route(f"{study}/trials/{{number}}/tell", _write(_tell), methods=["POST"]),
        Route(f"{study}/enqueue", _write(_enqueue), methods=["POST"]),
    ]
