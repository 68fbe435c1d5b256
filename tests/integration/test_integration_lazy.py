"""``podbor.integration`` imports no framework until a name is used, and a missing one says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

import podbor.integration

FRAMEWORKS = (
    "lightgbm",
    "xgboost",
    "catboost",
    "lightning",
    "pytorch_lightning",
    "mlflow",
    "wandb",
    "tensorboard",
    "torch",
    "sklearn",
    "dask",
    "distributed",
    "cma",
    "ignite",
    "skorch",
    "keras",
    "tensorflow",
    "trackio",
    "shap",
    "numba",
    "botorch",
    "gpytorch",
)

# public name -> (the module podbor needs, the extra that installs it)
NEEDS = {
    "LightGBMPruningCallback": ("lightgbm", "lightgbm"),
    "LightGBMTuner": ("lightgbm", "lightgbm"),
    "XGBoostPruningCallback": ("xgboost", "xgboost"),
    "CatBoostPruningCallback": ("catboost", "catboost"),
    "PyCmaSampler": ("cma", "cma"),
    "PyTorchLightningPruningCallback": ("lightning", "lightning"),
    "PyTorchIgnitePruningHandler": ("ignite", "ignite"),
    "KerasPruningCallback": ("keras", "keras"),
    "TFKerasPruningCallback": ("tensorflow", "tfkeras"),
    "TrackioCallback": ("trackio", "trackio"),
    "BoTorchSampler": ("botorch", "botorch"),
    "ShapleyImportanceEvaluator": ("shap", "shap"),
    "SkorchPruningCallback": ("skorch", "skorch"),
    "MLflowCallback": ("mlflow", "mlflow"),
    "WeightsAndBiasesCallback": ("wandb", "wandb"),
    "TensorBoardCallback": ("tensorboard", "tensorboard"),
    "OptunaSearchCV": ("sklearn", "sklearn"),
    "DaskStorage": ("distributed", "dask"),
}


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_importing_podbor_integration_imports_no_framework() -> None:
    names = ", ".join(repr(m) for m in FRAMEWORKS)
    done = _run(
        f"import sys, podbor, podbor.integration\nprint([m for m in ({names}) if m in sys.modules])"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_public_name_resolves_to_its_module() -> None:
    for name in podbor.integration.__all__:
        try:
            value = getattr(podbor.integration, name)
        except ImportError:  # its framework is not installed here
            continue
        assert value.__name__ == name
        assert value.__module__.startswith("podbor.integration")
    assert set(dir(podbor.integration)) >= set(podbor.integration.__all__)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchCallback"):
        podbor.integration.NoSuchCallback  # noqa: B018


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_a_missing_framework_names_the_pip_install(name: str) -> None:
    module, extra = NEEDS[name]
    blocked = {module} | ({"pytorch_lightning"} if module == "lightning" else set())
    code = (
        "import sys\n"
        f"for m in {sorted(blocked)!r}: sys.modules[m] = None\n"
        "import podbor.integration as integration\n"
        "try:\n"
        f"    cls = integration.{name}\n"
        "    cls.__init__  # noqa\n"
        "    import inspect\n"
        "    params = inspect.signature(cls).parameters\n"
        "    args = {p: None for p in params if params[p].default is inspect.Parameter.empty\n"
        "            and params[p].kind in (params[p].POSITIONAL_OR_KEYWORD, params[p].KEYWORD_ONLY)}\n"
        "    cls(**args)\n"
        "except ImportError as err:\n"
        "    print('ImportError:', err)\n"
        "else:\n"
        "    print('no error')\n"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert f"pip install podbor[{extra}]" in done.stdout, done.stdout
