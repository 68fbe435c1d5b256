"""
Conditional search spaces
=========================

Podbor asks for hyperparameters *while the objective runs* ("define-by-run"). The search space
is therefore whatever your code asks for, and it can branch with an ordinary ``if``: a
parameter that belongs to one model is asked for only in the trials that chose that model.
Nothing has to be declared in advance.

This tutorial runs the seminar's conditional example (ridge or lasso, then that model's
``alpha``), looks at the table such a study produces, shows how the default
:class:`podbor.samplers.AutoSampler` treats a space that branches on one categorical
parameter, and ends with a choice among three scikit-learn classifiers, one of which branches
again.
"""

# %%
import collections

import sklearn.datasets
import sklearn.linear_model
import sklearn.metrics
import sklearn.model_selection

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os

FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_TRIALS = 100 if FULL else 30
N_TRIALS_CLF = 100 if FULL else 30
# sphinx_gallery_end_ignore

# %%
# Ridge or lasso
# --------------
#
# The seminar used the Boston housing data, which scikit-learn no longer ships; the diabetes
# data set (442 patients, 10 features, bundled with scikit-learn) takes its place. The data is
# split once, outside the objective, so that every trial is validated on the same rows.
#
# ``regression_method`` decides which of the two ``alpha`` parameters the trial has. The
# seminar let ``alpha`` start at 0; at exactly 0 the lasso does not converge (scikit-learn warns
# and suggests plain linear regression), so the ranges here start at 0.001, on a log scale,
# where small and large penalties get the same share of the trials.

X, y = sklearn.datasets.load_diabetes(return_X_y=True)
X_train, X_val, y_train, y_val = sklearn.model_selection.train_test_split(X, y, random_state=0)


def objective(trial):
    regression_method = trial.suggest_categorical("regression_method", ["ridge", "lasso"])
    if regression_method == "ridge":
        ridge_alpha = trial.suggest_float("ridge_alpha", 1e-3, 2.0, log=True)
        model = sklearn.linear_model.Ridge(alpha=ridge_alpha)
    else:
        lasso_alpha = trial.suggest_float("lasso_alpha", 1e-3, 2.0, log=True)
        model = sklearn.linear_model.Lasso(alpha=lasso_alpha)
    model.fit(X_train, y_train)
    return sklearn.metrics.mean_squared_error(y_val, model.predict(X_val))


# %%
# The study minimizes the validation error over ``N_TRIALS`` trials (30 here); ``seed=0`` makes
# the page reproducible.

sampler = podbor.samplers.AutoSampler(seed=0)
study = podbor.create_study(direction="minimize", sampler=sampler)
study.optimize(objective, n_trials=N_TRIALS)

print("Minimum mean squared error:", round(study.best_value, 2))
print("Best parameters:", study.best_params)

# %%
# Each trial holds only the parameters it asked for. In the table, ``params_lasso_alpha`` is
# empty (NaN) in the ridge trials and ``params_ridge_alpha`` in the lasso trials, as in the
# seminar's output.

study.trials_dataframe().head(12)

# %%
# The same is true of every :class:`podbor.FrozenTrial`: its ``params`` and ``distributions``
# contain just the names that trial suggested.

for trial in study.trials[:4]:
    print(trial.number, trial.params)

# %%
# How AutoSampler treats a root categorical
# -----------------------------------------
#
# The first five trials are quasi-random. After that, :class:`podbor.samplers.AutoSampler`
# looks at the finished trials and notices that one categorical parameter,
# ``regression_method``, alone decides which other parameters a trial has: every ridge trial has
# ``ridge_alpha`` and nothing else, every lasso trial ``lasso_alpha``. It then keeps one
# Gaussian process (GP) per branch, each over that branch's own flat space, and lets a bandit
# rule pick the branch: mostly the one that gave the best values, with a bonus for a branch tried
# little, so that a branch that only looks bad before it is tuned still gets a fair number of
# trials. A single model over all parameters would have to guess values for the parameters a
# trial does not have.
#
# Each trial records the strategy and the reason in its system attribute ``"auto_sampler"``:

for trial in study.trials[3:8]:
    print(trial.number, trial.system_attrs["auto_sampler"])

strategies = collections.Counter(t.system_attrs["auto_sampler"].split(":")[0] for t in study.trials)
branches = collections.Counter(t.params["regression_method"] for t in study.trials)
print("strategies:", dict(strategies))
print("branches:", dict(branches))

# %%
# These models train in about a millisecond, less than a GP proposal takes, and the GPs are used
# all the same: a GP proposal costs a few milliseconds here, a delay nobody notices, and
# AutoSampler gives the GP up for cost only past ``gp_seconds_allowance`` (0.25 s per trial).
# See :doc:`03_choosing_a_sampler` for every rule.
#
# :func:`podbor.visualization.matplotlib.plot_slice` draws the error against each parameter; a
# conditional parameter's panel shows only the trials that have it, so each model's best penalty
# can be read off its own panel.

from podbor.visualization.matplotlib import plot_slice

axes = plot_slice(study, params=["ridge_alpha", "lasso_alpha"])

# %%
# Three classifiers, one nested branch
# ------------------------------------
#
# The same pattern chooses among models of different kinds. On the breast-cancer data set
# (569 tumours, 30 features, bundled with scikit-learn) we choose between a support-vector
# machine, a random forest and k nearest neighbours, each with its own hyperparameters. The SVM
# branches again: ``gamma`` exists only with the RBF kernel. The score is the validation
# accuracy, so the study maximizes.

from sklearn.ensemble import RandomForestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

X, y = sklearn.datasets.load_breast_cancer(return_X_y=True)
X_train, X_val, y_train, y_val = sklearn.model_selection.train_test_split(
    X, y, test_size=0.3, random_state=0, stratify=y
)


def classifier_objective(trial):
    kind = trial.suggest_categorical("classifier", ["svm", "forest", "knn"])
    if kind == "svm":
        c = trial.suggest_float("svm_c", 1e-3, 1e3, log=True)
        kernel = trial.suggest_categorical("svm_kernel", ["linear", "rbf"])
        if kernel == "rbf":
            gamma = trial.suggest_float("svm_gamma", 1e-4, 1.0, log=True)
            model = SVC(C=c, kernel="rbf", gamma=gamma)
        else:
            model = SVC(C=c, kernel="linear")
    elif kind == "forest":
        model = RandomForestClassifier(
            n_estimators=trial.suggest_int("forest_n_estimators", 10, 60, step=10),
            max_depth=trial.suggest_int("forest_max_depth", 2, 16, log=True),
            random_state=0,
        )
    else:
        model = KNeighborsClassifier(n_neighbors=trial.suggest_int("knn_k", 1, 50, log=True))
    model = make_pipeline(StandardScaler(), model)
    model.fit(X_train, y_train)
    return model.score(X_val, y_val)


sampler = podbor.samplers.AutoSampler(seed=0)
clf_study = podbor.create_study(direction="maximize", sampler=sampler)
clf_study.optimize(classifier_objective, n_trials=N_TRIALS_CLF)

print("Best validation accuracy:", round(clf_study.best_value, 4))
print("Best parameters:", clf_study.best_params)
print(
    "Trials per classifier:",
    dict(collections.Counter(t.params["classifier"] for t in clf_study.trials)),
)

# %%
# Here ``classifier`` no longer decides the other parameters alone: SVM trials with and without
# ``svm_gamma`` have different parameters. AutoSampler sees a nested space and hands the trials
# to :class:`podbor.samplers.TPESampler` (multivariate and grouped: one model per group of
# parameters that occur together), which handles any conditional structure:

print(clf_study.trials[-1].system_attrs["auto_sampler"])

# %%
# Rules of thumb for conditional spaces:
#
# * give each branch's parameters their own names (``ridge_alpha``, ``lasso_alpha``): one name
#   must keep one range within a study;
# * ask for the branch first, then only what that branch uses;
# * prefer one categorical at the root with flat branches below it when you can: AutoSampler
#   then fits one GP per branch, which is the most sample-efficient strategy podbor has for
#   such spaces.
