"""``examples/tune_detector.py``: its synthetic data set, its pruning callback, and real runs.

The data set generator, the pruning callback and the HTML plots are tested here without
ultralytics. The runs that train a YOLO detector are slow and need ``ultralytics``, which is the
example's own requirement, not podbor's; they run the example in a subprocess with the first
interpreter that has it: ``$PODBOR_DETECTOR_PYTHON``, this one, or
``examples/.venv-detector/bin/python`` (made as the example's docstring says), and are skipped,
also under CI, when none has it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

import podbor
from podbor.trial import FixedTrial

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "tune_detector.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tune_detector", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


td = _load_example()


def _mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@pytest.mark.parametrize("size", [64, 96, 160])
def test_images_hold_disjoint_boxes_inside_the_image(size: int) -> None:
    rng = np.random.default_rng(size)
    counts = set()
    for _ in range(30):
        image, boxes = td.make_image(rng, size)
        assert image.shape == (size, size, 3) and image.dtype == np.uint8
        assert 1 <= len(boxes) <= 3
        counts.add(len(boxes))
        for i, box in enumerate(boxes):
            assert 0 <= box.cls < len(td.CLASSES)
            assert 0 <= box.x0 < box.x1 <= size and 0 <= box.y0 < box.y1 <= size
            assert 0.2 * size - 1 <= box.x1 - box.x0 <= 0.45 * size + 1
            assert not any(box.overlaps(other, margin=0) for other in boxes[i + 1 :])
    assert counts == {1, 2, 3}


@pytest.mark.parametrize("name", ["circle", "square", "triangle"])
@pytest.mark.parametrize("pointing_up", [True, False], ids=["up", "down"])
def test_each_shape_fills_its_box_tightly(name: str, pointing_up: bool) -> None:
    box = td.Box(td.CLASSES.index(name), 10, 20, 40, 50)
    mask = td.shape_mask(box.cls, box, 64, pointing_up=pointing_up)
    assert _mask_box(mask) == (10, 20, 40, 50)  # the label is the shape's exact bounding box
    area = mask.sum() / 30**2
    expected = {"square": 1.0, "circle": np.pi / 4, "triangle": 0.5}[name]
    assert area == pytest.approx(expected, abs=0.05)


def test_shapes_stand_out_from_the_background() -> None:
    image, boxes = td.make_image(np.random.default_rng(3), 96)
    outside = np.ones((96, 96), dtype=bool)
    for box in boxes:
        outside[box.y0 : box.y1, box.x0 : box.x1] = False
    for box in boxes:
        inside = td.shape_mask(box.cls, box, 96)
        gap = np.abs(image[inside].mean(axis=0) - image[outside].mean(axis=0)).sum()
        assert gap > 60  # colours are drawn at least 180 apart (sum over RGB) before noise


def test_yolo_label_line_is_class_then_centre_and_size_as_fractions() -> None:
    assert td.Box(2, 0, 16, 32, 64).yolo_line(64, 64) == "2 0.250000 0.625000 0.500000 0.750000"


def _labels(folder: Path) -> dict[str, list[list[float]]]:
    return {
        path.stem: [[float(v) for v in line.split()] for line in path.read_text().splitlines()]
        for path in sorted(folder.glob("*.txt"))
    }


def test_write_dataset_writes_yolo_layout_and_labels(tmp_path: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    yaml = pytest.importorskip("yaml")
    data_yaml = td.write_dataset(tmp_path / "shapes", n_images=12, size=64, seed=1)
    root = tmp_path / "shapes"
    config = yaml.safe_load(data_yaml.read_text())
    assert config == {
        "path": str(root.resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": {0: "circle", 1: "square", 2: "triangle"},
    }
    for split, count in (("train", 9), ("val", 3)):
        images = sorted((root / "images" / split).glob("*.png"))
        labels = _labels(root / "labels" / split)
        assert len(images) == count and sorted(labels) == [p.stem for p in images]
        for path in images:
            with image_module.open(path) as image:
                assert image.size == (64, 64) and image.mode == "RGB"
        for rows in labels.values():
            assert 1 <= len(rows) <= 3
            for cls, cx, cy, w, h in rows:
                assert cls in (0, 1, 2)
                assert 0 < w <= 1 and 0 < h <= 1
                assert cx - w / 2 >= -1e-6 and cx + w / 2 <= 1 + 1e-6  # six decimals
                assert cy - h / 2 >= -1e-6 and cy + h / 2 <= 1 + 1e-6


def test_write_dataset_is_seeded_and_replaces_an_earlier_one(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    first = _labels(
        td.write_dataset(tmp_path / "a", n_images=8, size=64, seed=5).parent / "labels/train"
    )
    again = _labels(
        td.write_dataset(tmp_path / "b", n_images=8, size=64, seed=5).parent / "labels/train"
    )
    other = _labels(
        td.write_dataset(tmp_path / "c", n_images=8, size=64, seed=6).parent / "labels/train"
    )
    assert first == again and first != other
    td.write_dataset(tmp_path / "a", n_images=4, size=64, seed=5)
    assert len(list((tmp_path / "a" / "images" / "train").glob("*.png"))) == 3


def _trainer(epoch: int, value: float, *, stop: bool = False) -> SimpleNamespace:
    return SimpleNamespace(epoch=epoch, metrics={td.METRIC: value}, stop=stop)


def test_callback_reports_each_epoch_and_ignores_the_final_validation() -> None:
    study = podbor.create_study(direction="maximize")
    trial = study.ask()
    callback = td.PruneAtEpochEnd(trial)
    for epoch, value in enumerate([0.1, 0.3, 0.2]):
        trainer = _trainer(epoch, value, stop=epoch == 2)  # ultralytics stops after the last
        callback(trainer)
        assert trainer.stop == (epoch == 2)
    callback(_trainer(3, 0.9))  # the best checkpoint validated once more after training
    assert callback.best == 0.3 and callback.pruned_at is None
    study.tell(trial, callback.best)
    assert study.trials[0].intermediate_values == {0: 0.1, 1: 0.3, 2: 0.2}


def test_callback_stops_training_when_the_pruner_says_so() -> None:
    study = podbor.create_study(
        direction="maximize", pruner=podbor.pruners.ThresholdPruner(lower=0.25)
    )
    trial = study.ask()
    callback = td.PruneAtEpochEnd(trial)
    callback(_trainer(0, 0.5))
    trainer = _trainer(1, 0.1)
    callback(trainer)
    assert trainer.stop is True and callback.pruned_at == 1
    callback(_trainer(2, 0.9))  # after the loop: ignored
    assert study.trials[0].intermediate_values == {0: 0.5, 1: 0.1}


def test_search_space_uses_ultralytics_argument_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {
        "optimizer": "SGD",
        "lr0": 0.01,
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "warmup_epochs": 1.0,
        "hsv_h": 0.015,
        "hsv_s": 0.7,
        "hsv_v": 0.4,
        "degrees": 5.0,
        "translate": 0.1,
        "scale": 0.5,
        "fliplr": 0.5,
        "mosaic": 1.0,
    }
    assert td.suggest_hyperparameters(FixedTrial(params)) == params
    if importlib.util.find_spec("ultralytics") is not None:
        monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path))  # its settings file, if imported here
        monkeypatch.setenv("YOLO_OFFLINE", "1")
        from ultralytics.cfg import get_cfg  # checks each name, type and range

        study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=0))
        for _ in range(20):
            cfg = get_cfg(overrides=td.suggest_hyperparameters(study.ask()))
            assert 0.0 <= cfg.fliplr <= 1.0 and cfg.optimizer in {"SGD", "AdamW"}


def test_write_plots_writes_one_offline_page(tmp_path: Path) -> None:
    pytest.importorskip("plotly")
    study = podbor.create_study(direction="maximize")
    for number, values in enumerate([[0.1, 0.2, 0.3], [0.05, 0.1], [0.2, 0.25, 0.4]]):
        trial = study.ask(
            {
                "lr0": podbor.distributions.FloatDistribution(1e-4, 1e-1, log=True),
                "mosaic": podbor.distributions.FloatDistribution(0.0, 1.0),
            }
        )
        for epoch, value in enumerate(values):
            trial.report(value, epoch)
        if number == 1:
            study.tell(trial, state=podbor.TrialState.PRUNED)
        else:
            study.tell(trial, max(values))
    page = tmp_path / "plots.html"
    td.write_plots(study, page)
    text = page.read_text(encoding="utf-8")
    assert len(text) > 1_000_000 and 'src="https://' not in text  # plotly.js inlined once
    for title in ("Optimization History", "Intermediate Values", "Hyperparameter Importances"):
        assert title in text


# ---------------------------------------------------------------------------------------------
# Real training (slow): the example run as a user runs it, with every network call refused.
# ---------------------------------------------------------------------------------------------

# Runs a script file (the example, or a test's own) with every socket refused: it must stay offline.
_OFFLINE = """
import runpy, socket, sys
def refuse(*args, **kwargs):
    print("NETWORK ATTEMPT", args[:2], file=sys.stderr)
    raise OSError("network refused by the test")
socket.getaddrinfo = refuse
socket.socket.connect = refuse
script = sys.argv[1]
sys.argv = [script, *sys.argv[2:]]
runpy.run_path(script, run_name="__main__")
"""


@pytest.fixture(scope="module")
def detector_python() -> str:
    candidates = [
        os.environ.get("PODBOR_DETECTOR_PYTHON"),
        sys.executable,
        str(ROOT / "examples" / ".venv-detector" / "bin" / "python"),
    ]
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('ultralytics') is None)"
    for python in candidates:
        if python and Path(python).exists():
            found = subprocess.run([python, "-c", probe], capture_output=True, timeout=60)
            if found.returncode == 0:
                return python
    pytest.skip("ultralytics (the example's own requirement) is not installed")


def _run(
    python: str, script: Path, *args: str, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}  # this checkout's podbor
    return subprocess.run(
        [python, "-c", _OFFLINE, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.slow
def test_smallest_run_tunes_offline_and_writes_the_plots(
    detector_python: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'detector.db'}"
    done = _run(
        detector_python,
        EXAMPLE,
        *("--n-trials", "2", "--epochs", "2", "--imgsz", "64", "--n-images", "24"),
        *("--device", "cpu", "--storage", url, "--workdir", str(tmp_path / "work")),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NETWORK ATTEMPT" not in done.stderr
    value = re.search(r"^Best value: (\S+)$", done.stdout, re.MULTILINE)
    assert value is not None, done.stdout
    assert 0.0 <= float(value.group(1)) <= 1.0
    assert re.search(r"^Best parameters: \{'optimizer': .+\}$", done.stdout, re.MULTILINE)
    assert re.search(r"^Pruned trials: \d+ of 2$", done.stdout, re.MULTILINE)
    page = tmp_path / "work" / "tune_detector.html"
    assert "Optimization History" in page.read_text(encoding="utf-8")

    study = podbor.load_study(study_name=td.STUDY_NAME, storage=url)
    assert len(study.trials) == 2
    for trial in study.trials:
        assert set(trial.params) == set(td.suggest_hyperparameters(FixedTrial(trial.params)))
        if trial.state == podbor.TrialState.COMPLETE:  # the first two are never pruned
            assert sorted(trial.intermediate_values) == [0, 1]
            assert trial.value == max(trial.intermediate_values.values())


_PRUNE_ONE = """
import json, sys
import podbor
from podbor.pruners import ThresholdPruner
sys.path.insert(0, sys.argv[1])
import tune_detector as td
args = td.parse_args(sys.argv[2:])
td.offline_ultralytics(args.workdir, verbose=False)
data = td.write_dataset(args.workdir / "shapes", n_images=args.n_images, size=args.imgsz, seed=0)
study = podbor.create_study(direction="maximize", pruner=ThresholdPruner(lower=0.99))
study.optimize(td.make_objective(data, args), n_trials=1)
trial = study.trials[0]
weights = args.workdir / "runs" / "trial-0" / "weights"
print(json.dumps({"state": trial.state.name, "steps": sorted(trial.intermediate_values),
                  "checkpoints": sorted(p.name for p in weights.glob("*.pt"))}))
"""


@pytest.mark.slow
def test_a_pruned_trial_stops_training_after_that_epoch(
    detector_python: str, tmp_path: Path
) -> None:
    script = tmp_path / "prune_one.py"
    script.write_text(_PRUNE_ONE)
    done = _run(
        detector_python,
        script,
        str(EXAMPLE.parent),
        *("--epochs", "4", "--imgsz", "64", "--n-images", "16", "--device", "cpu"),
        *("--workdir", str(tmp_path / "work")),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NETWORK ATTEMPT" not in done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # mAP50-95 after one epoch from random weights is far below 0.99: pruned at epoch 0 of 4.
    assert result == {"state": "PRUNED", "steps": [0], "checkpoints": []}
