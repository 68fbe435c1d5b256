"""
Tuning a detector
=================

The seminar ended with its hardest case: the training hyperparameters of a YOLOv5 object
detector, tuned with Optuna. ``examples/tune_detector.py`` does the same with podbor and the
``ultralytics`` package (:doc:`/guide/detector` shows how to run it); it needs PyTorch, so it
is not run while this site is built. This page runs a study of the same shape at build time, on
a detector small enough for a CPU and made of scikit-learn parts:

- **the data**: circles, squares and triangles in random colours on noisy, textured
  backgrounds, each with its box;
- **the detector**: the image is cut into an 8 x 8 grid of cells. For every cell, a small
  neural network (:class:`~sklearn.neural_network.MLPClassifier`) says whether a shape is
  centred in it and which one, and a second one
  (:class:`~sklearn.neural_network.MLPRegressor`) predicts its box. Boxes of one shape found
  by neighbouring cells are merged by non-maximum suppression, as YOLO does;
- **the score**: mAP50-95 on a validation split, the COCO metric that YOLO reports;
- **the study**: each trial trains for a number of epochs, reports the validation mAP after
  each one, and is pruned when it falls behind the other trials. This is the pattern of the
  YOLO example, where a callback at the end of every epoch does the same.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.neural_network import MLPClassifier, MLPRegressor

import podbor

podbor.logging.set_verbosity(podbor.logging.WARNING)

# sphinx_gallery_start_ignore
import os
import warnings

from sklearn.exceptions import ConvergenceWarning

warnings.filterwarnings("ignore", category=ConvergenceWarning)
FULL = os.environ.get("PODBOR_DOCS_FULL") == "1"
N_TRIALS = 60 if FULL else 20
N_EPOCHS = 25 if FULL else 10
N_TRAIN, N_VAL = (600, 200) if FULL else (200, 80)
# sphinx_gallery_end_ignore

SIZE, CELL = 64, 8  # 64 x 64 pixel images, an 8 x 8 grid of 8-pixel cells
GRID = SIZE // CELL
CLASSES = ("circle", "square", "triangle")

# %%
# The data
# --------
# Each image has one to three shapes that do not touch, each 13 to 29 pixels wide. A box is the
# row ``(class, x0, y0, x1, y1)`` in pixels. The colours are random, but every shape is far
# from its background's colour, which the detector below uses.


def draw_image(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One ``SIZE x SIZE x 3`` image with values in [0, 1], and its boxes (``k x 5``)."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] + 0.5  # pixel centres
    base = rng.uniform(0.25, 0.75, size=3)
    fx, fy, phase = rng.uniform(1, 5), rng.uniform(1, 5), rng.uniform(0, 2 * np.pi)
    wave = np.sin(2 * np.pi * (fx * xx + fy * yy) / SIZE + phase)
    image = base + 0.08 * wave[..., None] * rng.choice([-1.0, 1.0], size=3)
    image += rng.normal(0.0, 0.05, size=image.shape)
    boxes: list[tuple[float, ...]] = []
    for _ in range(int(rng.integers(1, 4))):
        side = int(rng.integers(13, 30))
        x0, y0 = (int(v) for v in rng.integers(0, SIZE - side + 1, size=2))
        if any(
            x0 < b[3] + 2 and b[1] < x0 + side + 2 and y0 < b[4] + 2 and b[2] < y0 + side + 2
            for b in boxes
        ):
            continue  # it would touch a shape already drawn
        cls = int(rng.integers(len(CLASSES)))
        cx, cy, half = x0 + side / 2, y0 + side / 2, side / 2
        inside = (np.abs(xx - cx) <= half) & (np.abs(yy - cy) <= half)
        if CLASSES[cls] == "circle":
            inside &= (xx - cx) ** 2 + (yy - cy) ** 2 <= half**2
        elif CLASSES[cls] == "triangle":  # apex at the top middle, base along the bottom
            inside &= np.abs(xx - cx) <= (yy - y0) / 2 + 0.5
        away = np.where(base < 0.5, 1.0, -1.0) * rng.uniform(0.3, 0.5, size=3)
        image[inside] = base + away + rng.normal(0.0, 0.03, size=(int(inside.sum()), 3))
        boxes.append((cls, x0, y0, x0 + side, y0 + side))
    return np.clip(image, 0.0, 1.0), np.array(boxes, dtype=float).reshape(-1, 5)


def draw_dataset(n: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    images, boxes = zip(*(draw_image(rng) for _ in range(n)))
    return np.stack(images), list(boxes)


train_images, train_boxes = draw_dataset(N_TRAIN, seed=0)
val_images, val_boxes = draw_dataset(N_VAL, seed=1)


def show(images, boxes, titles=None):
    fig, axes = plt.subplots(1, len(images), figsize=(2.2 * len(images), 2.4))
    for i, (ax, image, rows) in enumerate(zip(axes, images, boxes)):
        ax.imshow(image)
        for cls, x0, y0, x1, y1, *score in rows:
            ax.add_patch(plt.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="yellow"))
            label = CLASSES[int(cls)] + (f" {score[0]:.2f}" if score else "")
            ax.text(x0, y0 - 1, label, color="yellow", fontsize=7)
        ax.set_axis_off()
        if titles:
            ax.set_title(titles[i], fontsize=8)
    return fig


show(train_images[:6], train_boxes[:6])

# %%
# The detector
# ------------
# **Features.** A pixel is *foreground* when its colour is far from the image's median colour:
# the sum of the three channels' distances is above ``threshold``. Each cell sees the
# foreground mask in a ``window x window`` square centred on it, averaged over
# ``pool x pool`` blocks. The threshold, the window and the pooling are hyperparameters: too
# low a threshold lets the background's texture in, too small a window cuts large shapes. The
# distances do not depend on them, so they are computed once.


def colour_distance(images: np.ndarray) -> np.ndarray:
    """Shape ``n x SIZE x SIZE``: each pixel's distance to its image's median colour."""
    return np.abs(images - np.median(images, axis=(1, 2), keepdims=True)).sum(axis=3)


def cell_features(distance: np.ndarray, threshold: float, window: int, pool: int) -> np.ndarray:
    """Shape ``n·GRID² x (window / pool)²``: what each cell of each image sees."""
    half, n = window // 2, len(distance)
    mask = np.pad((distance > threshold).astype(np.float32), ((0, 0), (half, half), (half, half)))
    m = mask.shape[1] // pool  # pooled first: every window starts on a block's edge
    blocks = mask.reshape(n, m, pool, m, pool).mean(axis=(2, 4))
    side = window // pool
    starts = np.arange(CELL // 2, SIZE, CELL) // pool  # a window starting at c is centred on c
    views = sliding_window_view(blocks, (side, side), axis=(1, 2))[:, starts][:, :, starts]
    return views.reshape(n * GRID * GRID, side * side)


train_distance, val_distance = colour_distance(train_images), colour_distance(val_images)

# %%
# **Targets.** The cell that holds a shape's centre is responsible for it, as in YOLO: its class
# is the shape's class + 1 (0 is background), and it learns the centre's offset from the cell's
# centre and the box's side, both in cells.


def cell_targets(boxes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Shapes ``n·GRID²`` (class, 0 = none) and ``n·GRID² x 3`` (dx, dy, side)."""
    classes = np.zeros((len(boxes), GRID * GRID), dtype=int)
    geometry = np.zeros((len(boxes), GRID * GRID, 3))
    for i, rows in enumerate(boxes):
        for cls, x0, y0, x1, y1 in rows:
            cx, cy = (x0 + x1) / 2 / CELL, (y0 + y1) / 2 / CELL  # in cells
            cell = int(cy) * GRID + int(cx)
            classes[i, cell] = int(cls) + 1
            geometry[i, cell] = (cx - int(cx) - 0.5, cy - int(cy) - 0.5, (x1 - x0) / CELL)
    return classes.ravel(), geometry.reshape(-1, 3)


train_classes, train_geometry = cell_targets(train_boxes)

# %%
# **Detections.** Every cell proposes one box per class, scored by the classifier's
# probability. Boxes below ``min_score`` are dropped; of boxes of one class that overlap by more
# than ``nms_iou``, only the best-scored is kept; an image keeps its ``max_boxes`` best (YOLO's
# validator works the same way, with larger limits).


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (``m x 4``) with every box in ``b``."""
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=2)
    area_a, area_b = np.prod(a[:, 2:] - a[:, :2], axis=1), np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def detect(probabilities, geometry, min_score=0.05, nms_iou=0.5, max_boxes=10):
    """Per image, rows ``(class, x0, y0, x1, y1, score)``, best first."""
    row, col = np.divmod(np.arange(GRID * GRID), GRID)
    found = []
    for p, g in zip(probabilities, geometry):
        cx, cy = (col + 0.5 + g[:, 0]) * CELL, (row + 0.5 + g[:, 1]) * CELL
        half = np.clip(g[:, 2], 0.5, GRID) * CELL / 2
        boxes = np.stack([cx - half, cy - half, cx + half, cy + half], axis=1)
        kept = []
        for cls in range(len(CLASSES)):
            score = p[:, cls + 1]
            order = np.argsort(-score)[:max_boxes]
            order = order[score[order] >= min_score]
            overlap = iou(boxes[order], boxes[order])
            keep = np.ones(order.size, dtype=bool)
            for a in range(order.size):  # greedy: a kept box removes the weaker ones it covers
                if keep[a]:
                    keep[a + 1 :] &= overlap[a, a + 1 :] < nms_iou
            order = order[keep]
            kept.append(np.column_stack([np.full(order.size, cls), boxes[order], score[order]]))
        rows = np.vstack(kept)
        found.append(rows[np.argsort(-rows[:, 5], kind="stable")][:max_boxes])
    return found


# %%
# **mAP50-95**, as COCO and YOLO compute it. For each class and each IoU threshold from 0.50
# to 0.95 in steps of 0.05, each image's detections, best score first, are matched to the
# unmatched true box they overlap most (a hit if the overlap reaches the threshold). The
# precision over all images, best score first, is made non-increasing and averaged at 101
# recall levels; the score is the mean over classes and thresholds.


def matches(overlap: np.ndarray, threshold: float) -> np.ndarray:
    """Which of an image's detections (rows of ``overlap``, best first) hit a true box."""
    hit, free = np.zeros(overlap.shape[0], dtype=bool), np.ones(overlap.shape[1], dtype=bool)
    for a in range(overlap.shape[0]):
        candidates = np.where(free, overlap[a], -1.0)
        if candidates.size and candidates.max() >= threshold:
            free[np.argmax(candidates)], hit[a] = False, True
    return hit


def mean_average_precision(found: list[np.ndarray], truth: list[np.ndarray]) -> float:
    recall_levels = np.linspace(0.0, 1.0, 101)
    aps = []
    for cls in range(len(CLASSES)):
        dets = [f[f[:, 0] == cls] for f in found]
        true = [t[t[:, 0] == cls, 1:] for t in truth]
        n_true = sum(len(t) for t in true)
        if n_true == 0:
            continue
        overlaps = [iou(d[:, 1:5], t) for d, t in zip(dets, true)]
        order = np.argsort(-np.concatenate([d[:, 5] for d in dets]), kind="stable")
        for threshold in np.linspace(0.5, 0.95, 10):
            hits = np.concatenate([matches(o, threshold) for o in overlaps])[order]
            if hits.size == 0:
                aps.append(0.0)
                continue
            tp = np.cumsum(hits)
            precision = np.maximum.accumulate((tp / np.arange(1, hits.size + 1))[::-1])[::-1]
            at = np.searchsorted(tp / n_true, recall_levels, side="left")
            aps.append(
                np.where(at < hits.size, precision[np.minimum(at, hits.size - 1)], 0.0).mean()
            )
    return float(np.mean(aps))


# %%
# The objective
# -------------
# A trial picks the features' three knobs and the networks' size, learning rate, weight decay
# (``alpha``), batch size, and the share of background cells each epoch trains on (most cells
# are background; seeing all of them every epoch teaches the networks mostly to say "nothing").
# ``train`` asks the trial for them and then trains epoch by epoch, yielding the validation
# mAP50-95 and the detector after each epoch, so that the objective and the last section of
# this page share it.


class Detector:
    """The two networks and the features' settings they were trained with."""

    def __init__(self, classifier, regressor, threshold, window, pool):
        self.classifier, self.regressor = classifier, regressor
        self.threshold, self.window, self.pool = threshold, window, pool

    def features(self, distance: np.ndarray) -> np.ndarray:
        return cell_features(distance, self.threshold, self.window, self.pool)

    def detect(self, features: np.ndarray) -> list[np.ndarray]:
        n = len(features) // (GRID * GRID)
        probabilities = self.classifier.predict_proba(features).reshape(n, GRID * GRID, -1)
        return detect(probabilities, self.regressor.predict(features).reshape(n, GRID * GRID, 3))


def train(trial: podbor.trial.BaseTrial):
    threshold = trial.suggest_float("fg_threshold", 0.1, 1.5)
    window = trial.suggest_categorical("window", [24, 32, 40])
    pool = trial.suggest_categorical("pool", [2, 4])
    hidden = trial.suggest_int("hidden_units", 16, 256, log=True)
    common = dict(
        hidden_layer_sizes=(hidden,),
        learning_rate_init=trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True),
        alpha=trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
        batch_size=trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
        random_state=trial.number,
    )
    background_share = trial.suggest_float("background_share", 0.02, 1.0, log=True)

    detector = Detector(MLPClassifier(**common), MLPRegressor(**common), threshold, window, pool)
    x, x_val = detector.features(train_distance), detector.features(val_distance)
    has_shape = train_classes > 0
    rng = np.random.default_rng(trial.number)
    for epoch in range(N_EPOCHS):
        chosen = has_shape | (rng.random(has_shape.size) < background_share)
        detector.classifier.partial_fit(
            x[chosen], train_classes[chosen], classes=np.arange(len(CLASSES) + 1)
        )
        detector.regressor.partial_fit(x[has_shape], train_geometry[has_shape])
        yield epoch, mean_average_precision(detector.detect(x_val), val_boxes), detector


def objective(trial: podbor.Trial) -> float:
    """The best epoch's validation mAP50-95; pruned when the pruner says it is behind."""
    best = 0.0
    for epoch, score, _ in train(trial):
        best = max(best, score)
        trial.report(score, epoch)
        if trial.should_prune():
            raise podbor.TrialPruned()
    return best


# %%
# The study
# ---------
# The default sampler (seeded, so that this page is the same at every build), and a median
# pruner that lets the first five trials finish and judges none in its first three epochs.

study = podbor.create_study(
    study_name="detector",
    direction="maximize",
    sampler=podbor.samplers.AutoSampler(seed=0),
    pruner=podbor.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=3),
)
study.optimize(objective, n_trials=N_TRIALS)

states = [t.state.name for t in study.trials]
print(f"{len(states)} trials: {states.count('COMPLETE')} complete, {states.count('PRUNED')} pruned")
print(f"best mAP50-95 {study.best_value:.3f} (trial {study.best_trial.number})")
print("first five trials (random start-up):", [round(t.value, 3) for t in study.trials[:5]])
for name, value in study.best_params.items():
    print(f"  {name}: {value:.4g}" if isinstance(value, float) else f"  {name}: {value}")

# %%
# Each line is a trial's validation mAP after each epoch; the pruned ones stop early:

from podbor.visualization.matplotlib import plot_intermediate_values, plot_optimization_history

plot_intermediate_values(study)

# %%
plot_optimization_history(study)

# %%
# The best configuration's detections
# -----------------------------------
# A trial returns only its score, so the best trial's detector is trained again from its
# parameters. :class:`podbor.FixedTrial` answers each ``suggest_*`` call with them, and
# with the trial's number the networks start from the same random weights, so the training is
# the same. (A real project would rather save each trial's model with
# :func:`podbor.artifacts.upload_artifact`.)
# Its detections on validation images, those scored at least 0.5:

best = study.best_trial
*_, (epoch, score, detector) = train(podbor.FixedTrial(best.params, number=best.number))
reported = best.intermediate_values[epoch]
print(f"after {epoch + 1} epochs: mAP50-95 {score:.3f} (reported during the study: {reported:.3f})")
found = detector.detect(detector.features(val_distance[:6]))
show(val_images[:6], [f[f[:, 5] >= 0.5] for f in found])

# %%
# From here to YOLO
# -----------------
# The YOLO example (:doc:`/guide/detector`, ``examples/tune_detector.py``) keeps this page's
# structure and swaps the parts: ultralytics trains the network, its validator computes the
# same mAP50-95 after every epoch, and a callback registered for ``on_fit_epoch_end`` calls
# ``trial.report`` and ``trial.should_prune``; when the pruner says stop, it ends the training
# and the objective raises :class:`podbor.TrialPruned`. The search space is YOLO's training
# arguments (optimizer, learning rate, momentum, weight decay, warm-up, augmentations).
