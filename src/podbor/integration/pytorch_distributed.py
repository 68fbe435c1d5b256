"""``TorchDistributedTrial``: one trial shared by every process of a PyTorch distributed run.

optuna-integration's class of the same name and signature. Under distributed data parallel
training (``torch.distributed``, ``DistributedDataParallel``) every process runs the objective;
rank 0 holds the study's trial and the other ranks pass ``None``. Each ``suggest_*``,
``report``, ``should_prune`` and ``set_*_attr`` call runs on rank 0's trial, and its result, or
the error it raised, reaches every rank in one ``broadcast_object_list`` on the process group:
all ranks train with the same parameters, stop together when the pruner gives up on the trial,
and raise together when rank 0's call fails (a bad argument, a storage error) instead of
waiting for a rank that has left. The properties (``number``, ``params``, ``user_attrs``, ...)
are copies that rank 0 sends with every result, so reading one is local and never blocks.

PyTorch is imported when a trial is built (``import podbor.integration.pytorch_distributed``
works without it); a missing PyTorch gives an ``ImportError`` naming ``pip install
podbor[torch]``.

Example:
    >>> import torch.distributed as dist
    >>> from podbor.trial import FixedTrial
    >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    >>> try:
    ...     trial = TorchDistributedTrial(FixedTrial({"lr": 0.01}))
    ...     print(trial.suggest_float("lr", 1e-4, 1.0, log=True), trial.should_prune())
    ... finally:
    ...     dist.destroy_process_group()
    0.01 False
"""

from __future__ import annotations

import datetime
import pickle
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from podbor._deprecated import experimental
from podbor._records.base_trial import BaseTrial
from podbor.distributions import BaseDistribution, CategoricalChoiceType
from podbor.exceptions import InvalidArgumentError, invalid_argument, safe_repr
from podbor.integration._common import require

if TYPE_CHECKING:
    from torch.distributed import ProcessGroup

__all__ = ["TorchDistributedTrial"]

_OWNER = "TorchDistributedTrial"

# Backends that move CPU tensors; a default group on any other (NCCL, ...) gets a gloo twin.
_CPU_BACKENDS = ("gloo", "mpi", "ucc", "cpu:")

# The gloo group made for a default group that cannot carry CPU tensors, with that group: made
# once per process group (by a collective call), and again after the group is re-created.
_gloo_twin: tuple[Any, Any] | None = None


class _State(NamedTuple):
    """What rank 0's trial shows: the properties every rank reads locally."""

    number: int
    params: dict[str, Any]
    distributions: dict[str, BaseDistribution]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    datetime_start: datetime.datetime | None


def _state_of(trial: BaseTrial) -> _State:
    return _State(
        trial.number,
        trial.params,
        trial.distributions,
        trial.user_attrs,
        trial.system_attrs,
        trial.datetime_start,
    )


@experimental("0.1.0")
class TorchDistributedTrial(BaseTrial):
    """A trial that every process of a ``torch.distributed`` run calls at once.

    It has the methods and properties of :class:`~podbor.Trial`. Every rank must make the
    same calls in the same order: each call is a collective operation over ``group``. Rank 0
    makes the call on its trial and sends the result to the others; an exception raised there
    is raised on every rank (with a note that it came from rank 0 elsewhere). A rank that calls
    something else than rank 0 at the same point gets a ``RuntimeError`` naming both calls.
    Rank 0's study must run its trials one at a time (``n_jobs=1``, the default).

    Args:
        trial: On rank 0 of ``group``, the objective's trial (a :class:`~podbor.Trial` from the
            study, or a :class:`~podbor.FixedTrial` / :class:`~podbor.FrozenTrial` to replay
            parameters); ``None`` on every other rank.
        group: The ``torch.distributed.ProcessGroup`` to communicate over; it must carry CPU
            tensors (gloo). ``None``: the default group, or, when its backend is NCCL (or
            another GPU-only backend), a gloo group over the same processes, made once on the
            first trial.

    Raises:
        RuntimeError: If ``torch.distributed`` is not initialized.
        ImportError: If PyTorch is not installed.
        podbor.exceptions.InvalidArgumentError: (a ``ValueError``) on every rank when rank 0
            passes no podbor trial or another rank passes one, or, on the ranks concerned,
            when this process is not a member of ``group``.

    Example:
        Every rank runs the objective; rank 0 also runs the study::

            def objective(trial):
                trial = TorchDistributedTrial(trial if dist.get_rank() == 0 else None)
                lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
                model = DistributedDataParallel(make_model())
                for epoch in range(20):
                    accuracy = train_one_epoch(model, lr)
                    trial.report(accuracy, epoch)
                    if trial.should_prune():  # the same answer on every rank
                        raise podbor.TrialPruned()
                return accuracy

            if dist.get_rank() == 0:
                study.optimize(objective, n_trials=30)
            else:
                for _ in range(30):
                    try:
                        objective(None)
                    except podbor.TrialPruned:
                        pass
    """

    def __init__(self, trial: BaseTrial | None, group: ProcessGroup | None = None) -> None:
        torch = require("torch", package="PyTorch", extra="torch", owner=_OWNER)
        dist = torch.distributed
        if not dist.is_available() or not dist.is_initialized():
            raise RuntimeError(
                "torch distributed is not initialized: call torch.distributed."
                "init_process_group() in every process before building a TorchDistributedTrial."
            )
        if group is None:
            group = _default_group(dist)
        # new_group() gives the processes outside the group a marker (-100), not a group
        outside = isinstance(group, int) and group == dist.GroupMember.NON_GROUP_MEMBER
        if not outside and not isinstance(group, dist.ProcessGroup):
            raise invalid_argument(
                "group",
                group,
                "a torch.distributed.ProcessGroup or None",
                owner=_OWNER,
                wrong_type=True,
            )
        rank = -1 if outside else dist.get_rank(group)
        if rank < 0:
            raise invalid_argument(
                "group",
                "<a group without this process>" if outside else group,
                f"a process group this process (global rank {dist.get_rank()}) belongs to",
                owner=_OWNER,
            )
        self._dist = dist
        self._group = group
        self._rank: int = rank
        self._size: int = dist.get_world_size(group)
        self._src: int = dist.get_global_rank(group, 0)
        self._delegate = trial
        self._state = self._start(trial)

    # -- the collective calls -------------------------------------------------------------
    def _start(self, trial: BaseTrial | None) -> _State:
        """Check ``trial`` on every rank (one all-gather) and return rank 0's state."""
        error: BaseException | None = None
        if self._rank == 0 and not isinstance(trial, BaseTrial):
            error = invalid_argument(
                "trial",
                trial,
                "a podbor trial (Trial, FixedTrial, FrozenTrial) on rank 0",
                owner=_OWNER,
            )
        elif self._rank != 0 and trial is not None:
            error = invalid_argument(
                "trial",
                trial,
                f"None on rank {self._rank}: only rank 0 of the group holds the trial",
                owner=_OWNER,
            )
        state = None
        if self._rank == 0 and error is None:
            assert trial is not None
            try:
                state = _state_of(trial)
                pickle.dumps(state)  # the other ranks must be able to receive it
            except Exception as err:
                state, error = None, err
        if self._size == 1:
            gathered: list[Any] = [(_portable(error), state)]
        else:
            gathered = [None] * self._size
            self._dist.all_gather_object(gathered, (_portable(error), state), group=self._group)
        if error is not None:
            raise error
        for rank, (theirs, _) in enumerate(gathered):
            if theirs is not None:
                raise InvalidArgumentError(f"{_OWNER} failed on rank {rank} of the group: {theirs}")
        first: _State = gathered[0][1]
        return first

    def _run(self, tag: tuple[Any, ...], call: Callable[[BaseTrial], Any]) -> Any:
        """``call(trial)`` on rank 0; every rank returns its result or raises its exception.

        ``tag`` names the call (method, parameter name): a rank whose tag differs from rank 0's
        made another call at this point, and raises instead of taking rank 0's answer.
        """
        if self._rank != 0:
            theirs, result, error, state = self._exchange(None)
            self._state = state
            if theirs != tag:
                raise RuntimeError(
                    f"{_OWNER}: rank {self._rank} called {_describe(tag)} while rank 0 called "
                    f"{_describe(theirs)}; every rank must make the same trial calls in the "
                    "same order."
                )
            if error is not None:
                if hasattr(error, "add_note"):  # Python 3.11+
                    error.add_note(f"(raised by the trial on rank 0; seen on rank {self._rank})")
                raise error
            return result
        trial = self._delegate
        assert trial is not None
        try:
            result, error = call(trial), None
        except BaseException as err:  # KeyboardInterrupt too: the other ranks must not wait
            result, error = None, err
        state = self._state
        try:
            state = _state_of(trial)
        except Exception as err:  # pragma: no cover - a storage failing to read back
            error = error or err
        _, _, sent_error, self._state = self._exchange((tag, result, _portable(error), state))
        if error is None and sent_error is not None:  # the result could not be sent
            error = sent_error
        if error is not None:
            raise error
        return result

    def _exchange(self, message: Any) -> Any:
        """Send rank 0's ``message`` to every rank; return it (as sent) on every rank."""
        if self._size == 1:
            return message
        box: list[Any] = [None]
        if self._rank == 0:
            try:
                box[0] = pickle.dumps(message)
            except Exception as err:  # a result or an attribute pickle refuses
                message = (message[0], None, _unsendable(err), self._state)  # sent before
                box[0] = pickle.dumps(message)
        self._dist.broadcast_object_list(box, src=self._src, group=self._group)
        return message if self._rank == 0 else pickle.loads(box[0])

    # -- suggest --------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Rank 0's ``suggest_float``, the same value on every rank."""
        return float(
            self._run(
                ("suggest_float", name),
                lambda trial: trial.suggest_float(name, low, high, step=step, log=log),
            )
        )

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        """Rank 0's ``suggest_int``, the same value on every rank."""
        return int(
            self._run(
                ("suggest_int", name),
                lambda trial: trial.suggest_int(name, low, high, step=step, log=log),
            )
        )

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoiceType]
    ) -> CategoricalChoiceType:
        """Rank 0's ``suggest_categorical``, the same choice on every rank."""
        choice: CategoricalChoiceType = self._run(
            ("suggest_categorical", name),
            lambda trial: trial.suggest_categorical(name, choices),
        )
        return choice

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        return self._run(
            ("suggest", name),
            lambda trial: trial._suggest(name, distribution),
        )

    # -- reports and pruning --------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Report rank 0's ``value`` at ``step`` (the other ranks' values are not used)."""
        self._run(("report",), lambda trial: trial.report(value, step))

    def should_prune(self) -> bool:
        """Rank 0's pruner decision, the same on every rank."""
        return bool(self._run(("should_prune",), lambda trial: bool(trial.should_prune())))

    # -- attributes -----------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        """Set rank 0's ``value`` as the trial's user attribute ``key``."""
        self._run(("set_user_attr", key), lambda trial: trial.set_user_attr(key, value))

    def set_system_attr(self, key: str, value: Any) -> None:
        """Set rank 0's ``value`` as the trial's system attribute ``key``."""
        self._run(("set_system_attr", key), lambda trial: trial.set_system_attr(key, value))

    def set_constraint(self, key: str, value: float) -> None:
        """Record rank 0's constraint ``value`` (see :meth:`podbor.Trial.set_constraint`)."""
        self._run(("set_constraint", key), lambda trial: trial.set_constraint(key, value))

    @property
    def number(self) -> int:
        return self._state.number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._state.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._state.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._state.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._state.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._state.datetime_start

    def __repr__(self) -> str:
        return (
            f"TorchDistributedTrial(number={self.number}, rank={self._rank}/{self._size}, "
            f"params={self._state.params})"
        )


def _default_group(dist: Any) -> Any:
    """The default group, or a gloo group over its processes when it cannot carry CPU tensors."""
    global _gloo_twin
    world = dist.group.WORLD
    backend = str(dist.get_backend(world))
    if any(name in backend for name in _CPU_BACKENDS):
        return world
    if _gloo_twin is None or _gloo_twin[0] is not world:
        _gloo_twin = (world, dist.new_group(backend="gloo"))  # every rank makes it at once
    return _gloo_twin[1]


def _portable(error: BaseException | None) -> BaseException | None:
    """``error``, or a ``RuntimeError`` telling of it when the other ranks could not unpickle it."""
    if error is None:
        return None
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__qualname__} on rank 0: {safe_repr(str(error))}")
    return error


def _unsendable(err: BaseException) -> RuntimeError:
    return RuntimeError(
        f"{_OWNER}: rank 0's result could not be sent to the other ranks (pickle failed: {err})."
    )


def _describe(tag: tuple[Any, ...]) -> str:
    method, *name = tag
    return f"{method}({safe_repr(name[0])})" if name else f"{method}()"
