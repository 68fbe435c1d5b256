"""Reading a journal in parts (issue 21: a 10⁵-trial journal loads in bounded memory): every
line is read exactly as ``json.loads`` of that line alone reads it, a journal longer than many
parts replays the same as one read whole, and the one-expression checks of the common
operations never accept what the field-by-field checks refuse.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import podbor
from podbor.distributions import distribution_to_json
from podbor.storages import JournalStorage
from podbor.storages._journal import _check, _model, backend
from podbor.storages._journal._check import MalformedLineError, check_fields
from podbor.storages._journal._lines import LineParser, parse_line
from podbor.storages.journal import JournalFileBackend

_TRICKY = [
    b'{"op":"a","x":[1',  # with the next line, one JSON text of two objects: never one record
    b'2]},{"op":"b"}',
    b'  {"op":"blank before"}',
    b'{"op":"blank after"}  ',
    b'\xef\xbb\xbf{"op":"bom"}',
    b'{"op":"two"}{"op":"values"}',
    b'[{"op":"a list"}]',
    b'{"no":"op"}',
    b"",
    b"\x00\x01",
    b'{"op":"\xff not utf-8"}',
    b'{"op":"deep","v":' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"op":"nan","v":NaN}',
    b'{"op":"escaped \\u00e9 \\n"}',
    b'{"op":"set_param","trial_id":0,"name":"x","value":0.5,"dist":"{}"}',
]


def _reference(lines: list[bytes]) -> list[tuple[int, Any]]:
    return [(i + 2, r) for i, raw in enumerate(lines) if (r := parse_line(raw)) is not None]


@pytest.mark.parametrize(
    "kind", ["ascii", "utf8", "bad-bytes"], ids=["ascii-part", "utf8-part", "part-with-bad-bytes"]
)
def test_each_line_reads_as_json_loads_of_that_line_alone(kind: str) -> None:
    lines = list(_TRICKY)
    if kind == "utf8":  # a part that decodes as a whole takes the scanner's path for each line
        lines = [raw for raw in lines if b"\xff" not in raw]
    if kind == "ascii":  # what podbor writes: the run of whole lines is read without bytes
        lines = [raw for raw in lines if raw.isascii()]
        lines = lines[-1:] * 3 + lines + lines[-1:] * 2  # a run before the tricky ones, one after
    data = b"".join(raw + b"\n" for raw in lines)
    parser = LineParser(lambda raw, record: None, lambda message: None, "j", skip_damaged=True)
    result, blocked = parser.parse(data, 100, 2, more=False)
    assert not blocked
    assert result.records == _reference(lines)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet='{}[]",:0123456789.eE+- \tnulrtfasop\\u', max_size=30)
        | st.just('{"op":"x"}'),
        max_size=6,
    )
)
def test_generated_lines_read_as_json_loads_reads_them(texts: list[str]) -> None:
    lines = [t.replace("\n", "").encode() for t in texts]
    data = b"".join(raw + b"\n" for raw in lines)
    parser = LineParser(lambda raw, record: None, lambda message: None, "j", skip_damaged=True)
    result, _ = parser.parse(data, 100, 2, more=False)
    assert result.records == _reference(lines)


def _summary(storage: JournalStorage) -> list[Any]:
    study_id = storage.get_study_id_from_name("s")
    return [
        (t.number, t.state, t.values, t.params, t.user_attrs, t.intermediate_values)
        for t in storage.get_all_trials(study_id)
    ]


def test_a_journal_of_many_parts_replays_as_one_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "j.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study = podbor.create_study(storage=storage, study_name="s")

    def objective(trial: podbor.Trial) -> float:
        trial.set_user_attr("long", "x" * (trial.number * 40))  # lines longer than a part too
        trial.report(1.0, 0)
        return trial.suggest_float("x", 0, 1) + trial.suggest_int("n", 1, 3)

    study.optimize(objective, n_trials=12)
    n_lines = path.read_bytes().count(b"\n")
    with open(path, "ab") as f:  # a damaged line far into the file, then a good one
        f.write(b'{"op":"set_param", torn\n')
        good = {"op": "set_study_attr", "study_id": 0, "kind": "user", "key": "after", "value": 1}
        f.write(json.dumps(good).encode() + b"\n")
    expected = _summary(storage)

    monkeypatch.setattr(backend, "PART_BYTES", 97)  # dozens of parts, most lines straddling two
    with caplog.at_level(logging.WARNING, logger="podbor"):
        fresh = JournalStorage(JournalFileBackend(str(path)))  # reads without the lock first
    assert _summary(fresh) == expected
    assert fresh.get_study_user_attrs(0) == {"after": 1}
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any(f"line {n_lines + 1} " in m and str(path) in m for m in messages), messages
    parts = list(JournalFileBackend(str(path)).read_parts(0, locked=True))
    assert len(parts) > 30
    whole = JournalFileBackend(str(path)).read(0, locked=True)
    assert [r for p in parts for r in p.records] == whole.records
    assert (parts[-1].end, parts[-1].end_line) == (whole.end, whole.end_line)
    assert whole.end == path.stat().st_size


def test_a_line_far_longer_than_a_part_takes_few_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read of a line longer than a part is as long as what is held of it, so a line of
    ``n`` bytes takes ~log2(n / part) reads, not n / part reads that each copy all held so far
    (quadratic in the line's length)."""
    path = tmp_path / "j.log"
    study = podbor.create_study(storage=JournalStorage(JournalFileBackend(str(path))))
    study.set_user_attr("long", "x" * 200_000)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
    reads: list[int] = []

    class _Counted(io.FileIO):
        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return super().read(size)

    monkeypatch.setattr(backend, "PART_BYTES", 64)
    monkeypatch.setattr(backend, "open", lambda path, mode: _Counted(path, mode), raising=False)
    parts = list(JournalFileBackend(str(path)).read_parts(0, locked=True))
    records = [record for part in parts for record in part.records]
    assert any(op.get("key") == "long" and len(op["value"]) == 200_000 for _, op in records)
    assert parts[-1].end == path.stat().st_size
    assert len(reads) < 200, len(reads)  # 64-byte reads alone: ~3,100 for the long line


_ID = st.integers(min_value=-2, max_value=2**63 + 1) | st.booleans() | st.none()
_FLOATISH = (
    st.floats(allow_nan=True)
    | st.integers(min_value=-(2**1100), max_value=2**1100)
    | st.sampled_from(["inf", "-inf", "nan", "1.0", True, None, [1.0]])
)
_TIME = st.sampled_from(["2026-12-05T10:00:00.5", "not a time", None, 3, ""])
_MAYBE = st.just(None) | st.just("absent")
_FIELDS = {  # the fields of the common operations, good and bad, as lines can hold them
    "value": _FLOATISH,
    "values": st.none() | st.lists(_FLOATISH, max_size=2) | st.just("x"),
    "time": _TIME,
    "beat": _FLOATISH | _MAYBE,
    "worker": st.sampled_from(["abc", None, 3, "absent"]),
    "seq": _ID | _MAYBE,
}


@settings(max_examples=400, deadline=None)
@given(
    name=st.sampled_from(["set_param", "set_state", "create_trial"]),
    ids=_ID,
    **_FIELDS,
    state=st.sampled_from(["COMPLETE", "RUNNING", "NOPE", 1, None]),
    template=st.none()
    | st.just({"state": "COMPLETE"})
    | st.just(
        {
            "state": "COMPLETE",
            "values": [1.0],
            "datetime_start": None,
            "datetime_complete": None,
            "params": {"x": [0.5, "{}"]},
            "user_attrs": {"a": [1, {"b": None}]},
            "system_attrs": {},
            "intermediate_values": [[0, 1.0]],
        }
    ),
)
def test_the_quick_checks_never_accept_what_the_field_checks_refuse(
    name: str, ids: Any, value: Any, values: Any, time: Any, beat: Any, worker: Any, seq: Any,
    state: Any, template: Any,
) -> None:  # fmt: skip
    op: dict[str, Any] = {"op": name, "study_id": ids, "trial_id": ids, "name": "x", "dist": "{}"}
    op.update(value=value, values=values, time=time, state=state, template=template)
    for key, field in (("beat", beat), ("worker", worker), ("seq", seq)):
        if field != "absent":
            op[key] = field
    op = json.loads(json.dumps(op))  # what a line can hold
    if _check._FAST[name](op):
        check_fields(op)  # raises if the quick check let something through
    else:  # and the full check still decides the rest, with its words
        try:
            check_fields(op)
        except MalformedLineError as err:
            assert str(err).startswith(name)


# -- the replay's one-step path for the operations every trial writes ---------------------------
_DIST = distribution_to_json(podbor.distributions.FloatDistribution(0.0, 1.0))
_OTHER_DIST = distribution_to_json(podbor.distributions.FloatDistribution(0.0, 2.0))
# an int parameter: a value such as NaN or inf makes its ``to_external_repr`` raise
_INT_DIST = distribution_to_json(podbor.distributions.IntDistribution(0, 5))
_AT = "2026-12-05T10:00:00.5"


def _base_model() -> _model.JournalModel:
    """A study with trials in every state and parameters ``x`` (float) and ``k`` (int) known
    (through the general way)."""
    m = _model.JournalModel("the journal 'j'")
    m.apply({"op": "create_study", "name": "s", "directions": ["MINIMIZE"]})
    plain = {"state": "RUNNING", "values": None, "datetime_start": _AT, "datetime_complete": None}
    empty = {"params": {}, "user_attrs": {}, "system_attrs": {}, "intermediate_values": []}
    m.apply({"op": "create_trial", "study_id": 0, "time": _AT, "template": {**plain, **empty}})
    waiting = {**plain, "state": "WAITING", "datetime_start": None}
    m.apply({"op": "create_trial", "study_id": 0, "time": _AT, "template": {**waiting, **empty}})
    m.apply({"op": "create_trial", "study_id": 0, "time": _AT})
    for trial_id in (0, 2):
        m.apply({"op": "set_param", "trial_id": trial_id, "name": "x", "value": 0.5, "dist": _DIST})
    m.apply({"op": "set_param", "trial_id": 0, "name": "k", "value": 2.0, "dist": _INT_DIST})
    m.apply({"op": "set_state", "trial_id": 2, "state": "COMPLETE", "values": [1.0], "time": _AT})
    m.seal()
    return m


def _state_of(m: _model.JournalModel) -> Any:
    study = m.studies[0]
    trials = [
        (
            t.number, t._trial_id, t.state, t.values, t.datetime_start, t.datetime_complete,
            t.params, {k: distribution_to_json(d) for k, d in t.distributions.items()},
            t.user_attrs, t.system_attrs, t.intermediate_values,
        )
        for t in study.trials
    ]  # fmt: skip
    finished = {s: [t.number for t in run] for s, run in study.finished.items()}
    best = None if study.best is None else study.best.number
    return (
        trials, dict(m.heartbeats), list(study.waiting), list(study.running), finished, best,
        sorted(study.failed), list(study.dists), dict(m.changed), m.next_trial_id,
    )  # fmt: skip


def _outcome(m: _model.JournalModel, op: dict[str, Any]) -> str:
    try:
        result = m.apply(op)
    except Exception as err:  # the kind and the words of the error must agree too
        result = (type(err), str(err))
    m.seal()
    return repr((result, _state_of(m)))  # NaN, a value a line may hold, is not equal to itself


@settings(max_examples=600, deadline=None)
@given(
    name=st.sampled_from(["set_param", "set_state", "create_trial"]),
    ids=st.sampled_from([0, 1, 2, 3, 7, -1, True, None, 2**63]) | st.integers(0, 3),
    param=st.sampled_from(["x", "y", "k", 3]),
    **_FIELDS,
    state=st.sampled_from(["COMPLETE", "RUNNING", "FAIL", "WAITING", "PRUNED", "NOPE", 1, None]),
    dist=st.sampled_from([_DIST, _OTHER_DIST, _INT_DIST, "{}", 1]),
    template=st.none()
    | st.just("absent")
    | st.fixed_dictionaries(
        {
            "state": st.sampled_from(["RUNNING", "WAITING", "COMPLETE", 1]),
            "values": st.sampled_from([None, [1.0]]),
            "datetime_start": st.sampled_from([_AT, None, "not a time", 5]),
            "datetime_complete": st.sampled_from([None, _AT]),
            "params": st.sampled_from([{}, {"x": [0.25, _DIST]}, {"x": [0.25, _OTHER_DIST]}]),
            "user_attrs": st.sampled_from([{}, {"a": 1}]),
            "system_attrs": st.sampled_from(
                [{}, {"worker": "vm:1"}, {"nested": [1, {"b": None}]}, {"w": {"$json": "NaN"}}]
            ),
            "intermediate_values": st.sampled_from([[], [[0, 1.0]]]),
        }
    ),
)
def test_the_replays_one_step_path_changes_what_the_general_way_changes(
    name: str, ids: Any, param: Any, value: Any, values: Any, time: Any, beat: Any, worker: Any,
    seq: Any, state: Any, dist: Any, template: Any,
) -> None:  # fmt: skip
    op: dict[str, Any] = {"op": name, "study_id": ids, "trial_id": ids, "name": param}
    op.update(value=value, values=values, time=time, state=state, dist=dist)
    for key, field in (("beat", beat), ("worker", worker), ("seq", seq), ("template", template)):
        if field != "absent":
            op[key] = field
    op = json.loads(json.dumps(op))  # what a line can hold
    fast = _outcome(_base_model(), op)
    general = _base_model()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_model, "_REPLAY", {})  # every operation the general way
        assert _outcome(general, op) == fast
    # and the loop a replay of a part runs (``JournalModel.replay``) leaves the same state
    assert _replayed(_base_model(), op) == repr(_state_of(general))


def _replayed(m: _model.JournalModel, op: dict[str, Any]) -> str:
    """The state after :meth:`JournalModel.replay` of ``op`` alone, the general way being the
    storage's (:meth:`JournalModel.apply`, an error changing nothing)."""

    def general(op: dict[str, Any], number: int) -> None:
        assert number == m.line
        with contextlib.suppress(Exception):
            m.apply(op)

    m.replay([(m.line, op)], general)
    m.seal()
    return repr(_state_of(m))


def test_the_one_step_path_takes_the_lines_a_study_writes() -> None:
    """The common lines do take the one-step path (the test above would pass without it)."""
    m = _base_model()
    taken: list[str] = []
    for op_name, replay in _model._REPLAY.items():

        def spy(model: Any, op: Any, replay: Any = replay, op_name: str = op_name) -> Any:
            result = replay(model, op)
            if result is not _model._LOOK_CLOSER:
                taken.append(op_name)
            return result

        with pytest.MonkeyPatch.context() as patch:
            patch.setitem(_model._REPLAY, op_name, spy)
            template = {"state": "RUNNING", "values": None, "datetime_start": _AT}
            template.update(datetime_complete=None, params={}, user_attrs={})
            template.update(system_attrs={"worker": "vm:1"}, intermediate_values=[])
            ops = {
                "create_trial": {"study_id": 0, "time": _AT, "template": template, "beat": 1.5},
                "set_param": {"trial_id": 0, "name": "x", "value": 0.75, "dist": _DIST},
                "set_state": {"trial_id": 0, "state": "COMPLETE", "values": [0.5], "time": _AT},
            }
            m.apply({"op": op_name, **ops[op_name], "worker": "abc", "seq": 9})
    assert taken == ["create_trial", "set_param", "set_state"]
    assert m.studies[0].best is not None and m.studies[0].best.number == 0


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_line_whose_value_the_parameter_cannot_take_changes_nothing(
    tmp_path: Path, value: float
) -> None:
    """An int parameter's ``set_param`` line with a value no int can be (written by hand, or by
    another program): its replay raises inside the one-step path, and the load skips that line
    as it skips any line that fails (the parameter stays unset), instead of failing."""
    path = str(tmp_path / "j.log")
    study = podbor.create_study(storage=JournalStorage(JournalFileBackend(path)), study_name="s")
    study.ask().suggest_int("n", 1, 5)
    running = study.ask()
    with open(path) as f:
        line = next(json.loads(text) for text in f if '"set_param"' in text)
    line.update(trial_id=running._trial_id, value=value, seq=line["seq"] + 100)
    with open(path, "a") as f:
        f.write(json.dumps(line) + "\n")  # NaN and Infinity as JSON's readers accept them
    loaded = JournalStorage(JournalFileBackend(path))  # a fresh replay of every line
    assert loaded.get_trial(running._trial_id).params == {}
    assert loaded.get_trial(running._trial_id - 1).params.keys() == {"n"}
