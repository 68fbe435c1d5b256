"""``train``: a drop-in for ``lightgbm.train`` that tunes the parameters before it returns.

It runs a :class:`LightGBMTuner` on the same arguments and returns the best booster, so that
``booster = lightgbm.train(params, train_set, valid_sets=[valid])`` becomes a tuned training by
changing the import. For resuming, parallel runs or the tuning history, use
:class:`LightGBMTuner` itself (its :attr:`~LightGBMTuner.study`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from podbor.integration._lightgbm_tuner._base import StudyCallback
from podbor.integration._lightgbm_tuner._tuner import LightGBMTuner

if TYPE_CHECKING:
    import lightgbm as lgb

    from podbor.study import Study

__all__ = ["train"]


def train(
    params: dict[str, Any],
    train_set: lgb.Dataset,
    num_boost_round: int = 1000,
    valid_sets: list[lgb.Dataset] | tuple[lgb.Dataset, ...] | lgb.Dataset | None = None,
    valid_names: Any | None = None,
    feval: Callable[..., Any] | None = None,
    feature_name: str | None = None,
    categorical_feature: str | None = None,
    keep_training_booster: bool = False,
    callbacks: list[Callable[..., Any]] | None = None,
    time_budget: float | None = None,
    sample_size: int | None = None,
    study: Study | None = None,
    optuna_callbacks: list[StudyCallback] | None = None,
    model_dir: str | None = None,
    *,
    show_progress_bar: bool = True,
    optuna_seed: int | None = None,
) -> lgb.Booster:
    """Tune ``params`` stepwise (see :class:`LightGBMTuner`) and return the best booster.

    The arguments are those of :class:`LightGBMTuner`.

    Example:
        >>> import numpy as np, lightgbm as lgb
        >>> X = np.random.default_rng(0).normal(size=(60, 3)); y = X[:, 0]
        >>> booster = train({"objective": "regression", "verbosity": -1, "num_threads": 1},
        ...     lgb.Dataset(X, y),
        ...     num_boost_round=2, valid_sets=lgb.Dataset(X, y), time_budget=0.3,
        ...     show_progress_bar=False, optuna_seed=0)
        >>> booster.current_iteration()
        2
    """
    tuner = LightGBMTuner(
        params,
        train_set,
        num_boost_round=num_boost_round,
        valid_sets=valid_sets,
        valid_names=valid_names,
        feval=feval,
        feature_name=feature_name,
        categorical_feature=categorical_feature,
        keep_training_booster=keep_training_booster,
        callbacks=callbacks,
        time_budget=time_budget,
        sample_size=sample_size,
        study=study,
        optuna_callbacks=optuna_callbacks,
        model_dir=model_dir,
        show_progress_bar=show_progress_bar,
        optuna_seed=optuna_seed,
    )
    tuner.run()
    return tuner.get_best_booster()
