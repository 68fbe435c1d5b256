"""Tune a YOLO detector's training hyperparameters, pruning weak trials epoch by epoch.

The seminar's last example tuned YOLOv5's training hyperparameters with Optuna; this is the same
idea with podbor and the ``ultralytics`` package, entirely offline. The example draws its own
small detection data set (circles, squares and triangles in random colours on noisy, textured
backgrounds, with YOLO-format labels and a ``data.yaml``), builds a YOLO model from its
configuration file with random weights (nothing is downloaded), and tunes the optimizer, its
learning rate, momentum and weight decay, the warm-up and the augmentation strengths (HSV
jitter, rotation, translation, scale, horizontal flips, mosaic). Each trial trains the detector
and scores the mAP50-95 on the validation split after every epoch; a callback reports it to the
trial, and when the pruner says the trial is behind, training stops at the end of that epoch and
the trial is marked pruned. A finished trial's value is its best epoch's mAP50-95. At the end the
optimization history, the per-epoch mAPs and the parameter importances are written to one HTML
page (plotly.js inlined, so it opens without a network).

``ultralytics`` is this example's own requirement, not podbor's. It brings torch and
torchvision, which must be builds for each other (a CPU-only ``torch+cpu`` needs the matching
CPU-only torchvision), so a virtual environment of its own is simplest::

    python -m venv examples/.venv-detector
    examples/.venv-detector/bin/pip install -e . -r examples/requirements-detector.txt
    examples/.venv-detector/bin/python examples/tune_detector.py

The defaults (10 trials of 10 epochs, 160 images of 96 x 96 pixels) take three to five minutes
on two CPU cores, prune about four trials and reach a validation mAP50-95 near 0.5 (the five
first trials, drawn at random, reach at most 0.14). A GPU is used when there is one. The
smallest run takes under half a minute on a CPU::

    python examples/tune_detector.py --n-trials 2 --epochs 2 --imgsz 64 --n-images 24

Everything (data set, training runs, ultralytics' settings, the HTML page) goes to ``--workdir``,
a new temporary folder unless given; ``--storage sqlite:///detector.db`` keeps the trials.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import podbor

CLASSES = ("circle", "square", "triangle")
METRIC = "metrics/mAP50-95(B)"  # the key ultralytics' detection validator reports it under
STUDY_NAME = "tune-detector"


# ---------------------------------------------------------------------------------------------
# The data set: coloured shapes on textured backgrounds, in YOLO's folder and label format.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """One object: its class index and its pixel box ``[x0, x1) x [y0, y1)``."""

    cls: int
    x0: int
    y0: int
    x1: int
    y1: int

    def yolo_line(self, width: int, height: int) -> str:
        """The YOLO label line: class, then centre x, centre y, width, height as image fractions."""
        cx, cy = (self.x0 + self.x1) / 2 / width, (self.y0 + self.y1) / 2 / height
        w, h = (self.x1 - self.x0) / width, (self.y1 - self.y0) / height
        return f"{self.cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"

    def overlaps(self, other: Box, margin: int) -> bool:
        """Whether the two boxes, each grown by ``margin`` pixels, intersect."""
        return not (
            self.x1 + margin <= other.x0
            or other.x1 + margin <= self.x0
            or self.y1 + margin <= other.y0
            or other.y1 + margin <= self.y0
        )


def textured_background(rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
    """A ``size x size x 3`` float image: a muted base colour, soft waves and pixel noise."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = rng.uniform(60, 190, size=3)
    image: npt.NDArray[np.float64] = np.broadcast_to(base, (size, size, 3)).copy()
    for _ in range(3):  # low-frequency texture, a different wave per channel
        fx, fy = rng.uniform(1, 6, size=2)
        phase = rng.uniform(0, 2 * np.pi, size=3)
        amplitude = rng.uniform(8, 25)
        image += amplitude * np.sin(2 * np.pi * (fx * xx + fy * yy))[..., None] * np.cos(phase)
    image += rng.normal(0, 12, size=image.shape)
    return image


def shape_mask(cls: int, box: Box, size: int, *, pointing_up: bool = True) -> npt.NDArray[np.bool_]:
    """The ``size x size`` boolean mask of shape ``CLASSES[cls]`` filling ``box`` exactly."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5  # pixel centres
    x0, y0, x1, y1 = box.x0, box.y0, box.x1, box.y1
    mask: npt.NDArray[np.bool_] = (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)
    if CLASSES[cls] == "circle":
        cx, cy, radius = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
        mask &= (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
    elif CLASSES[cls] == "triangle":  # apex mid-top (or mid-bottom), base along the other edge
        depth = (yy - y0) / (y1 - y0) if pointing_up else (y1 - yy) / (y1 - y0)
        mask &= np.abs(xx - (x0 + x1) / 2) <= depth * (x1 - x0) / 2 + 0.5  # apex: 1-2 pixels
    return mask


def make_image(
    rng: np.random.Generator, size: int, *, max_objects: int = 3
) -> tuple[npt.NDArray[np.uint8], list[Box]]:
    """Draw one ``size x size x 3`` uint8 image with 1 to ``max_objects`` shapes; return its boxes.

    Shapes do not overlap, each side is 20 to 45 % of the image, and each shape's colour is
    picked far from the background's so that the task is learnable in a few epochs.
    """
    image = textured_background(rng, size)
    background = image.mean(axis=(0, 1))
    boxes: list[Box] = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _attempt in range(20):
            side = int(rng.integers(int(0.2 * size), int(0.45 * size) + 1))
            x0, y0 = (int(v) for v in rng.integers(0, size - side + 1, size=2))
            box = Box(int(rng.integers(len(CLASSES))), x0, y0, x0 + side, y0 + side)
            if not any(box.overlaps(other, margin=2) for other in boxes):
                break
        else:
            continue  # no free room left for another shape
        colour = rng.uniform(0, 255, size=3)
        while np.abs(colour - background).sum() < 180:
            colour = rng.uniform(0, 255, size=3)
        mask = shape_mask(box.cls, box, size, pointing_up=bool(rng.integers(2)))
        image[mask] = colour + rng.normal(0, 8, size=(int(mask.sum()), 3))
        boxes.append(box)
    return np.clip(image, 0, 255).astype(np.uint8), boxes


def write_dataset(
    root: Path, *, n_images: int, size: int, seed: int, val_fraction: float = 0.25
) -> Path:
    """Write ``n_images`` images and labels under ``root`` (train/val split) and return ``data.yaml``.

    The layout is the one ultralytics expects: ``images/{train,val}/*.png`` and, beside them,
    ``labels/{train,val}/*.txt`` with one YOLO label line per object.
    """
    from PIL import Image  # Pillow comes with ultralytics (and with matplotlib)

    shutil.rmtree(root, ignore_errors=True)  # no images, labels or label caches of an earlier run
    rng = np.random.default_rng(seed)
    n_val = max(1, round(n_images * val_fraction))
    for index in range(n_images):
        split = "val" if index < n_val else "train"
        image, boxes = make_image(rng, size)
        for kind in ("images", "labels"):
            (root / kind / split).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(root / "images" / split / f"{index:05d}.png")
        lines = [box.yolo_line(size, size) for box in boxes]
        (root / "labels" / split / f"{index:05d}.txt").write_text("\n".join(lines) + "\n")
    names = "\n".join(f"  {i}: {name}" for i, name in enumerate(CLASSES))
    data_yaml = root / "data.yaml"  # JSON strings are YAML strings: any path is quoted safely
    data_yaml.write_text(
        f"path: {json.dumps(str(root.resolve()))}\ntrain: images/train\nval: images/val\n"
        f"names:\n{names}\n"
    )
    return data_yaml


# ---------------------------------------------------------------------------------------------
# Ultralytics, kept offline, and the objective.
# ---------------------------------------------------------------------------------------------


def offline_ultralytics(workdir: Path, *, verbose: bool) -> Any:
    """Import ultralytics with its settings in ``workdir`` and every network feature off.

    Must run before anything imports ultralytics: its settings folder and the offline switch
    are read at import time. Ultralytics looks for the font of its plots even when plots are
    off, and would try to download it; matplotlib's DejaVu Sans stands in for it.
    """
    os.environ["YOLO_CONFIG_DIR"] = str(workdir / "ultralytics-config")
    os.environ["YOLO_OFFLINE"] = "1"
    try:
        import ultralytics
        from matplotlib import font_manager
        from ultralytics.utils import LOGGER, USER_CONFIG_DIR
    except ImportError as err:
        raise SystemExit(
            "This example needs ultralytics: pip install -r examples/requirements-detector.txt"
        ) from err
    ultralytics.settings.update(
        sync=False,  # no usage events
        **dict.fromkeys(
            ("clearml", "comet", "dvc", "mlflow", "raytune", "tensorboard", "wandb"), False
        ),
        runs_dir=str(workdir / "runs"),
        weights_dir=str(workdir / "weights"),
        datasets_dir=str(workdir),
    )
    font = Path(USER_CONFIG_DIR) / "Arial.ttf"
    if not font.exists():
        shutil.copyfile(font_manager.findfont("DejaVu Sans"), font)
    if not verbose:
        LOGGER.setLevel("WARNING")
    return ultralytics


def suggest_hyperparameters(trial: podbor.trial.BaseTrial) -> dict[str, Any]:
    """The training arguments a trial tries, under ultralytics' names (YOLOv5's ``hyp`` keys)."""
    return {
        "optimizer": trial.suggest_categorical("optimizer", ["SGD", "AdamW"]),
        "lr0": trial.suggest_float("lr0", 1e-4, 1e-1, log=True),
        "momentum": trial.suggest_float("momentum", 0.6, 0.98),  # Adam's beta1 for AdamW
        "weight_decay": trial.suggest_float("weight_decay", 1e-5, 1e-2, log=True),
        "warmup_epochs": trial.suggest_float("warmup_epochs", 0.0, 3.0),
        "hsv_h": trial.suggest_float("hsv_h", 0.0, 0.1),
        "hsv_s": trial.suggest_float("hsv_s", 0.0, 0.9),
        "hsv_v": trial.suggest_float("hsv_v", 0.0, 0.9),
        "degrees": trial.suggest_float("degrees", 0.0, 30.0),
        "translate": trial.suggest_float("translate", 0.0, 0.3),
        "scale": trial.suggest_float("scale", 0.0, 0.6),
        "fliplr": trial.suggest_float("fliplr", 0.0, 1.0),
        "mosaic": trial.suggest_float("mosaic", 0.0, 1.0),
    }


class PruneAtEpochEnd:
    """An ultralytics ``on_fit_epoch_end`` callback: report the mAP, stop training if pruned.

    Raising :class:`podbor.TrialPruned` inside ultralytics' training loop would skip its clean-up,
    so the callback only sets ``trainer.stop``; the loop ends after this epoch, and the objective
    raises ``TrialPruned`` once ``train()`` has returned. Ultralytics calls the hook once more
    after training, to validate the best checkpoint; that call is not an epoch and is ignored.
    """

    def __init__(self, trial: podbor.trial.BaseTrial) -> None:
        self.trial = trial
        self.best = -math.inf
        self.pruned_at: int | None = None
        self._finished = False

    def __call__(self, trainer: Any) -> None:
        if self._finished:
            return
        value = float(trainer.metrics[METRIC])
        epoch = int(trainer.epoch)
        self.best = max(self.best, value)
        self.trial.report(value, epoch)
        if self.trial.should_prune():
            self.pruned_at = epoch
            trainer.stop = True
        self._finished = bool(trainer.stop)  # the loop ends after this call


def make_objective(
    data_yaml: Path, args: argparse.Namespace
) -> Callable[[podbor.trial.Trial], float]:
    from ultralytics.models.yolo.detect import DetectionTrainer

    def objective(trial: podbor.trial.Trial) -> float:
        settings = {
            "model": args.model,  # a .yaml configuration: random weights, nothing downloaded
            "data": str(data_yaml),
            "epochs": args.epochs,
            "imgsz": args.imgsz,
            "batch": args.batch,
            "nbs": args.batch,  # step the optimizer every batch (the default accumulates 64 images)
            "device": args.device,
            "workers": 0 if args.device == "cpu" else 4,
            "amp": False,  # AMP's self-check would download a pretrained model
            "plots": False,
            "save": False,  # no checkpoint per epoch (the last epoch still writes one)
            "close_mosaic": 0,  # keep the tuned mosaic probability for every epoch
            "seed": args.seed,
            "deterministic": True,
            "project": str(args.workdir / "runs"),
            "name": f"trial-{trial.number}",
            "exist_ok": True,
            "verbose": args.verbose,
        }
        trainer = DetectionTrainer(overrides=settings | suggest_hyperparameters(trial))
        pruning = PruneAtEpochEnd(trial)
        trainer.add_callback("on_fit_epoch_end", pruning)
        trainer.train()
        if pruning.pruned_at is not None:
            raise podbor.TrialPruned(f"Pruned after epoch {pruning.pruned_at}.")
        return pruning.best

    return objective


def write_plots(study: podbor.Study, path: Path) -> None:
    """Write the optimization history, the per-epoch mAPs and the parameter importances to ``path``."""
    from podbor.visualization import (
        plot_intermediate_values,
        plot_optimization_history,
        plot_param_importances,
    )

    figures = [plot_optimization_history(study), plot_intermediate_values(study)]
    values = {t.value for t in study.trials if t.state == podbor.TrialState.COMPLETE}
    if len(values) >= 2:  # importances compare finished trials that scored differently
        figures.append(plot_param_importances(study))
    parts = [
        figure.to_html(full_html=False, include_plotlyjs=(index == 0))
        for index, figure in enumerate(figures)
    ]
    title = f"podbor: {study.study_name}"
    path.write_text(
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>\n{''.join(parts)}\n</body></html>\n",
        encoding="utf-8",
    )


def default_device() -> str:
    """``"0"`` (the first GPU) when CUDA is available, else ``"cpu"``."""
    import torch

    return "0" if torch.cuda.is_available() else "cpu"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``--workdir`` defaults to a new temporary folder, created here."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--imgsz", type=int, default=96, help="image side, a multiple of 32")
    parser.add_argument("--n-images", type=int, default=160, help="images, 25 %% for validation")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--model", default="yolo11n.yaml", help="a model configuration file")
    parser.add_argument("--device", default=None, help='"cpu", "0" … (default: GPU 0 if any)')
    parser.add_argument("--storage", default=None, help="e.g. sqlite:///detector.db")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="show ultralytics' training logs")
    args = parser.parse_args(argv)
    if args.workdir is None:
        args.workdir = Path(tempfile.mkdtemp(prefix="podbor-detector-"))
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    return args


def main(argv: list[str] | None = None) -> podbor.Study:
    args = parse_args(argv)
    offline_ultralytics(args.workdir, verbose=args.verbose)
    args.device = args.device or default_device()
    data_yaml = write_dataset(
        args.workdir / "shapes", n_images=args.n_images, size=args.imgsz, seed=args.seed
    )
    print(f"Data set: {data_yaml}; training {args.model} on device {args.device!r}.")
    study = podbor.create_study(
        direction="maximize",
        storage=args.storage,
        study_name=STUDY_NAME if args.storage else None,
        load_if_exists=bool(args.storage),
        sampler=podbor.samplers.TPESampler(seed=args.seed, n_startup_trials=5),
        # From random weights the mAP stays near 0 for the first epochs, whatever the setting:
        # judge trials only in the second half of their epochs.
        pruner=podbor.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=args.epochs // 2),
    )
    study.optimize(make_objective(data_yaml, args), n_trials=args.n_trials)

    report = args.workdir / "tune_detector.html"
    write_plots(study, report)
    pruned = sum(t.state == podbor.TrialState.PRUNED for t in study.trials)
    print(f"Best value: {study.best_value:.4f}")
    print(f"Best parameters: {study.best_params}")
    print(f"Pruned trials: {pruned} of {len(study.trials)}")
    print(f"Plots: {report}")
    return study


if __name__ == "__main__":
    main()
