"""
Pruning and fold-level cross-validation
=======================================

Most trials of a search are worse than the best one, and many of them show it early: after a
few epochs their validation curve is already below the others'. *Pruning* stops such a trial
before it has spent its whole budget. The objective reports an intermediate score after each
step with ``trial.report``; ``trial.should_prune()`` asks the study's *pruner* whether the
trial is still worth running.

The same idea applies to the seminar's k-fold cross-validation: each fold is a step, and a
configuration that does badly on its first folds need not be fitted on the rest.
:func:`podbor.validation.cross_validate` does this for any scikit-learn estimator.
"""

# %%
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import podbor
from podbor.validation import cross_validate, holdout_split

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_TRIALS = 100 if FULL else 20
N_EPOCHS = 30 if FULL else 12
N_CV_TRIALS = 100 if FULL else 30
# sphinx_gallery_end_ignore

# %%
# Hold-out: train, validation, test
# ---------------------------------
#
# The seminar splits the data in three: the model learns on *train*, the hyperparameters are
# chosen by the score on *validation*, and *test* is looked at once, at the end, to report the
# chosen model's quality. :func:`podbor.validation.holdout_split` makes the three parts, shuffled
# and, with ``stratify=True``, with the same share of each class in every part.

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_val, X_test, y_train, y_val, y_test = holdout_split(
    X, y, val_size=0.2, test_size=0.2, stratify=True, seed=0
)
print("train / validation / test rows:", len(X_train), len(X_val), len(X_test))

# %%
# Report and prune
# ----------------
#
# A linear classifier trained by stochastic gradient descent, one pass over the training rows
# per epoch, ``N_EPOCHS`` epochs (12 here). After each epoch the objective reports the
# validation accuracy and asks whether to go on; :class:`podbor.TrialPruned` ends the trial.
# The learning rate and the penalty are tuned.

classes = np.unique(y)


def objective(trial):
    model = SGDClassifier(
        loss="log_loss",
        learning_rate="constant",
        eta0=trial.suggest_float("eta0", 1e-5, 1.0, log=True),
        alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        random_state=0,
    )
    for epoch in range(N_EPOCHS):
        model.partial_fit(X_train, y_train, classes=classes)
        accuracy = model.score(X_val, y_val)
        trial.report(accuracy, step=epoch)
        if trial.should_prune():
            raise podbor.TrialPruned()
    return accuracy


# %%
# A study prunes with :class:`podbor.pruners.MedianPruner` unless told otherwise, as Optuna does:
# a trial is stopped when its score at a step is worse than the median of the earlier trials'
# scores at that step. Its defaults wait for five finished trials (``n_startup_trials=5``)
# before pruning anything. The study runs ``N_TRIALS`` trials (20 here). We use
# :class:`podbor.samplers.TPESampler` in this tutorial: AutoSampler hands studies with many
# pruned trials to TPE, since a GP learns nothing from a trial that did not finish (unless the
# pruner says where the trial was heading: :class:`~podbor.pruners.LearningCurvePruner`, below).

sampler = podbor.samplers.TPESampler(seed=0)
study = podbor.create_study(direction="maximize", sampler=sampler)
study.optimize(objective, n_trials=N_TRIALS)


def summary(study):
    pruned = study.get_trials(states=[podbor.TrialState.PRUNED])
    epochs = sum(len(t.intermediate_values) for t in study.trials)
    return {
        "best accuracy": round(study.best_value, 4),
        "pruned trials": len(pruned),
        "epochs run": epochs,
        "epochs without pruning": len(study.trials) * N_EPOCHS,
    }


print(summary(study))
print("Best parameters:", study.best_params)

# %%
# :func:`podbor.visualization.matplotlib.plot_intermediate_values` draws every trial's reports:
# the pruned curves stop early.

from podbor.visualization.matplotlib import plot_intermediate_values

ax = plot_intermediate_values(study)
ax.set_ylim(0.5, 1.0)
ax.figure.tight_layout()

# %%
# Before testing, fit the best configuration once more and score it on the test rows, which no
# trial has seen.

best = SGDClassifier(loss="log_loss", learning_rate="constant", random_state=0, **study.best_params)
for _ in range(N_EPOCHS):
    best.partial_fit(X_train, y_train, classes=classes)
print("Test accuracy of the chosen model:", round(best.score(X_test, y_test), 4))

# %%
# Other pruners
# -------------
#
# * :class:`podbor.pruners.SuccessiveHalvingPruner` (asynchronous successive halving) lets a
#   trial pass a *rung* (step 1, 4, 16, … with the defaults) only if it is among the best third
#   of the trials that reached that rung. It prunes harder than the median rule.
# * :class:`podbor.pruners.HyperbandPruner` runs several successive-halving brackets that differ
#   in how early they start pruning, so that a slow starter is not always killed.
# * :class:`podbor.pruners.LearningCurvePruner` (podbor's own) predicts where a curve will end
#   from its value and its recent slope, fitted on the complete trials' curves, and stops a
#   trial that is unlikely to beat the best one; a slow starter that is still climbing fast
#   survives. It records the prediction on the pruned trial, and the default sampler's GP
#   learns from it there: the last row uses it with :class:`~podbor.samplers.AutoSampler`.
# * :class:`podbor.pruners.NopPruner` never prunes: the baseline.
#
# Each of them below on the same objective, with the same sampler and seed. The numbers to
# compare are the best accuracy and the epochs spent.

pruners = {
    "NopPruner": podbor.pruners.NopPruner(),
    "SuccessiveHalvingPruner": podbor.pruners.SuccessiveHalvingPruner(),
    "HyperbandPruner": podbor.pruners.HyperbandPruner(min_resource=1, max_resource=N_EPOCHS),
}
rows = {"MedianPruner (the study above)": summary(study)}
for name, pruner in pruners.items():
    sampler = podbor.samplers.TPESampler(seed=0)
    s = podbor.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    s.optimize(objective, n_trials=N_TRIALS)
    rows[name] = summary(s)
s = podbor.create_study(
    direction="maximize",
    sampler=podbor.samplers.AutoSampler(seed=0),
    pruner=podbor.pruners.LearningCurvePruner(),
)
s.optimize(objective, n_trials=N_TRIALS)
rows["LearningCurvePruner + AutoSampler"] = summary(s)
pd.DataFrame(rows).T

# %%
# K-fold cross-validation, pruned fold by fold
# --------------------------------------------
#
# The seminar's other way to validate: split the training data into *k* folds, fit *k* times,
# each time validating on the fold left out, and average. It is a steadier estimate than one
# hold-out split, and *k* times dearer. :func:`podbor.validation.cross_validate` runs the folds
# one after another and reports each fold's score as a step (``trial.report(score, step=fold)``),
# so the pruner can stop a configuration after its first folds. It returns the mean and the
# per-fold scores, and stores them on the trial as user attributes (``cv_scores``,
# ``cv_mean``, …).
#
# Scores follow scikit-learn's rule that greater is better, so the study maximizes. Here: an
# RBF support-vector machine on the breast-cancer data (569 rows, 30 features), 5 folds,
# ``N_CV_TRIALS`` trials (30 here).

X, y = load_breast_cancer(return_X_y=True)


def cv_objective(trial):
    model = make_pipeline(
        StandardScaler(),
        SVC(
            C=trial.suggest_float("C", 1e-3, 1e3, log=True),
            gamma=trial.suggest_float("gamma", 1e-5, 1.0, log=True),
        ),
    )
    return cross_validate(trial, model, X, y, cv=5)["mean"]


# %%
# A :class:`podbor.pruners.PercentilePruner` with percentile 25 keeps a configuration only
# while each fold's score is in the best quarter of what the earlier trials scored on that
# fold. Every trial sees the same folds (``cv=5`` splits without shuffling), so fold *i* of one
# trial is compared with fold *i* of the others.

sampler = podbor.samplers.TPESampler(seed=0)
pruner = podbor.pruners.PercentilePruner(25.0, n_startup_trials=5)
cv_study = podbor.create_study(direction="maximize", sampler=sampler, pruner=pruner)
cv_study.optimize(cv_objective, n_trials=N_CV_TRIALS)

folds_fitted = sum(len(t.user_attrs["cv_scores"]) for t in cv_study.trials)
folds_full = len(cv_study.trials) * 5
print("Best mean accuracy:", round(cv_study.best_value, 4))
print("Best parameters:", cv_study.best_params)
print(
    "Per-fold scores of the best trial:", np.round(cv_study.best_trial.user_attrs["cv_scores"], 4)
)
print(f"Folds fitted: {folds_fitted} of {folds_full} ({folds_full - folds_fitted} saved)")

# %%
# A pruned trial keeps the folds it did run, so you can see where it was stopped:

for t in cv_study.get_trials(states=[podbor.TrialState.PRUNED])[:5]:
    print(t.number, np.round(t.user_attrs["cv_scores"], 4))

# %%
# SearchCV: the same as a scikit-learn estimator
# ----------------------------------------------
#
# :class:`podbor.validation.SearchCV` wraps all of this in the interface of scikit-learn's
# ``RandomizedSearchCV``: give it an estimator and a distribution per parameter, call ``fit``,
# read ``best_params_`` and ``best_score_``, predict with the refitted ``best_estimator_``. It
# builds the study itself and keeps it as ``study_``. By default its sampler is AutoSampler
# seeded by ``random_state`` and its pruner a median pruner that compares fold with fold; here
# we give it the sampler and pruner of the previous study, so that the two runs can be compared.

from podbor.distributions import FloatDistribution
from podbor.validation import SearchCV

search = SearchCV(
    make_pipeline(StandardScaler(), SVC()),
    {
        "svc__C": FloatDistribution(1e-3, 1e3, log=True),
        "svc__gamma": FloatDistribution(1e-5, 1.0, log=True),
    },
    n_trials=N_CV_TRIALS,
    cv=5,
    sampler=podbor.samplers.TPESampler(seed=0),
    pruner=podbor.pruners.PercentilePruner(25.0, n_startup_trials=5),
)
search.fit(X, y)
print("Best mean accuracy:", round(search.best_score_, 4))
print("Best parameters:", search.best_params_)

# %%
# With the same sampler, pruner and folds, ``SearchCV`` ran the same trials as the study above,
# so it found the same parameters. ``cv_results_`` is scikit-learn's dictionary of arrays; a
# pruned trial has NaN for the folds it never ran. Counting the finite fold scores gives the
# folds fitted:

split_scores = np.array([search.cv_results_[f"split{i}_test_score"] for i in range(5)])
fitted = int(np.isfinite(split_scores).sum())
print(f"Folds fitted: {fitted} of {split_scores.size} ({split_scores.size - fitted} saved)")

# %%
# On the project's benchmark (5-fold CV, 40 trials, three scikit-learn tasks) fold-level
# pruning fitted about half as many folds for the same test score; see the benchmarks page.
