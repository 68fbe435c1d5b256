"""``BoTorchSampler`` and its candidates functions; the public names are in
:mod:`podbor.integration.botorch`.

* ``space``: the search space as BoTorch's columns (the shared unit-cube encoding, categoricals
  one-hot);
* ``problem``: what every candidates function does around its acquisition (checks, the GP fit,
  the acquisition's maximization);
* ``candidates``: the single-objective candidates functions; ``multi_objective``: the others;
* ``sampler``: ``BoTorchSampler``.

Nothing here imports torch or BoTorch at import time.
"""
